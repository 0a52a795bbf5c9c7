/* report.c -- loads a run's findings, coverage and culprits for the
 * renderers. Everything is read in one read transaction so an ingest
 * running at the same time cannot make the numbers disagree.
 */
#include "analyze/report.h"
#include "common/json.h"
#include "ingest/writer.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

int
ra_severity_rank(const char *s)
{
    return !s                      ? 0
           : !strcmp(s, "high")   ? 3
           : !strcmp(s, "medium") ? 2
           : !strcmp(s, "low")    ? 1
                                  : 0;
}

static char *
col_str(sqlite3_stmt *st, int i)
{
    const unsigned char *v = sqlite3_column_text(st, i);
    return v ? xstrdup((const char *)v) : NULL;
}

static int64_t
col_ts(sqlite3_stmt *st, int i, int64_t absent)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL
               ? absent
               : sqlite3_column_int64(st, i);
}

static int64_t
scalar(sqlite3 *db, const char *sql, const struct ra_report *r)
{
    sqlite3_stmt *st;
    int64_t v = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    for (int i = 1; i <= sqlite3_bind_parameter_count(st); i++) {
        const char *n = sqlite3_bind_parameter_name(st, i);
        sqlite3_bind_int64(st, i, !strcmp(n, ":run")     ? r->run_id
                                  : !strcmp(n, ":since") ? r->since
                                                         : r->until);
    }
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

int
ra_report_load(sqlite3 *db, int has_window, int64_t since, int64_t until,
               struct ra_report *r, struct ra_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;

    memset(r, 0, sizeof *r);
    r->arena = ra_arena_new();
    if (ra_db_exec(db, "BEGIN", err)) {
        ra_report_release(r);
        return RA_EDB;
    }
    if (sqlite3_prepare_v2(db,
                           has_window
                               ? "SELECT id, started, since, until, params "
                                 "FROM runs WHERE finished IS NOT NULL AND "
                                 "since IS ?1 AND until IS ?2 "
                                 "ORDER BY id DESC LIMIT 1"
                               : "SELECT id, started, since, until, params "
                                 "FROM runs WHERE finished IS NOT NULL "
                                 "ORDER BY id DESC LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        goto dberr;
    if (has_window) {
        if (since == RA_TS_MIN)
            sqlite3_bind_null(st, 1);
        else
            sqlite3_bind_int64(st, 1, since);
        if (until == RA_TS_MAX)
            sqlite3_bind_null(st, 2);
        else
            sqlite3_bind_int64(st, 2, until);
    }
    if (sqlite3_step(st) != SQLITE_ROW) {
        rc = ra_err_set(err, RA_EPARSE,
                        has_window ? "no analysis over that window: run "
                                     "'relayaudit analyze' with the same "
                                     "--since and --until first"
                                   : "no analysis yet: run 'relayaudit "
                                     "analyze' first");
        goto out;
    }
    r->run_id = sqlite3_column_int64(st, 0);
    r->started = sqlite3_column_int64(st, 1);
    r->since = col_ts(st, 2, RA_TS_MIN);
    r->until = col_ts(st, 3, RA_TS_MAX);
    r->params = col_str(st, 4);
    sqlite3_finalize(st);
    st = NULL;

    r->gateway_events = scalar(db, "SELECT count(*) FROM gateway_rows "
                                   "WHERE ts >= :since AND ts < :until", r);
    r->proxy_events = scalar(db, "SELECT count(*) FROM proxy_rows "
                                 "WHERE ts >= :since AND ts < :until", r);
    r->linked = scalar(db, "SELECT count(*) FROM links l JOIN gateway_rows "
                           "g ON g.id = l.gateway_id WHERE g.ts >= :since "
                           "AND g.ts < :until", r);
    r->rejected_lines = scalar(db, "SELECT count(*) FROM rejects", r);
    r->bans = scalar(db, "SELECT count(*) FROM bans WHERE run_id = :run", r);
    r->bans_attributed = scalar(db, "SELECT count(*) FROM bans WHERE run_id "
                                    "= :run AND attribution NOT IN "
                                    "('ambiguous', 'none')", r);

    if (sqlite3_prepare_v2(db,
                           "SELECT kind, severity, sub, account, caller, "
                           "session, egress_session, ts, window_start, "
                           "window_end, evidence FROM findings WHERE run_id "
                           "= ? ORDER BY CASE severity WHEN 'high' THEN 0 "
                           "WHEN 'medium' THEN 1 ELSE 2 END, kind, ts, id",
                           -1, &st, NULL) != SQLITE_OK)
        goto dberr;
    sqlite3_bind_int64(st, 1, r->run_id);
    size_t cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (r->nfindings == cap) {
            cap = cap ? cap * 2 : 16;
            r->findings = xrealloc(r->findings, cap * sizeof *r->findings);
        }
        struct ra_finding *f = &r->findings[r->nfindings++];
        f->kind = col_str(st, 0);
        f->severity = col_str(st, 1);
        f->sub = col_str(st, 2);
        f->account = col_str(st, 3);
        f->caller = col_str(st, 4);
        f->session = col_str(st, 5);
        f->egress_session = col_str(st, 6);
        f->ts = col_ts(st, 7, RA_TS_MIN);
        f->window_start = col_ts(st, 8, RA_TS_MIN);
        f->window_end = col_ts(st, 9, RA_TS_MIN);
        const char *ev = (const char *)sqlite3_column_text(st, 10);
        f->evidence = ev ? ra_json_parse(r->arena, ev, strlen(ev)) : NULL;
        if (!YAJL_IS_OBJECT(f->evidence))
            f->evidence = ra_json_parse(r->arena, "{}", 2);
    }
    sqlite3_finalize(st);
    st = NULL;

    if (sqlite3_prepare_v2(db,
                           "SELECT coalesce(account, '(unknown)'), class, "
                           "caller, attribution, count(*), min(ts), max(ts), "
                           "(SELECT json_group_array(DISTINCT j.value) FROM "
                           "bans b2, json_each(b2.active) j WHERE b2.run_id "
                           "= b.run_id AND b2.account IS b.account AND "
                           "b2.class = b.class AND b2.caller IS b.caller) "
                           "FROM bans b WHERE run_id = ? GROUP BY account, "
                           "class, caller, attribution "
                           "ORDER BY CASE class WHEN 'ban' THEN 0 WHEN "
                           "'quota' THEN 1 WHEN 'blocked' THEN 2 ELSE 3 END, "
                           "account, min(ts)",
                           -1, &st, NULL) != SQLITE_OK)
        goto dberr;
    sqlite3_bind_int64(st, 1, r->run_id);
    cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (r->nculprits == cap) {
            cap = cap ? cap * 2 : 16;
            r->culprits = xrealloc(r->culprits, cap * sizeof *r->culprits);
        }
        struct ra_culprit *c = &r->culprits[r->nculprits++];
        c->account = col_str(st, 0);
        c->cls = col_str(st, 1);
        c->caller = col_str(st, 2);
        c->attribution = col_str(st, 3);
        c->n = sqlite3_column_int64(st, 4);
        c->first = sqlite3_column_int64(st, 5);
        c->last = sqlite3_column_int64(st, 6);
        c->active = col_str(st, 7);
    }
    goto out;

dberr:
    rc = ra_err_set(err, RA_EDB, "cannot read the report: %s",
                    sqlite3_errmsg(db));
out:
    sqlite3_finalize(st);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (rc)
        ra_report_release(r);
    return rc;
}

void
ra_report_release(struct ra_report *r)
{
    for (size_t i = 0; i < r->nfindings; i++) {
        struct ra_finding *f = &r->findings[i];
        free(f->kind);
        free(f->severity);
        free(f->sub);
        free(f->account);
        free(f->caller);
        free(f->session);
        free(f->egress_session);
    }
    free(r->findings);
    for (size_t i = 0; i < r->nculprits; i++) {
        struct ra_culprit *c = &r->culprits[i];
        free(c->account);
        free(c->cls);
        free(c->caller);
        free(c->attribution);
        free(c->active);
    }
    free(r->culprits);
    free(r->params);
    if (r->arena)
        ra_arena_free(r->arena);
    memset(r, 0, sizeof *r);
}
