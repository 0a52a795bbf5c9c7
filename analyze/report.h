/* report.h -- what a report shows, loaded from the database once
 * (report.c), then rendered as text, md, json or csv (render.c). The
 * renderers see only struct ra_report, never SQLite.
 */
#ifndef RA_REPORT_H
#define RA_REPORT_H

#include "analyze/analyze.h"

#include <stdio.h>

struct yajl_val_s;
struct ra_arena;

struct ra_finding {
    char *kind, *severity, *sub, *account, *caller, *session,
        *egress_session;
    int64_t ts, window_start, window_end; /* RA_TS_MIN when absent */
    struct yajl_val_s *evidence; /* an object, in the report's arena */
};

/* Attributed bans by account: who got account X banned. */
struct ra_culprit {
    char *account, *cls, *caller, *attribution, *active; /* active: JSON */
    int64_t n, first, last;
};

struct ra_report {
    int64_t run_id, started, since, until; /* since/until RA_TS_MIN/MAX */
    char *params; /* JSON object */
    int64_t gateway_events, proxy_events, linked, rejected_lines, bans,
        bans_attributed;
    struct ra_finding *findings;
    size_t nfindings;
    struct ra_culprit *culprits;
    size_t nculprits;
    struct ra_arena *arena; /* the evidence trees */
};

/* Load the latest run (window given: the latest over exactly that window).
 * Returns 0, or RA_EDB / RA_EPARSE (no such run) with err. */
int ra_report_load(struct sqlite3 *db, int has_window, int64_t since,
                   int64_t until, struct ra_report *r,
                   struct ra_err *err) RA_WUR;
void ra_report_release(struct ra_report *r);

enum ra_report_format { RA_RPT_TEXT, RA_RPT_MD, RA_RPT_JSON, RA_RPT_CSV };

/* Render r to f. color: ANSI colours (text only). 0 or RA_EIO. */
int ra_report_render(const struct ra_report *r, enum ra_report_format fmt,
                     int color, FILE *f);

/* 3 high, 2 medium, 1 low, 0 unknown. */
int ra_severity_rank(const char *sev);

#endif
