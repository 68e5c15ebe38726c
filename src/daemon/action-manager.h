/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <systemd/sd-event.h>

#include "manager.h"

/* Connects the Manager to the action runtime (action.h): a ManagerListener turns every ban and unban
 * (after the nft transaction went through) into jobs of the jail's actions; a reload rebuilds the
 * actions (unchanged ones are kept with their queues, new ones run their start hook, removed ones their
 * stop hook). The nft ban never waits for an action. */

typedef struct ActionManager ActionManager;

int action_manager_new(sd_event *event, Manager *m, ActionManager **ret);
ActionManager *action_manager_free(ActionManager *am);
/* After manager_start_and_log(): creates the actions of every enabled jail, runs their start hooks. */
void action_manager_start(ActionManager *am);
/* SIGTERM: sends pending digests, runs the stop hooks, and exits the event loop once no job is left
 * or after 10 s, whichever comes first. */
void action_manager_shutdown(ActionManager *am);
