/* cli.h -- the subcommands main() dispatches to. Each returns the process
 * exit code: 0 ok, 1 runtime failure, 2 usage, 3 --fail-on matched. */
#ifndef RA_CLI_H
#define RA_CLI_H

#include "common/ra.h"

enum { RA_EXIT_OK = 0, RA_EXIT_FAIL = 1, RA_EXIT_USAGE = 2, RA_EXIT_FOUND = 3 };

int cmd_ingest(int argc, char **argv);
int cmd_formats(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_run(int argc, char **argv);

/* "relayaudit: <msg>" on stderr. */
void ra_die_msg(const char *fmt, ...) RA_PRINTF(1, 2);
/* A usage error: the message, then "try 'relayaudit CMD --help'"; returns 2. */
int ra_usage_error(const char *cmd, const char *fmt, ...) RA_PRINTF(2, 3);
/* Exit code for an RA_E* code. */
int ra_exit_for(int code);
/* gateway, proxy or map to RA_SRC_*; -1 when unknown. */
int ra_parse_source(const char *s, unsigned *out);
/* --since / --until values (when.c): ISO, today, yesterday, now, -24h.
 * tz as --tz (NULL = UTC). 0 and *out in UTC ms, or -1. _at: as if the
 * time now were now_ms. */
int ra_parse_when(const char *s, const char *tz, int64_t *out);
int ra_parse_when_at(const char *s, const char *tz, int64_t now_ms,
                     int64_t *out);
/* A --max-line value (ingest and run): 256 to RA_MAX_LINE_LIMIT bytes.
 * 0 and *out, or -1. */
int ra_parse_max_line(const char *s, size_t *out);

/* Options shared by ingest and run (getopt_long entries). */
enum {
    RA_OPT_YEAR = 256,
    RA_OPT_TZ,
    RA_OPT_FORMATS_DIR,
    RA_OPT_MAX_LINE,
    RA_OPT_USERNAME_RULE
};
#define RA_INGEST_OPTIONS                                                    \
    {"year", required_argument, NULL, RA_OPT_YEAR},                          \
        {"tz", required_argument, NULL, RA_OPT_TZ},                          \
        {"formats-dir", required_argument, NULL, RA_OPT_FORMATS_DIR},        \
        {"max-line", required_argument, NULL, RA_OPT_MAX_LINE},              \
        {"username-rule", required_argument, NULL, RA_OPT_USERNAME_RULE}

struct ra_ingest_opts;
/* Apply one RA_INGEST_OPTIONS option to o. --username-rule may be
 * repeated: the names so far are joined by commas in rules, which
 * o->username_rules then points into. 0 when applied, -1 when c is not one
 * of them, 2 after a usage message. */
int ra_ingest_option(int c, const char *arg, struct ra_ingest_opts *o,
                     struct ra_buf *rules, const char *cmd);
/* Note callback printing to stderr. */
void ra_note_stderr(void *ctx, const char *msg);

/* Threshold options shared by analyze and run (getopt_long entries). */
#define RA_THRESHOLD_OPTIONS                                                 \
    {"window", required_argument, NULL, 'W'},                                \
        {"max-callers", required_argument, NULL, 'M'},                       \
        {"lookback", required_argument, NULL, 'L'},                          \
        {"join-tolerance", required_argument, NULL, 'J'},                    \
        {"session-ttl", required_argument, NULL, 'T'},                       \
        {"sticky-window", required_argument, NULL, 'K'}

struct ra_params;
/* Apply one analyze option (S, U, W, M, L, J, T, K). 0 when applied, -1
 * when c is not one of them, 2 after a usage message. */
int ra_analyze_option(int c, const char *arg, struct ra_params *p,
                      const char **since, const char **until,
                      const char *cmd);
/* --since/--until into p. 0, or 2 after a usage message. */
int ra_resolve_window(struct ra_params *p, const char *since,
                      const char *until, const char *tz, const char *cmd);

struct sqlite3;
/* The report options shared by report and run. */
struct ra_report_opts {
    int fmt;
    const char *out, *fail_on;
};
/* Apply one report option (f, o, F): 0 when applied, -1 when c is not one
 * of them, 2 after a usage message. */
int ra_report_option(int c, const char *arg, struct ra_report_opts *ro,
                     const char *cmd);
/* text, md, json, csv to enum ra_report_format; -1 when unknown. */
int ra_parse_report_format(const char *s, int *fmt);
/* Load and render a report (cmd_report.c); returns the exit code (3 when
 * fail_on matched). out NULL or "-" is stdout; a file is written
 * atomically. */
int ra_emit_report(struct sqlite3 *db, int has_window, int64_t since,
                   int64_t until, int fmt, const char *out,
                   const char *fail_on);

#endif
