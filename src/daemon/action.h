/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "action-spec.h"

/* The action runtime: every configured action (hostsdeny, mail, webhook, abuseipdb, blocklistde,
 * command) of every jail runs its hooks as jobs on the one sd-event loop, and nothing waits:
 *
 *   action_run(a, event)            builds the job now (templates expanded with the event), queues it
 *     → exec job:  fork + execve (no shell), watched with sd_event_add_child (pidfd), stdin/stdout in
 *                  memfds, killed at the timeout
 *     → HTTP/SMTP: one libcurl easy handle in the runner's curl multi, driven by sd-event io and time
 *                  sources through curl_multi_socket_action(); CURLOPT_TIMEOUT_MS is the timeout
 *     → local:     hosts.deny edit, done at once; a lock held by someone else is retried 20 ms later
 *   job failed → one structured warning (MESSAGE_ID_ACTION_FAILED) and a retry after
 *                backoff · 2^(attempt-1) (at most 10 min), up to retries= attempts in all.
 *
 * Bounds: each action has its own queue (queue= jobs, default 1000; when full the oldest waiting job
 * is dropped and that is logged) and runs at most 4 jobs at a time, so a hanging server stalls only
 * its own action; mail and webhook collect bans for digest= (then one message per jail and window);
 * abuseipdb/blocklistde report an address at most once per interval=.
 *
 * The daemon's ban never waits for any of this: the Manager tells the action layer after the nft
 * transaction went through (action-manager.c, a ManagerListener). */

typedef struct ActionRunner ActionRunner;
typedef struct Action Action;

/* Told about every finished attempt (success or failure), e.g. for portcullisctl test-action. ERROR
 * is a text for failures, NULL on success. FINAL is true when no retry follows. */
typedef void (*ActionResultFn)(Action *a, ActionHook hook, bool success, bool final, const char *error,
                               void *userdata);

/* Blocks SIGCHLD (sd-event's child sources need it) and sets up libcurl. */
int action_runner_new(sd_event *event, ActionRunner **ret);
ActionRunner *action_runner_free(ActionRunner *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(ActionRunner *, action_runner_free);
void action_runner_set_result_callback(ActionRunner *r, ActionResultFn fn, void *userdata);
/* Jobs queued, running or waiting for a retry, over all actions (digests waiting not counted). */
size_t action_runner_busy(const ActionRunner *r);

/* A configured action of JAIL. SPEC is copied (by reference count of its args). Returns -EINVAL with
 * *ret_error for a configuration that only shows at run time (unknown user=, command not found). */
int action_new(ActionRunner *r, const char *jail, const ActionSpec *spec, Action **ret, char **ret_error);
/* Frees the action; its running jobs are cancelled (children killed, transfers aborted). */
Action *action_free(Action *a);
const char *action_name(const Action *a);
const char *action_jail(const Action *a);
/* Overrides retries= (attempts in all, >= 1). */
void action_set_attempts(Action *a, unsigned attempts);

/* Queues hook E->hook with the event's values. Returns 1 when a job was queued, 0 when the action does
 * nothing for this hook (or the event went into a digest, or was rate-limited), negative errno on a
 * failure to build the job (logged by the caller). */
int action_run(Action *a, const ActionEvent *e);
/* Sends pending digests now (before stop). */
void action_flush(Action *a);
