/* sqlrun.c -- runs a file of SQL statements with bound named parameters.
 * Detectors are SQL files; this is the only way C executes them, so no
 * value is ever formatted into SQL text.
 */
#include "analyze/analyze.h"
#include "ingest/writer.h"

#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static atomic_int idle_cores = -1;

void
ra_sql_idle_cores(int n)
{
    atomic_store(&idle_cores, n);
}

void
ra_sql_idle_change(int delta)
{
    atomic_fetch_add(&idle_cores, delta);
}

/* RELAYAUDIT_TIMINGS=plan: SQLite's query plan of a statement, bound. */
static void
print_plan(sqlite3 *db, const char *name, int n, sqlite3_stmt *st)
{
    sqlite3_stmt *q = NULL;
    char *sql = sqlite3_expanded_sql(st);
    char *eqp = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sql ? sql : "");
    fprintf(stderr, "relayaudit: %s.sql statement %d plan:\n", name, n);
    if (eqp && sqlite3_prepare_v2(db, eqp, -1, &q, NULL) == SQLITE_OK)
        while (sqlite3_step(q) == SQLITE_ROW)
            fprintf(stderr, "    %s\n", sqlite3_column_text(q, 3));
    sqlite3_finalize(q);
    sqlite3_free(eqp);
    sqlite3_free(sql);
}

/* The text of analyze/sql/NAME.sql (to free), its path in *path; NULL with
 * err set when it cannot be read. */
static char *
sql_file(const char *name, struct ra_buf *path, struct ra_err *err)
{
    ra_buf_addf(path, "%s/analyze/sql/%s.sql", ra_datadir(), name);
    return ra_read_small_file(path->data, NULL, err);
}

int
ra_sql_prepare(sqlite3 *db, const char *name, sqlite3_stmt **st,
               struct ra_err *err)
{
    struct ra_buf path = RA_BUF_INIT;
    char *sql = sql_file(name, &path, err);
    int rc = sql ? 0 : RA_ECONFIG;
    *st = NULL;
    if (sql && (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK ||
                !*st))
        rc = ra_err_set(err, RA_EDB, "%s: %s", path.data, sqlite3_errmsg(db));
    free(sql);
    ra_buf_release(&path);
    return rc;
}

int
ra_sql_run(sqlite3 *db, const char *name, const struct ra_sqlparam *params,
           size_t nparams, int (*row)(void *, int, sqlite3_stmt *), void *ctx,
           struct ra_err *err)
{
    struct ra_buf path = RA_BUF_INIT;
    char *sql;
    const char *p;
    int rc = 0, idx = 0, s = SQLITE_DONE;

    if (!(sql = sql_file(name, &path, err))) {
        ra_buf_release(&path);
        return RA_ECONFIG;
    }
    /* A file may size the page caches for its own statements (bans.sql),
     * main's and temp's; the connection's sizes come back after it. (A
     * temp cache never set reads as 0, which would set it to nothing:
     * analyze's connections set both.) */
    int64_t cache = ra_db_int(db, "PRAGMA main.cache_size");
    int64_t tcache = ra_db_int(db, "PRAGMA temp.cache_size");
    for (p = sql; rc == 0 && p && *p;) {
        sqlite3_stmt *st = NULL;
        const char *tail;
        int idle = atomic_load(&idle_cores);
        if (idle >= 0) /* read as its sorts start */
            sqlite3_limit(db, SQLITE_LIMIT_WORKER_THREADS,
                          idle > 4 ? 4 : idle);
        if (sqlite3_prepare_v2(db, p, -1, &st, &tail) != SQLITE_OK) {
            rc = ra_err_set(err, RA_EDB, "%s: %s", path.data,
                            sqlite3_errmsg(db));
            break;
        }
        p = tail;
        if (!st)
            continue;
        for (int i = 1; i <= sqlite3_bind_parameter_count(st); i++) {
            const char *pn = sqlite3_bind_parameter_name(st, i);
            size_t k;
            for (k = 0; k < nparams; k++)
                if (pn && !strcmp(pn, params[k].name))
                    break;
            if (k == nparams) {
                rc = ra_err_set(err, RA_ECONFIG, "%s: no value for %s",
                                path.data, pn ? pn : "?");
                break;
            }
            sqlite3_bind_int64(st, i, params[k].value);
        }
        const char *tm = getenv("RELAYAUDIT_TIMINGS");
        if (rc == 0 && tm && !strcmp(tm, "plan"))
            print_plan(db, name, idx + 1, st);
        s = SQLITE_DONE;
        double t0 = ra_mono_s();
        if (rc == 0 && ra_group_stmt(st))
            rc = ra_group_into(db, st, RA_GROUP_CAP, err);
        else
            while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW)
                if (row)
                    rc = row(ctx, idx, st);
        if (tm)
            fprintf(stderr, "relayaudit: %s.sql statement %d: %.3f s\n",
                    name, idx + 1, ra_mono_s() - t0);
        if (rc == 0 && s != SQLITE_DONE)
            rc = ra_err_set(err, RA_EDB, "%s: %s", path.data,
                            sqlite3_errmsg(db));
        sqlite3_finalize(st);
        idx++;
    }
    char restore[96];
    snprintf(restore, sizeof restore,
             "PRAGMA main.cache_size=%lld; PRAGMA temp.cache_size=%lld",
             (long long)cache, (long long)tcache);
    sqlite3_exec(db, restore, NULL, NULL, NULL);
    free(sql);
    ra_buf_release(&path);
    return rc;
}
