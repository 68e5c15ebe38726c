/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Human output of portcullisctl: aligned tables, colour and a pager only on a terminal (like systemctl),
 * and time formatting. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "macro.h"

bool ctl_colors(void) {
        static int cached = -1;

        if (cached < 0) {
                const char *term = getenv("TERM");

                cached = isatty(STDOUT_FILENO) > 0 && !getenv("NO_COLOR") && !streq_ptr(term, "dumb");
        }
        return cached;
}

const char *ctl_ansi(const char *code) {
        return ctl_colors() ? code : "";
}

/* ---- pager ------------------------------------------------------------------------------------------- */

static pid_t pager_pid = 0;

void ctl_pager_open(const CtlOptions *o) {
        int fds[2];
        pid_t pid;

        if (o->no_pager || o->json || pager_pid > 0 || isatty(STDOUT_FILENO) <= 0)
                return;
        if (streq_ptr(getenv("PORTCULLIS_PAGER") ?: getenv("PAGER"), "cat"))
                return;
        fflush(stdout);
        if (pipe(fds) < 0)
                return;
        pid = fork();
        if (pid < 0) {
                close(fds[0]);
                close(fds[1]);
                return;
        }
        if (pid == 0) {
                const char *pager = getenv("PORTCULLIS_PAGER") ?: getenv("PAGER");

                dup2(fds[0], STDIN_FILENO);
                close(fds[0]);
                close(fds[1]);
                /* less: quit if one screen, raw colour codes, no init/deinit, like systemd's defaults */
                setenv("LESS", "FRSXMK", false);
                if (!isempty(pager))
                        execl("/bin/sh", "sh", "-c", pager, (char *) NULL);
                execlp("less", "less", (char *) NULL);
                execlp("more", "more", (char *) NULL);
                /* no pager at all: copy through */
                execlp("cat", "cat", (char *) NULL);
                _exit(EXIT_FAILURE);
        }
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        pager_pid = pid;
}

void ctl_pager_close(void) {
        if (pager_pid <= 0)
                return;
        fflush(stdout);
        fclose(stdout);
        (void) waitpid(pager_pid, NULL, 0);
        pager_pid = 0;
}

/* ---- tables ------------------------------------------------------------------------------------------ */

CtlTable *ctl_table_new(size_t n_columns, ...) {
        CtlTable *t = g_new0(CtlTable, 1);
        va_list ap;

        t->n_columns = n_columns;
        t->cells = g_ptr_array_new_with_free_func(g_free);
        va_start(ap, n_columns);
        for (size_t i = 0; i < n_columns; i++)
                g_ptr_array_add(t->cells, g_strdup(va_arg(ap, const char *)));
        va_end(ap);
        return t;
}

void ctl_table_free(CtlTable *t) {
        if (!t)
                return;
        g_ptr_array_unref(t->cells);
        g_free(t);
}

/* Takes ownership of the n_columns strings. */
void ctl_table_add_row(CtlTable *t, ...) {
        va_list ap;

        va_start(ap, t);
        for (size_t i = 0; i < t->n_columns; i++) {
                char *s = va_arg(ap, char *);

                g_ptr_array_add(t->cells, s ?: g_strdup(""));
        }
        va_end(ap);
}

size_t ctl_table_rows(const CtlTable *t) {
        return t->cells->len / t->n_columns - 1;
}

void ctl_table_print(const CtlTable *t, bool legend) {
        g_autofree size_t *width = g_new0(size_t, t->n_columns);
        size_t n_rows = t->cells->len / t->n_columns;

        for (size_t r = legend ? 0 : 1; r < n_rows; r++)
                for (size_t c = 0; c < t->n_columns; c++)
                        width[c] = MAX(width[c], (size_t) g_utf8_strlen(t->cells->pdata[r * t->n_columns + c], -1));

        for (size_t r = legend ? 0 : 1; r < n_rows; r++) {
                if (r == 0)
                        fputs(ctl_ansi(ANSI_BOLD_UNDERLINE), stdout);
                for (size_t c = 0; c < t->n_columns; c++) {
                        const char *s = t->cells->pdata[r * t->n_columns + c];

                        if (c + 1 == t->n_columns)
                                fputs(s, stdout);
                        else
                                printf("%s%*s ", s, (int) (width[c] - g_utf8_strlen(s, -1)), "");
                }
                if (r == 0)
                        fputs(ctl_ansi(ANSI_NORMAL), stdout);
                putchar('\n');
        }
}

/* ---- time -------------------------------------------------------------------------------------------- */

char *ctl_format_timestamp(int64_t usec) {
        char buf[64];
        struct tm tm;
        time_t sec;

        if (usec < 0)
                return g_strdup("never");
        if (usec == 0)
                return g_strdup("n/a");
        sec = (time_t) (usec / 1000000);
        if (!localtime_r(&sec, &tm) || strftime(buf, sizeof buf, "%a %Y-%m-%d %H:%M:%S %Z", &tm) == 0)
                return g_strdup_printf("@%" G_GINT64_FORMAT, usec / 1000000);
        return g_strdup(buf);
}

char *ctl_format_duration(int64_t usec) {
        char buf[DURATION_STRING_MAX];

        return g_strdup(format_duration(buf, sizeof buf, usec < 0 ? USEC_INFINITY : (usec_t) usec));
}
