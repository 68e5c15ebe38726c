/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include "log.h"

static const char *log_ident = "portcullis";
static LogTarget log_target = LOG_TARGET_CONSOLE;
static int log_max_level = LOG_INFO;

static const char *const log_target_table[_LOG_TARGET_MAX] = {
        [LOG_TARGET_AUTO] = "auto",
        [LOG_TARGET_JOURNAL] = "journal",
        [LOG_TARGET_CONSOLE] = "console",
};

LogTarget log_target_from_string(const char *s) {
        for (int i = 0; i < _LOG_TARGET_MAX; i++)
                if (streq_ptr(s, log_target_table[i]))
                        return (LogTarget) i;
        return _LOG_TARGET_INVALID;
}

int log_level_from_string(const char *s) {
        static const char *const names[] = { "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug" };
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (streq_ptr(s, names[i]))
                        return (int) i;
        if (streq_ptr(s, "error"))
                return LOG_ERR;
        if (streq_ptr(s, "warn"))
                return LOG_WARNING;
        return -EINVAL;
}

/* stderr is the journal when $JOURNAL_STREAM names its device and inode (systemd sets it for services
 * whose StandardError= is the journal). */
static bool stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
}

void log_setup(const char *ident, LogTarget target, int max_level) {
        if (ident)
                log_ident = ident;
        if (target == LOG_TARGET_AUTO)
                target = stderr_is_journal() ? LOG_TARGET_JOURNAL : LOG_TARGET_CONSOLE;
        log_target = target;
        if (max_level >= 0)
                log_max_level = max_level;
}

int log_get_max_level(void) {
        return log_max_level;
}

int log_internal(int level, int error, const char *file, int line, const char *func, const char *format, ...) {
        int saved = errno, e = error < 0 ? -error : error;
        char buf[2048];
        va_list ap;

        if (level > log_max_level)
                return -e;

        errno = e;
        va_start(ap, format);
        (void) vsnprintf(buf, sizeof buf, format, ap);
        va_end(ap);

        if (log_target == LOG_TARGET_JOURNAL) {
                char errno_field[32], code_file[256], code_line[32];

                (void) snprintf(errno_field, sizeof errno_field, "ERRNO=%i", e);
                (void) snprintf(code_file, sizeof code_file, "CODE_FILE=%s", file);
                (void) snprintf(code_line, sizeof code_line, "CODE_LINE=%i", line);
                (void) sd_journal_send_with_location(code_file, code_line, func ? func : "",
                                                     "MESSAGE=%s", buf,
                                                     "PRIORITY=%i", level,
                                                     "SYSLOG_IDENTIFIER=%s", log_ident,
                                                     e > 0 ? errno_field : NULL,
                                                     NULL);
        } else
                (void) fprintf(stderr, "%s: %s\n", log_ident, buf);

        errno = saved;
        return -e;
}

int log_event(int level, const char *message, const char *const *fields) {
        size_t n = 0;
        int r;

        while (fields && fields[n])
                n++;

        /* MESSAGE, PRIORITY, SYSLOG_IDENTIFIER + the caller's fields */
        struct iovec iov[n + 3];
        char prio[32], ident[128];
        _cleanup_free_ char *msg = NULL;

        if (asprintf(&msg, "MESSAGE=%s", message) < 0)
                return -ENOMEM;
        (void) snprintf(prio, sizeof prio, "PRIORITY=%i", level);
        (void) snprintf(ident, sizeof ident, "SYSLOG_IDENTIFIER=%s", log_ident);
        iov[0] = (struct iovec) { .iov_base = msg, .iov_len = strlen(msg) };
        iov[1] = (struct iovec) { .iov_base = prio, .iov_len = strlen(prio) };
        iov[2] = (struct iovec) { .iov_base = ident, .iov_len = strlen(ident) };
        for (size_t i = 0; i < n; i++)
                iov[i + 3] = (struct iovec) { .iov_base = (char *) fields[i], .iov_len = strlen(fields[i]) };

        r = sd_journal_sendv(iov, (int) (n + 3));
        if (log_target == LOG_TARGET_CONSOLE && level <= log_max_level)
                (void) fprintf(stderr, "%s: %s\n", log_ident, message);
        return r;
}
