/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <curl/curl.h>
#include <sys/types.h>

#include "action.h"

/* Internal to action.c (the runtime: queue, retries, children, libcurl) and action-jobs.c (what each
 * action type sends). */

typedef enum JobKind {
        JOB_EXEC,      /* argv (+ stdin) */
        JOB_HTTP,      /* url, method, headers, body */
        JOB_SMTP,      /* url, mail_from, rcpts, body (the whole message, CRLF) */
        JOB_HOSTSDENY, /* path, line, add */
} JobKind;

typedef struct ActionJob {
        Action *action;
        ActionHook hook;
        JobKind kind;
        char *address;  /* for the log; may be NULL */
        unsigned attempt;
        unsigned lock_waits;

        char **argv;
        char *body;     /* exec: stdin (may be NULL); http: request body; smtp: the message */
        size_t body_len;
        char *url;
        const char *method;  /* static */
        GPtrArray *headers;  /* "Name: value" */
        char *userpwd;       /* basic auth / SMTP login "user:password", or NULL */
        char *mail_from;
        GPtrArray *rcpts;
        char *line;          /* hosts.deny */
        bool add;

        /* while running or waiting */
        bool running, timed_out;
        pid_t pid;
        int out_fd;
        sd_event_source *child_source, *timer_source;
        CURL *easy;
        struct curl_slist *slist, *rcpt_slist;
        size_t upload_pos;
        GString *response;
} ActionJob;

struct Action {
        ActionRunner *runner;
        char *jail;
        ActionSpec *spec; /* own copy (args shared by reference) */
        usec_t timeout_usec, backoff_usec, digest_usec, interval_usec;
        unsigned attempts, queue_max, concurrency;
        bool notify_unban;
        bool set_user;
        uid_t uid;
        gid_t gid;

        GQueue waiting;      /* ActionJob *, to start */
        GHashTable *jobs;    /* every job of ours (set) */
        size_t n_running;
        usec_t drop_logged_usec;
        uint64_t n_dropped;

        GPtrArray *digest;   /* lines collected for the next digest (char *) */
        unsigned digest_events, digest_dropped;
        sd_event_source *digest_source;
        GHashTable *reported; /* address → usec_t * (CLOCK_MONOTONIC of the last report) */
};

struct ActionRunner {
        sd_event *event;
        CURLM *multi;
        sd_event_source *curl_timer;
        size_t busy;
        ActionResultFn result_fn;
        void *result_userdata;
};

ActionJob *action_job_new(Action *a, ActionHook hook, JobKind kind, const char *address);
ActionJob *action_job_free(ActionJob *j);
DEFINE_TRIVIAL_CLEANUP_FUNC(ActionJob *, action_job_free);

/* action-jobs.c: builds the job for event E of action A; DIGEST (may be NULL) is the collected text
 * of a digest. Returns 1 with *ret, 0 when the action does nothing for this hook, negative errno. */
int action_build_job(Action *a, const ActionEvent *e, const char *digest, ActionJob **ret);
/* Whether A collects E into a digest instead of sending it now. */
bool action_wants_digest(const Action *a, const ActionEvent *e);
/* The digest entry for E (several lines). */
char *action_digest_entry(const ActionEvent *e);
/* Executes a hosts.deny job now: 0, -EAGAIN when another writer holds the lock, or negative errno with
 * *ret_error. */
int action_hostsdeny_apply(const char *path, const char *line, bool add, char **ret_error);
