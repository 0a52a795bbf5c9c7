/* cmd_ingest.c -- `relayaudit ingest`: options to struct ra_ingest_opts. */
#include "cli/cli.h"
#include "ingest/ingest.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char help[] =
    "usage: relayaudit ingest [--db F] [--source gateway|proxy|map]\n"
    "                         [--format NAME|auto] [--year Y] [--tz Z]\n"
    "                         [--formats-dir D] [--max-line N]\n"
    "                         [--username-rule R] PATH...\n"
    "\n"
    "PATH is a file, a .gz, a directory (read recursively, rotated files\n"
    "oldest first) or '-' for stdin. Files already ingested add nothing; a\n"
    "file that grew is read from where it stopped.\n"
    "\n"
    "  --db F           database [relayaudit.db]\n"
    "  --source S       gateway, proxy or map (implied by --format)\n"
    "  --format NAME    a format of 'relayaudit formats', or auto [auto]\n"
    "  --year Y         year for timestamps without one [the file's mtime]\n"
    "  --tz Z           zone for local timestamps: UTC, +03:30, Europe/Paris "
    "[UTC]\n"
    "  --formats-dir D  extra format definitions [$RELAYAUDIT_FORMATS_DIR]\n"
    "  --username-rule R  also apply username rule R (webshare, netnut:\n"
    "                   usernames.rules) to proxy logs; repeat or R,R\n"
    "  --max-line N     longest line in bytes, at most 256 MiB; longer "
    "ones\n"
    "                   are rejected [1048576]\n"
    "\n"
    "exit codes: 0 ok, 1 a file could not be read to its end or a database\n"
    "error, 2 usage\n";

int
ra_parse_source(const char *s, unsigned *out)
{
    if (!strcmp(s, "gateway"))
        *out = RA_SRC_GATEWAY;
    else if (!strcmp(s, "proxy"))
        *out = RA_SRC_PROXY;
    else if (!strcmp(s, "map"))
        *out = RA_SRC_MAP;
    else
        return -1;
    return 0;
}

int
ra_ingest_option(int c, const char *arg, struct ra_ingest_opts *o,
                 struct ra_buf *rules, const char *cmd)
{
    int64_t v;

    switch (c) {
    case RA_OPT_YEAR:
        if (ra_parse_i64(arg, strlen(arg), &v) || v < 1970 || v > 9999)
            return ra_usage_error(cmd, "bad --year '%s'", arg);
        o->year = (int)v;
        return 0;
    case RA_OPT_TZ:
        o->tz = arg;
        return 0;
    case RA_OPT_FORMATS_DIR:
        o->formats_dir = arg;
        return 0;
    case RA_OPT_MAX_LINE:
        if (ra_parse_max_line(arg, &o->max_line))
            return ra_usage_error(cmd, "bad --max-line '%s'", arg);
        return 0;
    case RA_OPT_USERNAME_RULE:
        ra_buf_addf(rules, "%s%s", rules->len ? "," : "", arg);
        o->username_rules = rules->data;
        return 0;
    default:
        return -1;
    }
}

int
ra_parse_max_line(const char *s, size_t *out)
{
    int64_t v;
    if (ra_parse_i64(s, strlen(s), &v) || v < 256 || v > RA_MAX_LINE_LIMIT)
        return -1;
    *out = (size_t)v;
    return 0;
}

int
cmd_ingest(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"source", required_argument, NULL, 's'},
        {"format", required_argument, NULL, 'f'},
        RA_INGEST_OPTIONS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct ra_ingest_opts o = {0};
    struct ra_ingest_totals t;
    struct ra_err err = {0};
    struct ra_buf rules = RA_BUF_INIT;
    int c, rc = RA_EXIT_OK;

    o.db_path = "relayaudit.db";
    o.max_line = RA_MAX_LINE_DEFAULT;
    o.note = ra_note_stderr;
    o.progress = isatty(2);
    opterr = 0;
    optind = 1;
    while (rc == RA_EXIT_OK &&
           (c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            o.db_path = optarg;
            break;
        case 's':
            if (ra_parse_source(optarg, &o.source))
                rc = ra_usage_error("ingest", "unknown source '%s'", optarg);
            break;
        case 'f':
            o.format = optarg;
            break;
        case 'h':
            fputs(help, stdout);
            goto out;
        default:
            if ((rc = ra_ingest_option(c, optarg, &o, &rules, "ingest")) < 0)
                rc = ra_usage_error("ingest", "unknown option '%s'",
                                    argv[optind - 1]);
        }
    }
    if (rc)
        goto out;
    if (optind >= argc) {
        rc = ra_usage_error("ingest", "no PATH given");
        goto out;
    }
    rc = ra_ingest_run(&o, argv + optind, (size_t)(argc - optind), &t, &err);
    if (rc == RA_EUSAGE) {
        rc = ra_usage_error("ingest", "%s", err.msg);
        goto out;
    }
    if (rc && rc != RA_EIO) {
        ra_die_msg("%s", err.msg);
        rc = RA_EXIT_FAIL;
        goto out;
    }
    if (t.files + t.skipped_files + t.failed > 1)
        fprintf(stderr,
                "relayaudit: %lld files read, %lld unchanged, %lld failed: "
                "%lld records, %lld rejected, %lld skipped\n",
                (long long)t.files, (long long)t.skipped_files,
                (long long)t.failed, (long long)t.records,
                (long long)t.rejected, (long long)t.skipped);
    rc = rc ? RA_EXIT_FAIL : RA_EXIT_OK;
out:
    ra_buf_release(&rules);
    return rc;
}
