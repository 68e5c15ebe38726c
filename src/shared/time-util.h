/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Time is usec_t (µs) everywhere; the unit is in the variable name (findtime_usec). */
typedef uint64_t usec_t;

#define USEC_INFINITY ((usec_t) UINT64_MAX)
#define USEC_PER_MSEC ((usec_t) 1000ULL)
#define USEC_PER_SEC ((usec_t) 1000000ULL)
#define USEC_PER_MINUTE (60ULL * USEC_PER_SEC)
#define USEC_PER_HOUR (60ULL * USEC_PER_MINUTE)
#define USEC_PER_DAY (24ULL * USEC_PER_HOUR)
#define USEC_PER_WEEK (7ULL * USEC_PER_DAY)

/* Enough for any duration formatted by format_duration(). */
#define DURATION_STRING_MAX 64

usec_t now_usec(clockid_t clock);

/* Parses a duration as fail2ban and portcullis configs write them:
 *   "600" (seconds), "10m", "1h30m", "1h 30m", "1d", "2w", "1mo", "1y", "90s", "1.5h",
 *   long unit names ("10 minutes", "1 hour", "2 days", "1 week", "1 month", "1 year"),
 *   "-1" (and any negative number): permanent → *ret = USEC_INFINITY.
 * Units: s/sec/second(s), m/min/minute(s), h/hour(s), d/day(s), w/week(s), mo/month(s) (30.4375 days),
 * y/year(s) (365.25 days). Returns 0, or -EINVAL on syntax error, -ERANGE on overflow. */
int parse_duration(const char *s, usec_t *ret);

/* A point in time as journalctl --since takes it: "2024-06-01", "2024-06-01 12:30", "2024-06-01 12:30:05",
 * "2024-06-01T12:30:05" (local time), "@1717243805.5" (seconds since the epoch), "now", "-1h" / "+10min"
 * (relative to NOW). *ret is CLOCK_REALTIME µs. Returns 0 or -EINVAL. */
int parse_timestamp(const char *s, usec_t now, usec_t *ret);

/* "1h 30min", "10min", "45s", "250ms", "permanent" for USEC_INFINITY. Returns buf. */
char *format_duration(char *buf, size_t size, usec_t t);
