/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "time-util.h"

/* fail2ban's month and year: 30.4375 and 365.25 days (both whole seconds). */
#define USEC_PER_MONTH (2629800ULL * USEC_PER_SEC)
#define USEC_PER_YEAR (31557600ULL * USEC_PER_SEC)

usec_t now_usec(clockid_t clock) {
        struct timespec ts = {};

        /* Only fails for an invalid clock id: a programming error. */
        if (clock_gettime(clock, &ts) < 0)
                assert(!"clock_gettime() failed");

        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

typedef struct DurationUnit {
        const char *name;
        usec_t usec;
} DurationUnit;

/* Matched case-insensitively against the whole word that follows a number. */
static const DurationUnit duration_units[] = {
        { "us",      1ULL            },
        { "usec",    1ULL            },
        { "ms",      USEC_PER_MSEC   },
        { "msec",    USEC_PER_MSEC   },
        { "s",       USEC_PER_SEC    },
        { "sec",     USEC_PER_SEC    },
        { "secs",    USEC_PER_SEC    },
        { "second",  USEC_PER_SEC    },
        { "seconds", USEC_PER_SEC    },
        { "m",       USEC_PER_MINUTE },
        { "min",     USEC_PER_MINUTE },
        { "mins",    USEC_PER_MINUTE },
        { "minute",  USEC_PER_MINUTE },
        { "minutes", USEC_PER_MINUTE },
        { "h",       USEC_PER_HOUR   },
        { "hr",      USEC_PER_HOUR   },
        { "hour",    USEC_PER_HOUR   },
        { "hours",   USEC_PER_HOUR   },
        { "d",       USEC_PER_DAY    },
        { "day",     USEC_PER_DAY    },
        { "days",    USEC_PER_DAY    },
        { "w",       USEC_PER_WEEK   },
        { "week",    USEC_PER_WEEK   },
        { "weeks",   USEC_PER_WEEK   },
        { "mo",      USEC_PER_MONTH  },
        { "mon",     USEC_PER_MONTH  },
        { "month",   USEC_PER_MONTH  },
        { "months",  USEC_PER_MONTH  },
        { "y",       USEC_PER_YEAR   },
        { "year",    USEC_PER_YEAR   },
        { "years",   USEC_PER_YEAR   },
};

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

static bool is_alpha(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_space(char c) {
        return c == ' ' || c == '\t';
}

static char to_lower(char c) {
        return c >= 'A' && c <= 'Z' ? (char) (c - 'A' + 'a') : c;
}

static int lookup_unit(const char *word, size_t len, usec_t *ret) {
        for (size_t i = 0; i < ELEMENTSOF(duration_units); i++) {
                const char *name = duration_units[i].name;
                size_t j;

                if (strlen(name) != len)
                        continue;
                for (j = 0; j < len; j++)
                        if (to_lower(word[j]) != name[j])
                                break;
                if (j == len) {
                        *ret = duration_units[i].usec;
                        return 0;
                }
        }

        return -EINVAL;
}

/* One "NUMBER[.FRACTION][ ][UNIT]" component starting at *p (no leading space). Advances *p. */
static int parse_component(const char **p, usec_t *ret, bool *ret_has_unit) {
        const char *s = *p, *word;
        usec_t whole = 0, unit = USEC_PER_SEC, v, frac = 0, scale;
        const char *frac_start = NULL;
        int r;

        if (!is_digit(*s))
                return -EINVAL;

        for (; is_digit(*s); s++) {
                usec_t d = (usec_t) (*s - '0');

                if (whole > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                whole = whole * 10 + d;
        }

        if (*s == '.') {
                s++;
                if (!is_digit(*s))
                        return -EINVAL;
                frac_start = s;
                while (is_digit(*s))
                        s++;
        }

        /* The unit may follow after blanks ("2 hours"); a number without a unit is seconds. */
        word = s;
        while (is_space(*word))
                word++;
        if (is_alpha(*word)) {
                size_t len = 0;

                while (is_alpha(word[len]))
                        len++;
                r = lookup_unit(word, len, &unit);
                if (r < 0)
                        return r;
                s = word + len;
                *ret_has_unit = true;
        } else
                *ret_has_unit = false;

        if (whole > UINT64_MAX / unit)
                return -ERANGE;
        v = whole * unit;

        /* Fraction digits, each worth a tenth of the previous; past µs resolution they are ignored. */
        if (frac_start) {
                scale = unit;
                for (const char *f = frac_start; is_digit(*f) && scale >= 10; f++) {
                        scale /= 10;
                        frac += (usec_t) (*f - '0') * scale;
                }
                if (v > UINT64_MAX - frac)
                        return -ERANGE;
                v += frac;
        }

        *p = s;
        *ret = v;
        return 0;
}

int parse_duration(const char *s, usec_t *ret) {
        usec_t total = 0, v;
        bool negative = false;
        int r;

        assert(s);
        assert(ret);

        while (is_space(*s))
                s++;

        /* What format_duration() prints for USEC_INFINITY reads back as such. */
        if (strncmp(s, "permanent", 9) == 0) {
                for (const char *p = s + 9; *p; p++)
                        if (!is_space(*p))
                                return -EINVAL;
                *ret = USEC_INFINITY;
                return 0;
        }

        if (*s == '-') {
                negative = true;
                s++;
        }
        if (!*s)
                return -EINVAL;

        /* Components, optionally separated by blanks: "1h30m", "1h 30m", "1d12h", "1.5h". */
        while (*s) {
                bool has_unit;

                r = parse_component(&s, &v, &has_unit);
                if (r < 0)
                        return r;

                if (total > UINT64_MAX - v)
                        return -ERANGE;
                total += v;

                while (is_space(*s))
                        s++;

                /* A bare number is seconds, but only at the end ("1h30"): "10 30" is a typo. */
                if (!has_unit && *s)
                        return -EINVAL;
        }

        /* fail2ban writes permanent bans as a negative ban time ("-1"). */
        if (negative && total > 0) {
                *ret = USEC_INFINITY;
                return 0;
        }

        /* USEC_INFINITY means "permanent": a finite text must not alias it. */
        if (total == USEC_INFINITY)
                return -ERANGE;

        *ret = total;
        return 0;
}

char *format_duration(char *buf, size_t size, usec_t t) {
        static const DurationUnit table[] = {
                { "y",     USEC_PER_YEAR   },
                { "month", USEC_PER_MONTH  },
                { "w",     USEC_PER_WEEK   },
                { "d",     USEC_PER_DAY    },
                { "h",     USEC_PER_HOUR   },
                { "min",   USEC_PER_MINUTE },
                { "s",     USEC_PER_SEC    },
                { "ms",    USEC_PER_MSEC   },
                { "us",    1ULL            },
        };
        size_t l = 0;

        assert(buf);
        assert(size > 0);

        if (t == USEC_INFINITY) {
                snprintf(buf, size, "permanent");
                return buf;
        }
        if (t == 0) {
                snprintf(buf, size, "0s");
                return buf;
        }

        /* Every non-zero unit, largest first, so that parse_duration() reads back the exact value. */
        buf[0] = 0;
        for (size_t i = 0; i < ELEMENTSOF(table) && t > 0; i++) {
                usec_t n = t / table[i].usec;
                int k;

                if (n == 0)
                        continue;
                t -= n * table[i].usec;

                k = snprintf(buf + l, size - l, "%s%llu%s", l > 0 ? " " : "", (unsigned long long) n,
                             table[i].name);
                if (k < 0 || (size_t) k >= size - l)
                        break; /* truncated: buf holds as much as fits, NUL-terminated */
                l += (size_t) k;
        }

        return buf;
}

int parse_timestamp(const char *s, usec_t now, usec_t *ret) {
        static const char *const formats[] = { "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S",
                                               "%Y-%m-%d" };
        usec_t d;

        if (!s || !*s)
                return -EINVAL;
        if (streq(s, "now")) {
                *ret = now;
                return 0;
        }
        if (s[0] == '@') { /* seconds since the epoch, fraction allowed */
                char *end;
                double v;

                errno = 0;
                v = strtod(s + 1, &end);
                if (errno != 0 || end == s + 1 || *end || v < 0 || v > 1e11)
                        return -EINVAL;
                *ret = (usec_t) (v * (double) USEC_PER_SEC + 0.5);
                return 0;
        }
        if (s[0] == '-' || s[0] == '+') { /* relative to now: "-1h", "+10min" */
                if (parse_duration(s + 1, &d) < 0 || d == USEC_INFINITY)
                        return -EINVAL;
                if (s[0] == '-')
                        *ret = d > now ? 0 : now - d;
                else
                        *ret = now + d;
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(formats); i++) {
                struct tm tm = { .tm_isdst = -1 };
                const char *end = strptime(s, formats[i], &tm);
                time_t t;

                if (!end || *end)
                        continue;
                t = mktime(&tm); /* local time, like journalctl --since */
                if (t == (time_t) -1 || t < 0)
                        return -EINVAL;
                *ret = (usec_t) t * USEC_PER_SEC;
                return 0;
        }
        return -EINVAL;
}
