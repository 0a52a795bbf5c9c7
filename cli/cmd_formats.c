/* cmd_formats.c -- `relayaudit formats [NAME]`: the known formats; with a
 * NAME, its fields and its example lines parsed into canonical records. */
#include "cli/cli.h"
#include "ingest/format.h"
#include "ingest/ingest.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char help[] =
    "usage: relayaudit formats [--formats-dir D] [NAME]\n"
    "       relayaudit formats [--formats-dir D] --check FILE NAME\n"
    "\n"
    "Lists the formats relayaudit reads; with NAME, shows the format's\n"
    "fields and parses its example lines; with --check, reads FILE with\n"
    "NAME and shows the match rate and the first failing lines.\n"
    "\n"
    "  --formats-dir D  extra format definitions [$RELAYAUDIT_FORMATS_DIR]\n"
    "  --check FILE     try NAME on FILE\n"
    "  --year Y, --tz Z as for ingest\n";

int
cmd_formats(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"formats-dir", required_argument, NULL, 'F'},
        {"check", required_argument, NULL, 'c'},
        {"year", required_argument, NULL, 'y'},
        {"tz", required_argument, NULL, 'z'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *dir = NULL, *check = NULL, *tz = NULL;
    int year = 0;
    int64_t v;
    struct ra_format **fmts = NULL;
    size_t n = 0;
    struct ra_err err = {0};
    int c, rc = RA_EXIT_OK;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
        switch (c) {
        case 'F':
            dir = optarg;
            break;
        case 'c':
            check = optarg;
            break;
        case 'z':
            tz = optarg;
            break;
        case 'y':
            if (ra_parse_i64(optarg, strlen(optarg), &v) || v < 1970 ||
                v > 9999)
                return ra_usage_error("formats", "bad --year '%s'", optarg);
            year = (int)v;
            break;
        case 'h':
            fputs(help, stdout);
            return RA_EXIT_OK;
        default:
            return ra_usage_error("formats", "unknown option '%s'",
                                  argv[optind - 1]);
        }
    }
    if (argc - optind > 1)
        return ra_usage_error("formats", "give at most one NAME");
    if (check && argc - optind != 1)
        return ra_usage_error("formats", "--check FILE needs a format NAME");
    if (ra_formats_load_all(&fmts, &n, dir, &err)) {
        ra_die_msg("%s", err.msg);
        return RA_EXIT_FAIL;
    }
    if (optind == argc) {
        for (int src = RA_SRC_GATEWAY; src <= RA_SRC_MAP; src <<= 1)
            for (size_t i = 0; i < n; i++) {
                const struct ra_format *g = fmts[i];
                if (g->source == (enum ra_source)src)
                    printf("%-20s %-8s %-8s %s\n", g->name,
                           ra_source_name(g->source),
                           g->json_too ? "csv|json"
                                       : ra_engine_of(g->engine)->name,
                           g->describe ? g->describe : "");
            }
        goto out;
    }
    struct ra_format *f = ra_formats_find(fmts, n, argv[optind]);
    if (!f) {
        rc = ra_usage_error("formats", "unknown format '%s'", argv[optind]);
        goto out;
    }
    if (check) {
        struct ra_buf out = RA_BUF_INIT;
        int crc = ra_ingest_check(f, check, tz, year, &out, &err);
        fputs(out.data ? out.data : "", stdout);
        ra_buf_release(&out);
        if (crc) {
            ra_die_msg("%s", err.msg);
            rc = crc == RA_EUSAGE ? RA_EXIT_USAGE : RA_EXIT_FAIL;
        }
        goto out;
    }
    printf("%s (%s, %s engine)\n", f->name, ra_source_name(f->source),
           ra_engine_of(f->engine)->name);
    if (f->describe)
        printf("%s\n", f->describe);
    printf("definition: %s\n\nfields:\n", f->path);
    for (int i = 0; i < RA_F_COUNT; i++)
        if (f->field_src[i])
            printf("  %-15s = %s%s\n", ra_field_info[i].name, f->field_src[i],
                   f->require[i] ? "   (required)" : "");
    if (f->filter_src)
        printf("\nrows kept: %s\n", f->filter_src);
    const char *header = NULL;
    for (size_t i = 0; i < f->nexamples; i++) {
        /* A CSV format without fixed columns: the first example is the
         * header row. */
        if (f->engine == RA_ENG_CSV && !f->ncolumns && i == 0) {
            header = f->examples[0];
            printf("\nheader:\n  %s\n", header);
            continue;
        }
        struct ra_buf out = RA_BUF_INIT;
        printf("\nexample:\n  %s\n", f->examples[i]);
        if (ra_ingest_preview(f, header, f->examples[i], &out, &err) != 0 &&
            !out.len) {
            ra_die_msg("%s", err.msg);
            rc = RA_EXIT_FAIL;
        }
        printf("gives:\n%s", out.data ? out.data : "");
        ra_buf_release(&out);
    }
out:
    ra_formats_free(fmts, n);
    return rc;
}
