/* SPDX-License-Identifier: GPL-2.0-or-later */
/* portcullisctl test-filter: run one filter over journal entries offline, like fail2ban-regex for the
 * journal. Uses exactly the daemon's path (journal-entry line, filter engine), so what matches here
 * matches in the daemon. */
#include <glib.h>
#include <jansson.h>
#include <stdio.h>
#include <time.h>
#include <systemd/sd-journal.h>

#include "ctl.h"
#include "filter.h"
#include "journal-entry.h"
#include "journal-match.h"
#include "log.h"

typedef struct Counts {
        uint64_t read, matched, ignored, no_address, limit, skipped;
        uint64_t *per_regex;
} Counts;

/* Text of an address, formatted once per distinct address: an attack repeats its address, and inet_ntop()
 * costs as much as all the rest of a match's output line. The cache is dropped when it grows large. */
static const char *address_text(GHashTable **cache, const Address *a) {
        char buf[ADDRESS_STRING_MAX];
        const char *s;
        Address *key;

        if (!*cache)
                *cache = g_hash_table_new_full(address_hash, address_equal_func, g_free, g_free);
        s = g_hash_table_lookup(*cache, a);
        if (s)
                return s;
        if (g_hash_table_size(*cache) >= 65536)
                g_hash_table_remove_all(*cache);
        key = g_memdup2(a, sizeof(Address));
        s = g_strdup(address_to_string(a, buf));
        g_hash_table_insert(*cache, key, (char *) s);
        return s;
}

static void print_padded(FILE *f, const char *s, size_t width) {
        size_t n = strlen(s);

        fwrite_unlocked(s, 1, n, f);
        for (; n < width; n++)
                fputc_unlocked(' ', f);
}

/* "YYYY-mm-dd HH:MM:SS.uuuuuu": the part down to the second is formatted once per second (matches come in
 * runs, and localtime_r() + strftime() cost more than the rest of a line's output). */
static void print_match(FILE *f, GHashTable **cache, usec_t t, const Address *a, const char *user,
                        const char *line, size_t line_len) {
        static time_t cached_sec = -1;
        static char cached[32];
        time_t sec = (time_t) (t / USEC_PER_SEC);
        struct tm tm;

        if (sec != cached_sec) {
                if (!localtime_r(&sec, &tm) || strftime(cached, sizeof cached, "%Y-%m-%d %H:%M:%S", &tm) == 0)
                        (void) snprintf(cached, sizeof cached, "@%lld", (long long) sec);
                cached_sec = sec;
        }
        /* unlocked stdio and padding by hand: fprintf() was a third of the cost of a match's line */
        char usec[8] = { '.' };
        unsigned u = (unsigned) (t % USEC_PER_SEC);
        for (int i = 6; i >= 1; i--, u /= 10)
                usec[i] = (char) ('0' + u % 10);
        fputs_unlocked(cached, f);
        fwrite_unlocked(usec, 1, 7, f);
        fputs_unlocked("  ", f);
        print_padded(f, address_text(cache, a), 15);
        fputs_unlocked("  ", f);
        print_padded(f, user ? user : "-", 12);
        fputs_unlocked("  ", f);
        fwrite_unlocked(line, 1, line_len, f);
        fputc_unlocked('\n', f);
}

static int print_json_entry(uint64_t index, int result, const FilterMatch *m, usec_t t) {
        char addr[ADDRESS_STRING_MAX];
        json_t *o;
        bool matched = result == FILTER_FAILURE;

        o = json_pack("{s:I, s:b, s:s?, s:s?, s:f}",
                      "index", (json_int_t) index,
                      "matched", matched,
                      "host", matched ? address_to_string(&m->address, addr) : NULL,
                      "user", matched ? m->user : NULL,
                      "time", (double) t / 1e6);
        if (!o)
                return -ENOMEM;
        if (json_dumpf(o, stdout, JSON_COMPACT | JSON_REAL_PRECISION(17)) < 0) {
                json_decref(o);
                return -EIO;
        }
        json_decref(o);
        fputc('\n', stdout);
        return 0;
}

static int open_journal(char **files, const char *directory, sd_journal **ret) {
        int r;

        if (directory)
                r = sd_journal_open_directory(ret, directory, 0);
        else
                r = sd_journal_open_files(ret, (const char **) files, 0);
        if (r < 0)
                return log_error_errno(r, "Failed to open journal %s: %m", directory ? directory : files[0]);
        r = journal_entry_setup(*ret);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the journal: %m");
        return 0;
}

int verb_test_filter(int n_args, char **args, const CtlOptions *o) {
        _cleanup_(sd_journal_closep) sd_journal *j = NULL;
        g_autoptr(GHashTable) address_cache = NULL;
        g_autofree char *error = NULL;
        FilterDef *def = NULL;
        Filter *filter = NULL;
        JournalMatch *match = NULL;
        JournalEntry entry = {};
        Counts counts = {};
        int r, ret = CTL_EXIT_FAILURE;

        if (n_args != 2) {
                log_error("Usage: portcullisctl test-filter FILTER[k=v,...] (--journal-file=FILE... | "
                          "--journal-directory=DIR) [--match=FIELD=VALUE...] [--filter-dir=DIR] [--json]");
                return CTL_EXIT_USAGE;
        }
        if (!!o->journal_files == !!o->journal_directory) {
                log_error("Exactly one of --journal-file= (may repeat) and --journal-directory= is needed.");
                return CTL_EXIT_USAGE;
        }

        ConfigPaths paths = ctl_config_paths(o);
        r = config_load_filter(&paths, args[1], &def, &error);
        if (r < 0) {
                log_error("%s", error ? error : strerror(-r));
                return r == -ENOENT ? CTL_EXIT_NOT_FOUND : CTL_EXIT_FAILURE;
        }
        g_clear_pointer(&error, g_free);
        r = filter_new(def, &filter, &error);
        if (r < 0) {
                log_error("%s", error ? error : strerror(-r));
                goto finish;
        }
        g_clear_pointer(&error, g_free);
        r = journal_match_parse(o->match ? o->match : def->journalmatch, &match, &error);
        if (r < 0) {
                if (o->match)
                        log_error("--match: %s", error);
                else
                        log_error("%s:%u: %s", def->journalmatch_file ? def->journalmatch_file : def->file,
                                  def->journalmatch_line, error);
                goto finish;
        }

        counts.per_regex = calloc(MAX(def->n_failregex, (size_t) 1), sizeof(uint64_t));
        if (!counts.per_regex) {
                log_oom();
                goto finish;
        }

        if (open_journal(o->journal_files, o->journal_directory, &j) < 0)
                goto finish;
        r = journal_match_add(match, j);
        if (r < 0) {
                log_error_errno(r, "Failed to add journal match: %m");
                goto finish;
        }

        /* large writes: a journal with many matches prints megabytes */
        (void) setvbuf(stdout, NULL, _IOFBF, 256 * 1024);
        if (!o->json && !o->quiet)
                printf("Filter %s (%s), journal match: %s\n", args[1], def->file,
                       isempty(match->text) ? "(none: every entry)" : match->text);

        SD_JOURNAL_FOREACH(j) {
                FilterMatch m = {};
                usec_t t = 0;
                int result = FILTER_NO_MATCH;

                r = journal_entry_load(&entry, j);
                if (r < 0) {
                        log_warning_errno(r, "Failed to read journal entry, skipping: %m");
                        counts.skipped++;
                        continue;
                }
                if (r == 0)
                        counts.skipped++;
                else {
                        result = filter_match(filter, entry.line, entry.line_len, &m);
                        if (result < 0) {
                                log_error_errno(result, "Failed to match: %m");
                                goto finish;
                        }
                }
                switch (result) {
                case FILTER_FAILURE:
                        counts.matched++;
                        if (m.regex_index >= 0 && (size_t) m.regex_index < def->n_failregex)
                                counts.per_regex[m.regex_index]++;
                        break;
                case FILTER_IGNORED:
                        counts.ignored++;
                        break;
                case FILTER_NO_ADDRESS:
                        counts.no_address++;
                        break;
                case FILTER_LIMIT:
                        counts.limit++;
                        break;
                default:
                        break;
                }

                if (o->json || (result == FILTER_FAILURE && !o->quiet)) {
                        r = journal_entry_get_time(&entry, j, &t);
                        if (r < 0) {
                                log_error_errno(r, "Failed to read entry time: %m");
                                filter_match_done(&m);
                                goto finish;
                        }
                }
                if (o->json) {
                        r = print_json_entry(counts.read, result, &m, t);
                        if (r < 0) {
                                log_error_errno(r, "Failed to write JSON: %m");
                                filter_match_done(&m);
                                goto finish;
                        }
                } else if (result == FILTER_FAILURE && !o->quiet)
                        print_match(stdout, &address_cache, t, &m.address, m.user, entry.line, entry.line_len);
                filter_match_done(&m);
                counts.read++;
        }

        if (!o->json) {
                printf("\nEntries: %" PRIu64 " read, %" PRIu64 " matched, %" PRIu64 " ignored, %" PRIu64
                       " without address, %" PRIu64 " over the match limit, %" PRIu64 " skipped\n",
                       counts.read, counts.matched, counts.ignored, counts.no_address, counts.limit,
                       counts.skipped);
                if (!o->quiet)
                        for (size_t i = 0; i < def->n_failregex; i++)
                                printf("  failregex #%zu  %8" PRIu64 " hits  %s:%u\n", i + 1, counts.per_regex[i],
                                       def->failregex[i].file, def->failregex[i].line);
        }
        ret = CTL_EXIT_OK;

finish:
        fflush(stdout);
        journal_entry_done(&entry);
        free(counts.per_regex);
        journal_match_free(match);
        filter_free(filter);
        filter_def_free(def);
        return ret;
}
