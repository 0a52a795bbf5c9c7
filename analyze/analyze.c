/* analyze.c -- one analysis run: indexes, rules, links, bans and the four
 * detectors, in one write transaction. A run over exactly the window of an
 * earlier run replaces that run's findings and bans (runs keeps both).
 */
#include "analyze/analyze.h"
#include "analyze/join.h"
#include "analyze/rules.h"
#include "ingest/writer.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

/* The detectors, in the order their findings are numbered. Those that read
 * neither the links nor the bans (`beside`) run on a second, read-only
 * connection while this one computes the links, one core each; their
 * findings wait in that connection's temp.findings and are copied here in
 * this order, so that a run's findings are the same either way. */
static const struct {
    const char *name;
    int beside;
} detectors[RA_NDETECTORS] = {
    {"bans", 0},
    {"shared_account", 1},
    {"sticky_break", 1},
    {"sticky_break_declared", 0},
    {"unmapped_ban", 0},
    {"header_variant", 1},
    {"header_variant_route", 0},
};

const char *
ra_detector_name(int i)
{
    return detectors[i].name;
}

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

/* SQLite's sorter may use helper threads: index builds and the ordered
 * passes sort millions of rows (one helper per core, up to 4). The page
 * cache is also the size of each in-memory sort run: 2 MiB runs, merged
 * from temporary files, sort faster than 16 MiB ones and halve analyze's
 * peak RSS (bench/RESULTS.md). */
static int
tune(sqlite3 *db, long cores, struct ra_err *err)
{
    sqlite3_limit(db, SQLITE_LIMIT_WORKER_THREADS,
                  cores > 4 ? 4 : cores > 1 ? (int)cores : 0);
    return ra_db_exec(db, "PRAGMA cache_size=-2000", err);
}

/* The second connection and its thread. */
struct beside {
    sqlite3 *db;
    pthread_t th;
    int running;
    const struct ra_sqlparam *sp;
    size_t nsp;
    int64_t upto[RA_NDETECTORS]; /* temp.findings' last rowid after each */
    double t[RA_NDETECTORS];
    int rc;
    struct ra_err err;
};

static int64_t
last_rowid(sqlite3 *db)
{
    sqlite3_stmt *st;
    int64_t v = 0;
    if (sqlite3_prepare_v2(db, "SELECT coalesce(max(rowid), 0) FROM "
                               "temp.findings",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void *
beside_main(void *arg)
{
    struct beside *b = arg;
    /* One read transaction: the snapshot the main connection's write
     * transaction started from (nobody else can commit meanwhile). */
    if (ra_db_exec(b->db, "BEGIN", &b->err)) {
        b->rc = RA_EDB;
        return NULL;
    }
    for (int i = 0; i < RA_NDETECTORS && !b->rc; i++) {
        if (!detectors[i].beside)
            continue;
        double t0 = mono();
        b->rc = ra_sql_run(b->db, detectors[i].name, b->sp, b->nsp, NULL,
                           NULL, &b->err);
        b->t[i] = mono() - t0;
        b->upto[i] = last_rowid(b->db);
    }
    sqlite3_exec(b->db, "COMMIT", NULL, NULL, NULL);
    return NULL;
}

/* Start the beside detectors on their own connection to db's file. When
 * there is one core, or no file, they run in turn on db instead. */
static int
beside_start(struct beside *b, sqlite3 *db, long cores,
             const struct ra_sqlparam *sp, size_t nsp, struct ra_err *err)
{
    const char *path = sqlite3_db_filename(db, "main");
    memset(b, 0, sizeof *b);
    if (cores < 2 || !path || !*path)
        return 0;
    b->sp = sp;
    b->nsp = nsp;
    if (ra_db_open(path, 1, &b->db, err) || tune(b->db, cores, err) ||
        ra_identity_load(b->db, err) ||
        ra_db_exec(b->db,
                   "CREATE TEMP TABLE findings AS "
                   "SELECT * FROM main.findings WHERE 0",
                   err)) {
        sqlite3_close(b->db);
        b->db = NULL;
        return RA_EDB;
    }
    if (pthread_create(&b->th, NULL, beside_main, b)) {
        sqlite3_close(b->db);
        b->db = NULL;
        return ra_err_set(err, RA_EDB, "cannot start a thread");
    }
    b->running = 1;
    return 0;
}

/* Wait for the beside detectors; with interrupt, stop them first. */
static int
beside_wait(struct beside *b, int interrupt, struct ra_err *err)
{
    if (!b->running)
        return 0;
    if (interrupt)
        sqlite3_interrupt(b->db);
    pthread_join(b->th, NULL);
    b->running = 0;
    if (b->rc && !interrupt)
        *err = b->err;
    return interrupt ? 0 : b->rc;
}

/* The staged findings with rowids in (lo, hi], into db's findings in
 * their order (ids numbered there), every column but id. */
static int
copy_findings(sqlite3 *db, sqlite3 *from, int64_t lo, int64_t hi,
              struct ra_err *err)
{
    sqlite3_stmt *sel = NULL, *ins = NULL;
    struct ra_buf sql = RA_BUF_INIT;
    int rc = 0, n = 0, s;

    if (sqlite3_prepare_v2(from, "SELECT * FROM temp.findings WHERE rowid > "
                                 "?1 AND rowid <= ?2 ORDER BY rowid",
                           -1, &sel, NULL) != SQLITE_OK) {
        rc = ra_err_set(err, RA_EDB, "%s", sqlite3_errmsg(from));
        goto out;
    }
    sqlite3_bind_int64(sel, 1, lo);
    sqlite3_bind_int64(sel, 2, hi);
    ra_buf_adds(&sql, "INSERT INTO main.findings (");
    for (int i = 0; i < sqlite3_column_count(sel); i++)
        if (strcmp(sqlite3_column_name(sel, i), "id"))
            ra_buf_addf(&sql, "%s\"%s\"", n++ ? ", " : "",
                        sqlite3_column_name(sel, i));
    ra_buf_adds(&sql, ") VALUES (");
    for (int i = 0; i < n; i++)
        ra_buf_adds(&sql, i ? ", ?" : "?");
    ra_buf_adds(&sql, ")");
    if (sqlite3_prepare_v2(db, sql.data, -1, &ins, NULL) != SQLITE_OK) {
        rc = ra_err_set(err, RA_EDB, "%s", sqlite3_errmsg(db));
        goto out;
    }
    while ((s = sqlite3_step(sel)) == SQLITE_ROW) {
        for (int i = 0, k = 1; i < sqlite3_column_count(sel); i++)
            if (strcmp(sqlite3_column_name(sel, i), "id"))
                sqlite3_bind_value(ins, k++, sqlite3_column_value(sel, i));
        if (sqlite3_step(ins) != SQLITE_DONE) {
            rc = ra_err_set(err, RA_EDB, "cannot store a finding: %s",
                            sqlite3_errmsg(db));
            goto out;
        }
        sqlite3_reset(ins);
    }
    if (s != SQLITE_DONE)
        rc = ra_err_set(err, RA_EDB, "%s", sqlite3_errmsg(from));
out:
    sqlite3_finalize(sel);
    sqlite3_finalize(ins);
    ra_buf_release(&sql);
    return rc;
}

int
ra_analyze(sqlite3 *db, const struct ra_params *p, struct ra_analysis *out,
           struct ra_err *err)
{
    struct ra_buf params = RA_BUF_INIT;
    sqlite3_stmt *st = NULL;
    struct beside b = {0};
    const char *ev = getenv("RELAYAUDIT_CORES");
    long cores = ev && atol(ev) > 0 ? atol(ev) : sysconf(_SC_NPROCESSORS_ONLN);
    int rc;

    double t0;
    memset(out, 0, sizeof *out);
    /* One write transaction for the whole run: nobody else commits until
     * it ends, so the second connection, which starts reading inside it,
     * reads exactly what this one started from. */
    if (tune(db, cores, err) || ra_db_exec(db, "BEGIN IMMEDIATE", err))
        return RA_EDB;

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

    const struct ra_sqlparam sp[] = {
        {":run_id", out->run_id},
        {":since", p->since},
        {":until", p->until},
        {":window", p->window},
        {":max_callers", p->max_callers},
        {":lookback", p->lookback},
        {":session_ttl", p->session_ttl},
        {":sticky_window", p->sticky_window},
    };
    size_t nsp = sizeof sp / sizeof sp[0];
    /* The beside detectors start now: they need none of the indexes built
     * below (SQLite scans the tables where an index is missing; a
     * database analyzed before already has them). */
    if ((rc = beside_start(&b, db, cores, sp, nsp, err)))
        goto fail;
    t0 = mono();
    int windowed = p->since != RA_TS_MIN || p->until != RA_TS_MAX;
    if ((rc = ra_sql_run(db, "indexes", NULL, 0, NULL, NULL, err)) ||
        (windowed && (rc = ra_sql_run(db, "indexes_window", NULL, 0, NULL,
                                      NULL, err))) ||
        (rc = ra_rules_load(db, err)) || (rc = ra_identity_load(db, err)))
        goto fail;
    out->t_indexes = mono() - t0;
    t0 = mono();
    if ((rc = ra_join(db, p->join_tolerance, &out->links, err)))
        goto fail;
    out->t_links = mono() - t0;
    int64_t staged = 0;
    for (int i = 0; i < RA_NDETECTORS; i++) {
        t0 = mono();
        if (detectors[i].beside && b.db) {
            if ((rc = beside_wait(&b, 0, err)) ||
                (rc = copy_findings(db, b.db, staged, b.upto[i], err)))
                goto fail;
            staged = b.upto[i];
            out->t_steps[i] = b.t[i];
            continue;
        }
        if ((rc = ra_sql_run(db, detectors[i].name, sp, nsp, NULL, NULL,
                             err)))
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
    sqlite3_close(b.db);
    ra_buf_release(&params);
    return 0;

dberr:
    rc = ra_err_set(err, RA_EDB, "analysis failed: %s", sqlite3_errmsg(db));
fail:
    beside_wait(&b, 1, err);
    sqlite3_close(b.db);
    sqlite3_finalize(st);
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    ra_buf_release(&params);
    return rc ? rc : RA_EDB;
}
