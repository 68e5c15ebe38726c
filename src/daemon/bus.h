/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <systemd/sd-event.h>

#include "manager.h"

/* The D-Bus front end: org.portcullis.Portcullis1 on the system bus (docs/org.portcullis.Portcullis1.xml).
 * Translates calls into the Manager's control API and its listener callbacks into signals and
 * PropertiesChanged. Create it after manager_new() and before manager_start_and_log(), so that the
 * name is owned before READY=1. */

typedef struct Bus Bus;

/* Connects to the system bus, exports the objects and takes the name. Returns 0 with *ret set; 0 with
 * *ret = NULL when no system bus is reachable (logged as a warning: the daemon protects without its
 * API); a negative errno (logged) when the name cannot be taken, e.g. another instance owns it. */
int bus_new_and_log(sd_event *event, Manager *m, Bus **ret);
Bus *bus_free(Bus *b);
