/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The parts of the transport contract (ctl-transport.h) that both transports share. */
#include <stdlib.h>

#include "ctl-transport.h"
#include "ctl.h"
#include "macro.h"

void ctl_error_done(CtlError *e) {
        if (!e)
                return;
        e->name = mfree(e->name);
        e->message = mfree(e->message);
        if (e->parameters)
                json_decref(e->parameters);
        e->parameters = NULL;
}

int ctl_error_exit_code(const CtlError *e) {
        if (e && e->name && (streq(e->name, "NoSuchJail") || streq(e->name, "NotBanned")))
                return CTL_EXIT_NOT_FOUND;
        return CTL_EXIT_FAILURE;
}
