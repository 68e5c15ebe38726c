/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test helper: drives portcullisctl's varlink transport (src/client/ctl-varlink.c) from the integration
 * tests, without the verbs.
 *   ctl-varlink-call SOCKET METHOD JSON   prints the reply (exit 0), or "error NAME MESSAGE" (exit 1);
 *                                         exit 2 on a transport failure
 *   ctl-varlink-call SOCKET --monitor N   prints N events (one JSON per line), then exits 0 */
#include <glib.h>
#include <stdio.h>

#include "ctl-transport.h"
#include "log.h"

static int print_event(json_t *event, void *userdata) {
        int *left = userdata;
        char *text = json_dumps(event, JSON_SORT_KEYS);

        printf("%s\n", text);
        fflush(stdout);
        free(text);
        return --*left <= 0;
}

int main(int argc, char **argv) {
        CtlTransport *t = NULL;
        CtlError error = {};
        json_t *params, *reply = NULL;
        json_error_t jerr;
        int r;

        log_setup("ctl-varlink-call", LOG_TARGET_CONSOLE, LOG_INFO);
        if (argc != 4)
                return 2;
        if (ctl_varlink_transport_new(argv[1], &t) < 0)
                return 2;
        if (g_str_equal(argv[2], "--monitor")) {
                int left = atoi(argv[3]);

                r = t->ops->monitor(t, print_event, &left);
                ctl_transport_free(t);
                return r < 0 ? 2 : 0;
        }
        params = json_loads(argv[3], 0, &jerr);
        r = t->ops->call(t, argv[2], params, false, &reply, &error);
        json_decref(params);
        ctl_transport_free(t);
        if (r < 0)
                return 2;
        if (r > 0) {
                printf("error %s %s\n", error.name, error.message ?: "");
                g_free(error.name);
                g_free(error.message);
                json_decref(error.parameters);
                return 1;
        }
        char *text = json_dumps(reply, JSON_SORT_KEYS);
        printf("%s\n", text);
        free(text);
        json_decref(reply);
        return 0;
}
