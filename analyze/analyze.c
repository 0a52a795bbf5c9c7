/* analyze.c -- one analysis run: indexes, rules, links, bans and the four
 * detectors, in one write transaction. A run over exactly the window of an
 * earlier run replaces that run's findings and bans (runs keeps both).
 */
#include "analyze/analyze.h"
#include "analyze/join.h"
#include "analyze/rules.h"
#include "ingest/writer.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

void
ra_params_init(struct ra_params *p)
{
    p->since = RA_TS_MIN;
    p->until = RA_TS_MAX;
    p->window = 3600000;
    p->lookback = 900000;
    p->join_tolerance = 5000;
    p->session_ttl = 3600000;
    p->sticky_window = 600000;
    p->max_callers = 1;
}

static void
add_seconds(struct ra_buf *b, const char *name, int64_t ms)
{
    if (ms % 1000)
        ra_buf_addf(b, ", \"%s\": %.3f", name, (double)ms / 1000.0);
    else
        ra_buf_addf(b, ", \"%s\": %lld", name, (long long)(ms / 1000));
}

void
ra_params_json(const struct ra_params *p, struct ra_buf *b)
{
    ra_buf_addf(b, "{\"max_callers\": %lld", (long long)p->max_callers);
    add_seconds(b, "window_s", p->window);
    add_seconds(b, "lookback_s", p->lookback);
    add_seconds(b, "join_tolerance_s", p->join_tolerance);
    add_seconds(b, "session_ttl_s", p->session_ttl);
    add_seconds(b, "sticky_window_s", p->sticky_window);
    ra_buf_addc(b, '}');
}

static double
mono(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int64_t
now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void
bind_window(sqlite3_stmt *st, int i, int64_t v, int64_t open)
{
    if (v == open)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_int64(st, i, v);
}

static int
count_rows(sqlite3 *db, const char *sql, int64_t run_id, int64_t *out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return RA_EDB;
    sqlite3_bind_int64(st, 1, run_id);
    *out = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return 0;
}

int
ra_analyze(sqlite3 *db, const struct ra_params *p, struct ra_analysis *out,
           struct ra_err *err)
{
    static const char *const detectors[] = {"bans", "shared_account",
                                            "sticky_break", "unmapped_ban",
                                            "header_variant"};
    struct ra_buf params = RA_BUF_INIT;
    sqlite3_stmt *st = NULL;
    int rc;

    double t0 = mono();
    memset(out, 0, sizeof *out);
    /* SQLite's sorter may use helper threads: index builds and the ordered
     * passes sort millions of rows (one helper per core, up to 4). */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    sqlite3_limit(db, SQLITE_LIMIT_WORKER_THREADS,
                  cores > 4 ? 4 : cores > 1 ? (int)cores : 0);
    /* The page cache is also the size of each in-memory sort run: 2 MiB
     * runs, merged from temporary files, sort faster than 16 MiB ones and
     * halve analyze's peak RSS (bench/RESULTS.md). */
    if (ra_db_exec(db, "PRAGMA cache_size=-2000", err))
        return RA_EDB;
    if ((rc = ra_sql_run(db, "indexes", NULL, 0, NULL, NULL, err)) ||
        (rc = ra_rules_load(db, err)) || (rc = ra_identity_load(db, err)))
        return rc;
    out->t_indexes = mono() - t0;
    if (ra_db_exec(db, "BEGIN IMMEDIATE", err))
        return RA_EDB;
    t0 = mono();
    if ((rc = ra_join(db, p->join_tolerance, &out->links, err)))
        goto fail;
    out->t_links = mono() - t0;

    /* The findings of an earlier run over exactly this window go. */
    static const char *const drop[] = {
        "DELETE FROM findings WHERE run_id IN (SELECT id FROM runs WHERE "
        "since IS ?1 AND until IS ?2)",
        "DELETE FROM bans WHERE run_id IN (SELECT id FROM runs WHERE "
        "since IS ?1 AND until IS ?2)",
    };
    for (int i = 0; i < 2; i++) {
        if (sqlite3_prepare_v2(db, drop[i], -1, &st, NULL) != SQLITE_OK)
            goto dberr;
        bind_window(st, 1, p->since, RA_TS_MIN);
        bind_window(st, 2, p->until, RA_TS_MAX);
        if (sqlite3_step(st) != SQLITE_DONE)
            goto dberr;
        sqlite3_finalize(st);
        st = NULL;
    }

    ra_params_json(p, &params);
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO runs (started, since, until, params, "
                           "version) VALUES (?, ?, ?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK)
        goto dberr;
    sqlite3_bind_int64(st, 1, now_ms());
    bind_window(st, 2, p->since, RA_TS_MIN);
    bind_window(st, 3, p->until, RA_TS_MAX);
    sqlite3_bind_text(st, 4, params.data, (int)params.len, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, RA_VERSION, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        goto dberr;
    sqlite3_finalize(st);
    st = NULL;
    out->run_id = sqlite3_last_insert_rowid(db);

    struct ra_sqlparam sp[] = {
        {":run_id", out->run_id},
        {":since", p->since},
        {":until", p->until},
        {":window", p->window},
        {":max_callers", p->max_callers},
        {":lookback", p->lookback},
        {":session_ttl", p->session_ttl},
        {":sticky_window", p->sticky_window},
    };
    for (size_t i = 0; i < sizeof detectors / sizeof detectors[0]; i++) {
        t0 = mono();
        if ((rc = ra_sql_run(db, detectors[i], sp, sizeof sp / sizeof sp[0],
                             NULL, NULL, err)))
            goto fail;
        out->t_steps[i] = mono() - t0;
    }
    if (count_rows(db, "SELECT count(*) FROM bans WHERE run_id = ?",
                   out->run_id, &out->bans) ||
        count_rows(db, "SELECT count(*) FROM findings WHERE run_id = ?",
                   out->run_id, &out->findings))
        goto dberr;
    if (sqlite3_prepare_v2(db, "UPDATE runs SET finished = ? WHERE id = ?", -1,
                           &st, NULL) != SQLITE_OK)
        goto dberr;
    sqlite3_bind_int64(st, 1, now_ms());
    sqlite3_bind_int64(st, 2, out->run_id);
    if (sqlite3_step(st) != SQLITE_DONE)
        goto dberr;
    sqlite3_finalize(st);
    st = NULL;
    if (ra_db_exec(db, "COMMIT", err)) {
        rc = RA_EDB;
        goto fail;
    }
    ra_buf_release(&params);
    return 0;

dberr:
    rc = ra_err_set(err, RA_EDB, "analysis failed: %s", sqlite3_errmsg(db));
fail:
    sqlite3_finalize(st);
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    ra_buf_release(&params);
    return rc ? rc : RA_EDB;
}
