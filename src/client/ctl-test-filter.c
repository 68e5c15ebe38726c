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
#include "filter-feed.h"
#include "filter.h"
#include "filter-lint.h"
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

/* Log content is whatever an attacker wrote: bytes that are not UTF-8 become U+FFFD, so that the output
 * stays valid JSON (jansson refuses invalid UTF-8). */
static json_t *json_string_lossy(const char *s, size_t n) {
        g_autofree char *valid = g_utf8_make_valid(s, (gssize) n);

        return json_string(valid);
}

static int print_json_entry(uint64_t index, int result, const FilterMatch *m, usec_t t) {
        char addr[ADDRESS_STRING_MAX];
        bool matched = result == FILTER_FAILURE, captured = matched || result == FILTER_IGNORED ||
                                                            result == FILTER_NO_ADDRESS;
        json_t *o, *fields = NULL;

        if (captured) {
                fields = json_object();
                if (m->user)
                        json_object_set_new(fields, "user", json_string_lossy(m->user, strlen(m->user)));
                if (m->id)
                        json_object_set_new(fields, "id", json_string_lossy(m->id, strlen(m->id)));
                for (char **f = m->fields; f && *f; f++) {
                        const char *eq = strchr(*f, '=');
                        g_autofree char *name = g_strndup(*f, (gsize) (eq - *f));

                        json_object_set_new(fields, name, json_string_lossy(eq + 1, strlen(eq + 1)));
                }
        }
        o = json_pack("{s:I, s:b, s:s?, s:o?, s:f, s:s, s:o?, s:o?}",
                      "index", (json_int_t) index,
                      "matched", matched,
                      "host", matched ? address_to_string(&m->address, addr) : NULL,
                      "user", matched && m->user ? json_string_lossy(m->user, strlen(m->user)) : NULL,
                      "time", (double) t / 1e6,
                      "result", filter_result_to_string(result),
                      "regex", captured && m->regex_index >= 0 ? json_integer(m->regex_index) : NULL,
                      "fields", fields);
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

typedef struct Run {
        const CtlOptions *o;
        const FilterDef *def;
        Filter *filter;
        FilterFeed *feed; /* buffer and sessions of a multi-line filter, as the daemon keeps per jail */
        JournalEntry entry;
        Counts counts;
        GHashTable *address_cache;
} Run;

/* Which results are printed as lines (text output): the matches by default, or what --print-all-* asks. */
static bool run_prints(const Run *run, int result) {
        const CtlOptions *o = run->o;

        if (o->quiet)
                return false;
        if (!o->print_matched && !o->print_missed && !o->print_ignored)
                return result == FILTER_FAILURE;
        switch (result) {
        case FILTER_FAILURE:
                return o->print_matched;
        case FILTER_IGNORED:
                return o->print_ignored;
        default:
                return o->print_missed;
        }
}

/* One line (the entry's, or the one --message= built): match, count, print. J may be NULL. */
static int run_line(Run *run, sd_journal *j, bool loaded) {
        const CtlOptions *o = run->o;
        FilterMatch m = {};
        int result = FILTER_NO_MATCH, r;
        usec_t t = 0;

        if (!loaded)
                run->counts.skipped++;
        else if (run->feed) {
                /* sessions expire by the entries' own time, as in the daemon */
                r = j ? journal_entry_get_time(&run->entry, j, &t) : 0;
                if (r < 0)
                        return log_error_errno(r, "Failed to read entry time: %m");
                if (!j)
                        t = run->entry.time_usec;
                result = filter_feed_line(run->feed, run->filter, run->entry.line, run->entry.line_len, t, &m);
                if (result < 0)
                        return log_error_errno(result, "Failed to match: %m");
        } else {
                result = filter_match(run->filter, run->entry.line, run->entry.line_len, &m);
                if (result < 0)
                        return log_error_errno(result, "Failed to match: %m");
        }
        switch (result) {
        case FILTER_FAILURE:
                run->counts.matched++;
                if (m.regex_index >= 0 && (size_t) m.regex_index < run->def->n_failregex)
                        run->counts.per_regex[m.regex_index]++;
                break;
        case FILTER_IGNORED:
                run->counts.ignored++;
                break;
        case FILTER_NO_ADDRESS:
                run->counts.no_address++;
                break;
        case FILTER_LIMIT:
                run->counts.limit++;
                break;
        default:
                break;
        }

        bool print = loaded && run_prints(run, result);
        if (o->json || print) {
                r = j ? journal_entry_get_time(&run->entry, j, &t) : 0;
                if (r < 0) {
                        filter_match_done(&m);
                        return log_error_errno(r, "Failed to read entry time: %m");
                }
                if (!j)
                        t = run->entry.time_usec;
        }
        if (o->json) {
                r = print_json_entry(run->counts.read, result, &m, t);
                if (r < 0) {
                        filter_match_done(&m);
                        return log_error_errno(r, "Failed to write JSON: %m");
                }
        } else if (print) {
                if (result == FILTER_FAILURE)
                        print_match(stdout, &run->address_cache, t, &m.address, m.user, run->entry.line,
                                    run->entry.line_len);
                else {
                        printf("%-7s  ", result == FILTER_IGNORED ? "ignored" : result == FILTER_NO_ADDRESS ?
                               "no-addr" : result == FILTER_LIMIT ? "limit" : "missed");
                        fwrite(run->entry.line, 1, run->entry.line_len, stdout);
                        fputc('\n', stdout);
                }
        }
        filter_match_done(&m);
        run->counts.read++;
        return 0;
}

static int run_journal(Run *run, JournalMatch *match) {
        const CtlOptions *o = run->o;
        _cleanup_(sd_journal_closep) sd_journal *j = NULL;
        int r;

        r = open_journal(o->journal_files, o->journal_directory, &j);
        if (r < 0)
                return r;
        r = journal_match_add(match, j);
        if (r < 0)
                return log_error_errno(r, "Failed to add journal match: %m");
        r = o->since_usec > 0 ? sd_journal_seek_realtime_usec(j, o->since_usec) : sd_journal_seek_head(j);
        if (r < 0)
                return log_error_errno(r, "Failed to seek in the journal: %m");

        while ((r = sd_journal_next(j)) > 0) {
                if (o->until_usec > 0) {
                        usec_t t;

                        r = sd_journal_get_realtime_usec(j, &t);
                        if (r < 0)
                                return log_error_errno(r, "Failed to read entry time: %m");
                        if (t > o->until_usec)
                                break;
                }
                r = journal_entry_load(&run->entry, j);
                if (r < 0) {
                        log_warning_errno(r, "Failed to read journal entry, skipping: %m");
                        run->counts.skipped++;
                        continue;
                }
                r = run_line(run, j, r > 0);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return log_error_errno(r, "Failed to read the journal: %m");
        return 0;
}

int verb_test_filter(int n_args, char **args, const CtlOptions *o) {
        g_auto(GStrv) lint_warnings = NULL;
        g_autofree char *error = NULL;
        FilterDef *def = NULL;
        JournalMatch *match = NULL;
        Run run = { .o = o };
        int r, ret = CTL_EXIT_FAILURE;

        if (n_args != 2) {
                log_error("Usage: portcullisctl test-filter FILTER[k=v,...] (--journal-file=FILE... | "
                          "--journal-directory=DIR | --message=TEXT) [--match=FIELD=VALUE...] [--since=T] "
                          "[--until=T] [--filter-dir=DIR] [--print-all-matched|-missed|-ignored] [--json]");
                return CTL_EXIT_USAGE;
        }
        if ((!!o->journal_files + !!o->journal_directory + !!o->message) != 1) {
                log_error("Exactly one of --journal-file= (may repeat), --journal-directory= and --message= is needed.");
                return CTL_EXIT_USAGE;
        }

        ConfigPaths paths = ctl_config_paths(o);
        r = config_load_filter(&paths, args[1], &def, &error);
        if (r < 0) {
                log_error("%s", error ? error : strerror(-r));
                return r == -ENOENT ? CTL_EXIT_NOT_FOUND : CTL_EXIT_FAILURE;
        }
        run.def = def;
        g_clear_pointer(&error, g_free);
        r = filter_lint(def, &lint_warnings, &error);
        if (r < 0) {
                log_error("%s", error ? error : strerror(-r));
                goto finish;
        }
        for (char **w = lint_warnings; w && *w; w++)
                log_warning("%s", *w);
        g_clear_pointer(&error, g_free);
        r = filter_new(def, &run.filter, &error);
        if (r < 0) {
                log_error("%s", error ? error : strerror(-r));
                goto finish;
        }
        g_clear_pointer(&error, g_free);
        if (filter_feed_needed(run.filter, def->maxlines)) {
                run.feed = filter_feed_new(run.filter, def->maxlines);
                if (!run.feed) {
                        log_oom();
                        goto finish;
                }
        }
        r = journal_match_parse(o->match ? o->match : def->journalmatch, &match, &error);
        if (r < 0) {
                if (o->match)
                        log_error("--match: %s", error);
                else
                        log_error("%s:%u: %s", def->journalmatch_file ? def->journalmatch_file : def->file,
                                  def->journalmatch_line, error);
                goto finish;
        }
        run.counts.per_regex = calloc(MAX(def->n_failregex, (size_t) 1), sizeof(uint64_t));
        if (!run.counts.per_regex) {
                log_oom();
                goto finish;
        }

        /* large writes: a journal with many matches prints megabytes */
        (void) setvbuf(stdout, NULL, _IOFBF, 256 * 1024);
        if (!o->json && !o->quiet)
                printf("Filter %s (%s), journal match: %s\n", args[1], def->file,
                       o->message ? "(not used with --message)" :
                       isempty(match->text) ? "(none: every entry)" : match->text);

        if (o->message) {
                /* the line an entry with these fields would give; identifier defaults to the filter's name */
                g_autofree char *ident = NULL;
                char host[256] = "localhost";

                if (!o->identifier) {
                        const char *base = strrchr(def->file, '/');

                        ident = g_strdup(base ? base + 1 : def->file);
                        if (g_str_has_suffix(ident, ".conf"))
                                ident[strlen(ident) - strlen(".conf")] = 0;
                }
                if (!o->hostname)
                        (void) gethostname(host, sizeof host - 1);
                r = journal_entry_set(&run.entry, o->hostname ? o->hostname : host,
                                      o->identifier ? o->identifier : ident, o->pid, o->message,
                                      now_usec(CLOCK_REALTIME));
                if (r < 0) {
                        log_oom();
                        goto finish;
                }
                r = run_line(&run, NULL, true);
        } else
                r = run_journal(&run, match);
        if (r < 0)
                goto finish;

        if (!o->json) {
                printf("\nEntries: %" PRIu64 " read, %" PRIu64 " matched, %" PRIu64 " ignored, %" PRIu64
                       " without address, %" PRIu64 " over the match limit, %" PRIu64 " skipped\n",
                       run.counts.read, run.counts.matched, run.counts.ignored, run.counts.no_address,
                       run.counts.limit, run.counts.skipped);
                if (!o->quiet)
                        for (size_t i = 0; i < def->n_failregex; i++)
                                printf("  failregex #%zu  %8" PRIu64 " hits  %s:%u\n", i + 1, run.counts.per_regex[i],
                                       def->failregex[i].file, def->failregex[i].line);
        }
        /* --message: the exit status says whether it matched, as fail2ban-regex users script it */
        ret = o->message && run.counts.matched == 0 ? CTL_EXIT_FAILURE : CTL_EXIT_OK;

finish:
        fflush(stdout);
        journal_entry_done(&run.entry);
        free(run.counts.per_regex);
        if (run.address_cache)
                g_hash_table_unref(run.address_cache);
        journal_match_free(match);
        filter_feed_free(run.feed);
        filter_free(run.filter);
        filter_def_free(def);
        return ret;
}
