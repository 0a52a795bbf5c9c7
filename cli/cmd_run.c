/* cmd_run.c -- `relayaudit run`: the nightly job. Ingests what is new
 * (map, gateway and proxy paths), analyzes the window (yesterday by
 * default) and writes the report. A file that could not be read makes the
 * exit code 1 but the analysis and the report still happen; 1 wins over 3.
 */
#include "analyze/analyze.h"
#include "analyze/report.h"
#include "cli/cli.h"
#include "ingest/ingest.h"
#include "ingest/writer.h"

#include <getopt.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char help[] =
    "usage: relayaudit run [--db F] [--map FILE] [--gateway PATH]...\n"
    "                      [--proxy PATH]... [--gateway-format NAME]\n"
    "                      [--proxy-format NAME] [--since T] [--until T]\n"
    "                      [thresholds...] [--format FMT] [-o F]\n"
    "                      [--fail-on SEV]\n"
    "\n"
    "Ingest + analyze + report in one go, the nightly cron job. Ingests\n"
    "everything new under the paths, analyzes yesterday (UTC, or --tz)\n"
    "unless --since/--until say otherwise, and writes the report.\n"
    "\n"
    "  --map FILE           the declared map (relayaudit-map CSV)\n"
    "  --gateway PATH       gateway logs: file, .gz or directory (repeat)\n"
    "  --proxy PATH         proxy logs (repeat)\n"
    "  --gateway-format N   gateway format [auto]\n"
    "  --proxy-format N     proxy format [auto]\n"
    "  --formats-dir D, --year Y, --tz Z, --max-line N,\n"
    "  --username-rule R                                 as for ingest\n"
    "  --since T, --until T, thresholds                  as for analyze\n"
    "  --format FMT, -o F, --fail-on SEV                 as for report\n"
    "\n"
    "exit codes: 0 ok, 1 a file or the database failed (the report is\n"
    "still written), 2 usage, 3 --fail-on matched\n";

struct paths {
    char **v;
    size_t n;
};

static void
push(struct paths *p, char *s)
{
    p->v = xrealloc(p->v, (p->n + 1) * sizeof *p->v);
    p->v[p->n++] = s;
}

static int
ingest(struct ra_ingest_opts *o, unsigned source, const char *format,
       struct paths *p)
{
    struct ra_ingest_totals t;
    struct ra_err err = {0};
    if (!p->n)
        return 0;
    o->source = source;
    o->format = format;
    int rc = ra_ingest_run(o, p->v, p->n, &t, &err);
    if (rc && rc != RA_EIO) {
        ra_die_msg("%s", err.msg);
        return RA_EXIT_FAIL;
    }
    return rc ? RA_EXIT_FAIL : RA_EXIT_OK;
}

int
cmd_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"map", required_argument, NULL, 'm'},
        {"gateway", required_argument, NULL, 'g'},
        {"proxy", required_argument, NULL, 'p'},
        {"gateway-format", required_argument, NULL, 'G'},
        {"proxy-format", required_argument, NULL, 'P'},
        RA_INGEST_OPTIONS,
        {"since", required_argument, NULL, 'S'},
        {"until", required_argument, NULL, 'U'},
        RA_THRESHOLD_OPTIONS,
        {"format", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},
        {"fail-on", required_argument, NULL, 'F'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct ra_ingest_opts o = {0};
    struct paths map = {0}, gw = {0}, px = {0};
    const char *gwfmt = NULL, *pxfmt = NULL, *since = NULL, *until = NULL;
    struct ra_report_opts ro = {RA_RPT_TEXT, NULL, NULL};
    int c, rc = RA_EXIT_OK, irc = RA_EXIT_OK;
    struct ra_params p;
    struct ra_analysis a;
    struct ra_err err = {0};
    struct ra_buf rules = RA_BUF_INIT;
    sqlite3 *db = NULL;

    o.db_path = "relayaudit.db";
    o.max_line = RA_MAX_LINE_DEFAULT;
    o.note = ra_note_stderr;
    o.progress = isatty(2);
    ra_params_init(&p);
    p.progress = o.progress;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+ho:", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            o.db_path = optarg;
            break;
        case 'm':
            push(&map, optarg);
            break;
        case 'g':
            push(&gw, optarg);
            break;
        case 'p':
            push(&px, optarg);
            break;
        case 'G':
            gwfmt = optarg;
            break;
        case 'P':
            pxfmt = optarg;
            break;
        case 'h':
            fputs(help, stdout);
            goto out;
        default: {
            int r2 = ra_ingest_option(c, optarg, &o, &rules, "run");
            if (r2 < 0)
                r2 = ra_report_option(c, optarg, &ro, "run");
            if (r2 < 0)
                r2 = ra_analyze_option(c, optarg, &p, &since, &until, "run");
            if (r2 < 0)
                r2 = ra_usage_error("run", "unknown option '%s'",
                                    argv[optind - 1]);
            if (r2) {
                rc = r2;
                goto out;
            }
        }
        }
    }
    if (optind != argc) {
        rc = ra_usage_error("run", "unexpected argument '%s' (paths go "
                                   "after --gateway or --proxy)",
                            argv[optind]);
        goto out;
    }
    if (!since && !until) {
        since = "yesterday";
        until = "today";
    }
    if ((rc = ra_resolve_window(&p, since, until, o.tz, "run")))
        goto out;

    /* Every ingest's options are checked before the first reads a file:
     * a wrong --proxy-format is not found after the gateway logs went in.
     * Then a failed ingest, the map's too, stops none after it. */
    const struct {
        unsigned source;
        const char *format;
        struct paths *paths;
    } jobs[] = {{RA_SRC_MAP, NULL, &map},
                {RA_SRC_GATEWAY, gwfmt, &gw},
                {RA_SRC_PROXY, pxfmt, &px}};
    enum { NJOBS = sizeof jobs / sizeof *jobs };
    for (size_t i = 0; i < NJOBS; i++) {
        o.source = jobs[i].source;
        o.format = jobs[i].format;
        int r2 = ra_ingest_options_ok(&o, &err);
        if (r2 == RA_EUSAGE) {
            rc = ra_usage_error("run", "%s", err.msg);
            goto out;
        } else if (r2) {
            ra_die_msg("%s", err.msg);
            rc = RA_EXIT_FAIL;
            goto out;
        }
    }
    for (size_t i = 0; i < NJOBS; i++) {
        int r2 = ingest(&o, jobs[i].source, jobs[i].format, jobs[i].paths);
        irc = r2 ? r2 : irc;
    }

    if (ra_db_open(o.db_path, RA_DB_WRITE, &db, &err) ||
        ra_analyze(db, &p, &a, &err)) {
        ra_die_msg("%s", err.msg);
        rc = RA_EXIT_FAIL;
        goto out;
    }
    fprintf(stderr, "relayaudit: analysis run %lld: %lld links, %lld bans, "
                    "%lld findings\n",
            (long long)a.run_id, (long long)a.links, (long long)a.bans,
            (long long)a.findings);
    rc = ra_emit_report(db, 1, p.since, p.until, ro.fmt, ro.out, ro.fail_on);
    if (irc == RA_EXIT_FAIL)
        rc = RA_EXIT_FAIL; /* 1 wins over 3; the report was written */
out:
    sqlite3_close(db);
    ra_buf_release(&rules);
    free(map.v);
    free(gw.v);
    free(px.v);
    return rc;
}
