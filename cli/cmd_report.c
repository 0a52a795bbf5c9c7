/* cmd_report.c -- `relayaudit report`: renders the findings of an analysis
 * run to stdout or, atomically, to a file; --fail-on turns findings into
 * exit code 3. ra_emit_report() is shared with `run`. */
#include "analyze/report.h"
#include "cli/cli.h"
#include "ingest/writer.h"

#include <errno.h>
#include <getopt.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char help[] =
    "usage: relayaudit report [--db F] [--format text|md|json|csv] [-o F]\n"
    "                         [--since T] [--until T] [--tz Z]\n"
    "                         [--fail-on high|medium|low]\n"
    "\n"
    "Prints the findings of the latest analysis run (or of the latest run\n"
    "over exactly --since/--until), with the window, the parameters, the\n"
    "coverage and who got which account banned.\n"
    "\n"
    "  --db F        database [relayaudit.db]\n"
    "  --format FMT  text, md, json or csv [text]\n"
    "  -o, --output F  write to F (atomically) instead of stdout\n"
    "  --fail-on SEV exit 3 when a finding of SEV or higher exists\n"
    "\n"
    "exit codes: 0 ok, 1 failure, 2 usage, 3 --fail-on matched\n";

int
ra_parse_report_format(const char *s, int *fmt)
{
    if (!strcmp(s, "text"))
        *fmt = RA_RPT_TEXT;
    else if (!strcmp(s, "md"))
        *fmt = RA_RPT_MD;
    else if (!strcmp(s, "json"))
        *fmt = RA_RPT_JSON;
    else if (!strcmp(s, "csv"))
        *fmt = RA_RPT_CSV;
    else
        return -1;
    return 0;
}

int
ra_report_option(int c, const char *arg, struct ra_report_opts *ro,
                 const char *cmd)
{
    switch (c) {
    case 'f':
        if (ra_parse_report_format(arg, &ro->fmt))
            return ra_usage_error(cmd, "unknown format '%s'", arg);
        return 0;
    case 'o':
        ro->out = arg;
        return 0;
    case 'F':
        if (!ra_severity_rank(arg))
            return ra_usage_error(cmd, "--fail-on takes high, medium or low");
        ro->fail_on = arg;
        return 0;
    default:
        return -1;
    }
}

int
ra_emit_report(struct sqlite3 *db, int has_window, int64_t since,
               int64_t until, int fmt, const char *out, const char *fail_on)
{
    struct ra_report r;
    struct ra_err err = {0};
    FILE *f = stdout;
    char *tmp = NULL;
    int rc = RA_EXIT_OK;

    if (ra_report_load(db, has_window, since, until, &r, &err)) {
        ra_die_msg("%s", err.msg);
        return RA_EXIT_FAIL;
    }
    if (out && strcmp(out, "-")) {
        size_t n = strlen(out) + 16;
        tmp = xmalloc(n);
        snprintf(tmp, n, "%s.XXXXXX", out);
        int fd = mkstemp(tmp);
        /* mkstemp makes it 0600: give it the mode out has, or the one a
         * new file gets under the umask, as writing out in place would. */
        struct stat st;
        mode_t mask = umask(0);
        umask(mask);
        if (fd >= 0)
            (void)fchmod(fd, stat(out, &st) == 0 ? st.st_mode & 07777
                                                 : 0666 & ~mask);
        if (fd < 0 || !(f = fdopen(fd, "w"))) {
            ra_die_msg("cannot write '%s': %s", out, strerror(errno));
            if (fd >= 0)
                close(fd);
            free(tmp);
            ra_report_release(&r);
            return RA_EXIT_FAIL;
        }
    }
    int color = f == stdout && isatty(1) && !getenv("NO_COLOR");
    if (ra_report_render(&r, (enum ra_report_format)fmt, color, f) ||
        fflush(f) != 0 || (tmp && fsync(fileno(f)) != 0)) {
        ra_die_msg("cannot write the report%s%s: %s", out ? " to " : "",
                   out ? out : "", strerror(errno));
        rc = RA_EXIT_FAIL;
    }
    if (tmp) {
        if (fclose(f) != 0 && rc == RA_EXIT_OK) {
            ra_die_msg("cannot write '%s': %s", out, strerror(errno));
            rc = RA_EXIT_FAIL;
        }
        if (rc == RA_EXIT_OK && rename(tmp, out) != 0) {
            ra_die_msg("cannot write '%s': %s", out, strerror(errno));
            rc = RA_EXIT_FAIL;
        }
        if (rc != RA_EXIT_OK)
            unlink(tmp);
        free(tmp);
    }
    if (rc == RA_EXIT_OK && fail_on) {
        int min = ra_severity_rank(fail_on);
        for (size_t i = 0; i < r.nfindings; i++)
            if (ra_severity_rank(r.findings[i].severity) >= min)
                rc = RA_EXIT_FOUND;
    }
    ra_report_release(&r);
    return rc;
}

int
cmd_report(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"format", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},
        {"since", required_argument, NULL, 'S'},
        {"until", required_argument, NULL, 'U'},
        {"tz", required_argument, NULL, 'z'},
        {"fail-on", required_argument, NULL, 'F'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db_path = "relayaudit.db", *since = NULL, *until = NULL,
               *tz = NULL;
    struct ra_report_opts ro = {RA_RPT_TEXT, NULL, NULL};
    int c, rc;
    struct ra_params p;
    struct ra_err err = {0};
    sqlite3 *db = NULL;

    ra_params_init(&p);
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+ho:", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            db_path = optarg;
            break;
        case 'S':
            since = optarg;
            break;
        case 'U':
            until = optarg;
            break;
        case 'z':
            tz = optarg;
            break;
        case 'h':
            fputs(help, stdout);
            return RA_EXIT_OK;
        default:
            if ((rc = ra_report_option(c, optarg, &ro, "report")) < 0)
                return ra_usage_error("report", "unknown option '%s'",
                                      argv[optind - 1]);
            if (rc)
                return rc;
        }
    }
    if (optind != argc)
        return ra_usage_error("report", "unexpected argument '%s'",
                              argv[optind]);
    if ((rc = ra_resolve_window(&p, since, until, tz, "report")))
        return rc;
    if (ra_db_open(db_path, RA_DB_READ, &db, &err)) {
        ra_die_msg("%s", err.msg);
        return RA_EXIT_FAIL;
    }
    rc = ra_emit_report(db, since || until, p.since, p.until, ro.fmt, ro.out,
                        ro.fail_on);
    sqlite3_close(db);
    return rc;
}
