/* cmd_analyze.c -- `relayaudit analyze`: thresholds and window to
 * struct ra_params, then one analysis run. The option table is shared with
 * `run` through ra_analyze_option(). */
#include "analyze/analyze.h"
#include "cli/cli.h"
#include "ingest/writer.h"

#include <getopt.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char help[] =
    "usage: relayaudit analyze [--db F] [--since T] [--until T] [--tz Z]\n"
    "                          [thresholds...]\n"
    "\n"
    "Links gateway and proxy events, classifies and attributes bans and runs\n"
    "the detectors over the window (all data when no window is given). A\n"
    "run over exactly the window of an earlier run replaces its findings.\n"
    "\n"
    "  --db F                database [relayaudit.db]\n"
    "  --since T, --until T  window: ISO date or time, today, yesterday, "
    "-24h\n"
    "                        (--until is exclusive)\n"
    "  --tz Z                zone for dates and zone-less times [UTC]\n"
    "thresholds (durations as 90s, 15m, 1h, 1h30m):\n"
    "  --window D            shared_account window [1h]\n"
    "  --max-callers N       callers per account when the map gives none "
    "[1]\n"
    "  --lookback D          ban attribution lookback [15m]\n"
    "  --join-tolerance D    gateway/proxy time tolerance [5s]\n"
    "  --session-ttl D       sticky session lifetime [1h]\n"
    "  --sticky-window D     egress session stickiness [10m]\n";

int
ra_analyze_option(int c, const char *arg, struct ra_params *p,
                  const char **since, const char **until, const char *cmd)
{
    int64_t *slot = NULL;
    switch (c) {
    case 'S':
        *since = arg;
        return 0;
    case 'U':
        *until = arg;
        return 0;
    case 'W':
        slot = &p->window;
        break;
    case 'L':
        slot = &p->lookback;
        break;
    case 'J':
        slot = &p->join_tolerance;
        break;
    case 'T':
        slot = &p->session_ttl;
        break;
    case 'K':
        slot = &p->sticky_window;
        break;
    case 'M':
        if (ra_parse_i64(arg, strlen(arg), &p->max_callers) ||
            p->max_callers < 1)
            return ra_usage_error(cmd, "bad --max-callers '%s'", arg);
        return 0;
    default:
        return -1;
    }
    if (ra_parse_duration(arg, slot) || *slot <= 0)
        return ra_usage_error(cmd, "bad duration '%s' (use 90s, 15m, 1h, "
                                   "1h30m)",
                              arg);
    return 0;
}

int
ra_resolve_window(struct ra_params *p, const char *since, const char *until,
                  const char *tz, const char *cmd)
{
    if (since && ra_parse_when(since, tz, &p->since))
        return ra_usage_error(cmd, "bad --since '%s'", since);
    if (until && ra_parse_when(until, tz, &p->until))
        return ra_usage_error(cmd, "bad --until '%s'", until);
    if (p->since >= p->until)
        return ra_usage_error(cmd, "--since must be before --until");
    return 0;
}

int
cmd_analyze(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"since", required_argument, NULL, 'S'},
        {"until", required_argument, NULL, 'U'},
        {"tz", required_argument, NULL, 'z'},
        RA_THRESHOLD_OPTIONS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db_path = "relayaudit.db", *since = NULL, *until = NULL,
               *tz = NULL;
    struct ra_params p;
    struct ra_analysis a;
    struct ra_err err = {0};
    sqlite3 *db = NULL;
    int c, rc;

    ra_params_init(&p);
    p.progress = isatty(2);
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
        if (c == 'd') {
            db_path = optarg;
        } else if (c == 'z') {
            tz = optarg;
        } else if (c == 'h') {
            fputs(help, stdout);
            return RA_EXIT_OK;
        } else if ((rc = ra_analyze_option(c, optarg, &p, &since, &until,
                                           "analyze")) != 0) {
            if (rc > 0)
                return rc;
            return ra_usage_error("analyze", "unknown option '%s'",
                                  argv[optind - 1]);
        }
    }
    if (optind != argc)
        return ra_usage_error("analyze", "unexpected argument '%s'",
                              argv[optind]);
    if ((rc = ra_resolve_window(&p, since, until, tz, "analyze")))
        return rc;
    if (ra_db_open(db_path, RA_DB_WRITE, &db, &err) ||
        ra_analyze(db, &p, &a, &err)) {
        ra_die_msg("%s", err.msg);
        sqlite3_close(db);
        return RA_EXIT_FAIL;
    }
    fprintf(stderr, "relayaudit: analysis run %lld: %lld links, %lld bans, "
                    "%lld findings\n",
            (long long)a.run_id, (long long)a.links, (long long)a.bans,
            (long long)a.findings);
    int timings = getenv("RELAYAUDIT_TIMINGS") != NULL;
    if (timings) {
        fprintf(stderr, "relayaudit: indexes %.2f s", a.t_indexes);
        for (int i = 0; i < RA_NSTEPS; i++)
            fprintf(stderr, ", %s %.2f s", ra_step_name(i), a.t_steps[i]);
    }
    double t0 = ra_mono_s();
    sqlite3_close(db); /* the WAL's checkpoint */
    if (timings)
        fprintf(stderr, ", commit %.2f s, close %.2f s\n", a.t_commit,
                ra_mono_s() - t0);
    return RA_EXIT_OK;
}
