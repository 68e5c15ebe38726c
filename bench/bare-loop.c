/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The yardstick of the matching benchmark: the plainest fast loop a C programmer would write to find sshd
 * failures in a journal. It adds the same journal match as our sshd filter, walks the index-matched entries
 * with sd_journal_next(), reads MESSAGE and runs four PCRE2-JIT regexes on it, capturing the address.
 *
 *     bare-loop FILE...            (the journal files to read, as sd_journal_open_files() takes them)
 *     bare-loop --directory DIR
 *
 * Prints what it read and matched, the time spent and entries/s, then one machine-readable line
 * "RESULT read=N matched=N seconds=S". */

#define PCRE2_CODE_UNIT_WIDTH 8

#include <inttypes.h>
#include <pcre2.h>
#include <systemd/sd-journal.h>
#include <time.h>

#include "macro.h"

/* The journal match of filters/sshd.conf, in journalctl syntax; "+" starts a new OR group. */
static const char *const sshd_match[] = {
        "_SYSTEMD_UNIT=ssh.service",
        "_SYSTEMD_UNIT=sshd.service",
        "+",
        "_EXE=/usr/sbin/sshd",
        "_EXE=/usr/lib/openssh/sshd-session",
        "_EXE=/usr/libexec/openssh/sshd-session",
        "_EXE=/usr/lib/openssh/sshd-auth",
        "_EXE=/usr/libexec/openssh/sshd-auth",
};

/* The common OpenSSH failures; capture group "addr" is the remote address. */
static const char *const sshd_regex[] = {
        "^Failed (?:password|publickey|keyboard-interactive/pam|none) for (?:invalid user )?\\S* from "
        "(?<addr>[0-9A-Fa-f.:]+) port \\d+",
        "^Invalid user \\S* from (?<addr>[0-9A-Fa-f.:]+) port \\d+",
        "^(?:error: )?maximum authentication attempts exceeded for (?:invalid user )?\\S* from "
        "(?<addr>[0-9A-Fa-f.:]+) port \\d+",
        "^pam_unix\\(sshd:auth\\): authentication failure;.* rhost=(?<addr>[0-9A-Fa-f.:]+)",
};

#define N_REGEX ELEMENTSOF(sshd_regex)

static void pcre2_code_freep(pcre2_code **p) {
        if (*p)
                pcre2_code_free(*p);
}

static void pcre2_match_data_freep(pcre2_match_data **p) {
        if (*p)
                pcre2_match_data_free(*p);
}

static uint64_t now_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * UINT64_C(1000000) + (uint64_t) ts.tv_nsec / 1000;
}

static int add_match(sd_journal *j) {
        int r;

        for (size_t i = 0; i < ELEMENTSOF(sshd_match); i++) {
                if (streq(sshd_match[i], "+"))
                        r = sd_journal_add_disjunction(j);
                else
                        r = sd_journal_add_match(j, sshd_match[i], 0);
                if (r < 0)
                        return r;
        }

        return 0;
}

static int compile_regex(const char *pattern, pcre2_code **ret) {
        _cleanup_(pcre2_code_freep) pcre2_code *re = NULL;
        PCRE2_SIZE erroffset;
        int errcode;

        re = pcre2_compile((PCRE2_SPTR) pattern, PCRE2_ZERO_TERMINATED, 0, &errcode, &erroffset, NULL);
        if (!re) {
                PCRE2_UCHAR buf[256];

                (void) pcre2_get_error_message(errcode, buf, sizeof buf);
                fprintf(stderr, "Failed to compile regex at offset %zu: %s\n", (size_t) erroffset, buf);
                return -EINVAL;
        }

        if (pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) < 0) {
                fprintf(stderr, "PCRE2 JIT not available\n");
                return -EOPNOTSUPP;
        }

        *ret = TAKE_PTR(re);
        return 0;
}

int main(int argc, char *argv[]) {
        _cleanup_(sd_journal_closep) sd_journal *j = NULL;
        _cleanup_(pcre2_match_data_freep) pcre2_match_data *md = NULL;
        pcre2_code *re[N_REGEX] = {};
        uint64_t per_regex[N_REGEX] = {}, n_read = 0, n_matched = 0, n_no_message = 0, addr_bytes = 0;
        uint64_t t_start, t_end;
        double seconds;
        int r;

        if (argc < 2 || streq(argv[1], "--help")) {
                fprintf(stderr, "Usage: %s FILE... | --directory DIR\n", argv[0]);
                return argc < 2 ? EXIT_FAILURE : EXIT_SUCCESS;
        }

        t_start = now_usec();

        for (size_t i = 0; i < N_REGEX; i++) {
                r = compile_regex(sshd_regex[i], &re[i]);
                if (r < 0)
                        goto finish;
        }

        md = pcre2_match_data_create(8, NULL);
        if (!md) {
                r = -ENOMEM;
                goto finish;
        }

        if (streq(argv[1], "--directory") && argc == 3)
                r = sd_journal_open_directory(&j, argv[2], 0);
        else
                r = sd_journal_open_files(&j, (const char **) argv + 1, 0);
        if (r < 0) {
                fprintf(stderr, "Failed to open journal: %s\n", strerror(-r));
                goto finish;
        }

        r = add_match(j);
        if (r < 0) {
                fprintf(stderr, "Failed to add journal match: %s\n", strerror(-r));
                goto finish;
        }

        for (;;) {
                const void *data;
                size_t length;

                r = sd_journal_next(j);
                if (r < 0) {
                        fprintf(stderr, "Failed to read journal: %s\n", strerror(-r));
                        goto finish;
                }
                if (r == 0)
                        break;

                n_read++;

                r = sd_journal_get_data(j, "MESSAGE", &data, &length);
                if (r < 0) {
                        n_no_message++;
                        continue;
                }

                const char *msg = (const char *) data + (sizeof("MESSAGE=") - 1);
                size_t msg_len = length - (sizeof("MESSAGE=") - 1);

                for (size_t i = 0; i < N_REGEX; i++) {
                        if (pcre2_match(re[i], (PCRE2_SPTR) msg, msg_len, 0, 0, md, NULL) < 0)
                                continue;

                        /* Take the address, as a real filter would. */
                        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
                        addr_bytes += ov[3] - ov[2];
                        per_regex[i]++;
                        n_matched++;
                        break;
                }
        }

        t_end = now_usec();
        seconds = (double) (t_end - t_start) / 1e6;

        printf("bare loop: read %" PRIu64 " index-matched entries, matched %" PRIu64 " (", n_read, n_matched);
        for (size_t i = 0; i < N_REGEX; i++)
                printf("%sregex %zu: %" PRIu64, i > 0 ? ", " : "", i, per_regex[i]);
        printf("), %" PRIu64 " without MESSAGE, %" PRIu64 " address bytes\n", n_no_message, addr_bytes);
        printf("bare loop: %.3f s, %.0f entries/s\n", seconds, seconds > 0 ? (double) n_read / seconds : 0.0);
        printf("RESULT read=%" PRIu64 " matched=%" PRIu64 " seconds=%.3f\n", n_read, n_matched, seconds);
        r = 0;

finish:
        for (size_t i = 0; i < N_REGEX; i++)
                pcre2_code_free(re[i]);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
