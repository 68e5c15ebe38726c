/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdarg.h>
#include <syslog.h>

#include "macro.h"

/* Logging for the daemon and the client. Targets:
 *   journal: native fields through sd_journal_send() (PRIORITY, CODE_FILE/LINE/FUNC, ERRNO)
 *   console: "portcullisd: text" on stderr
 *   auto:    journal when stderr is connected to the journal ($JOURNAL_STREAM matches), else console.
 * Structured events (ban, unban, …) use log_event(), which always writes them to the journal (they are
 * the audit trail) and also to the console when that is the target. */

typedef enum LogTarget {
        LOG_TARGET_AUTO,
        LOG_TARGET_JOURNAL,
        LOG_TARGET_CONSOLE,
        _LOG_TARGET_MAX,
        _LOG_TARGET_INVALID = -22,
} LogTarget;

LogTarget log_target_from_string(const char *s);
void log_setup(const char *ident, LogTarget target, int max_level);
int log_get_max_level(void);
int log_level_from_string(const char *s);

/* Returns -abs(error) (or 0 when error == 0), so that "return log_error_errno(r, …);" works.
 * errno is set to abs(error) while formatting, so %m prints the error's text. */
int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *format, ...) _printf_(6, 7);

#define log_full_errno(level, error, ...) \
        log_internal((level), (error), __FILE__, __LINE__, __func__, __VA_ARGS__)
#define log_debug(...) log_full_errno(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...) log_full_errno(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...) log_full_errno(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) log_full_errno(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...) log_full_errno(LOG_ERR, 0, __VA_ARGS__)
#define log_debug_errno(e, ...) log_full_errno(LOG_DEBUG, (e), __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, (e), __VA_ARGS__)
#define log_error_errno(e, ...) log_full_errno(LOG_ERR, (e), __VA_ARGS__)
#define log_oom() log_error_errno(ENOMEM, "Out of memory.")

/* A structured event: FIELDS is a NULL-terminated array of "KEY=value" strings (MESSAGE_ID=, JAIL=,
 * ADDRESS=, …); MESSAGE is the human text. Returns 0 or a negative errno from the journal. */
int log_event(int level, const char *message, const char *const *fields);
