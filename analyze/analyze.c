/* analyze.c -- one analysis run: indexes, rules, links, bans and the four
 * detectors, in one write transaction, the steps that need no links on a
 * second thread meanwhile. A run over exactly the window of an earlier run
 * replaces that run's findings and bans (runs keeps both).
 */
#include "analyze/analyze.h"
#include "analyze/join.h"
#include "analyze/rules.h"
#include "analyze/spill.h"
#include "ingest/writer.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

/* The steps after the index builds, in the order their findings are
 * numbered. Those that read neither the links nor the bans (`beside`) run
 * in turn on a second thread, from the start of the run, while this
 * connection builds the indexes and the links; each has a read-only
 * connection of its own, where what it makes waits -- findings in
 * temp.findings, and the temp tables later steps read (`hands`) -- to be
 * copied here when its turn comes: a run's results are the same on one
 * core or several. The temp tables that later beside steps read
 * (`lends`) are copied on the second thread, as soon as they are made, to
 * the connection of each step that `reads` them. `links` is the join
 * (analyze/join.c). */
#define STEP_TABLES 4 /* tables a step hands, lends or reads, at most */
#define STEP_THEN 2   /* SQL files a step runs after its own, at most */

static const struct {
    const char *name;
    int beside;
    /* NULL after the last */
    const char *hands[STEP_TABLES], *lends[STEP_TABLES], *reads[STEP_TABLES];
    const char *then[STEP_THEN]; /* run after <name>.sql, in turn */
} steps[RA_NSTEPS] = {
    /* here, not beside: since the links step got lighter, the second
     * thread's turn is the longer one (5 M + 5 M: about 0.5 s sooner) */
    {"route_hosts", 0, {NULL}, {NULL}, {NULL}, {NULL}},
    {"links", 0, {NULL}, {NULL}, {NULL}, {NULL}},
    /* first on the second thread: with a map, this thread's turn is the
     * longer one */
    {"declared_events", 1, {"decl", "decl_obs"}, {NULL}, {NULL}, {NULL}},
    {"event_groups", 1, {"ra_lookback"},
     {"ev_groups", "multi_s", "multi_ip", "ra_lookback"}, {NULL}, {NULL}},
    /* with the active callers of the bans whose own event names the
     * account: on the second thread, not in the bans step on this one,
     * whose turn is the analysis's longest (5 M + 5 M: 12.72 -> 12.40 s) */
    {"bans_events", 1, {"ban_ev"}, {NULL}, {"ra_lookback"}, {"ban_active"}},
    {"bans", 0, {NULL}, {NULL}, {NULL}, {"ban_active", "bans_store"}},
    {"shared_account", 1, {NULL}, {NULL}, {"ev_groups"}, {NULL}},
    {"sticky_break", 1, {NULL}, {NULL}, {"multi_s"}, {NULL}},
    /* a step of its own, so that the main thread can take it */
    {"sticky_break_exit", 1, {NULL}, {NULL}, {"multi_ip"}, {NULL}},
    {"sticky_break_declared", 0, {NULL}, {NULL}, {NULL}, {NULL}},
    {"unmapped_ban", 0, {NULL}, {NULL}, {NULL}, {NULL}},
    {"header_variant", 1, {NULL}, {NULL}, {"ev_groups"}, {NULL}},
    {"header_variant_route", 0, {NULL}, {NULL}, {NULL}, {NULL}},
};

const char *
ra_step_name(int i)
{
    return steps[i].name;
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
    p->progress = 0;
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

/* The step under way, on one terminal line (cleared by done = -1). */
static void
show(const struct ra_params *p, double start, int done, const char *step)
{
    if (!p->progress)
        return;
    if (done < 0)
        fputs("\r\033[K", stderr);
    else
        fprintf(stderr, "\rrelayaudit: analyzing: %s (%d of %d steps done, "
                        "%.0f s)\033[K",
                step, done, RA_NSTEPS + 1, ra_mono_s() - start);
    fflush(stderr);
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

/* SQLite's sorter may use helper threads (index builds and the ordered
 * passes sort millions of rows), but only on the cores that the run's own
 * threads leave idle (ra_sql_idle_cores). The page cache is also the size
 * of each in-memory sort run: 2 MiB runs, merged from temporary files,
 * sort faster than 16 MiB ones and halve analyze's peak RSS
 * (bench/RESULTS.md). The temp tables' cache is set as well: an
 * unset one reads as 0, and a file that sizes the caches for its own
 * statements gets back what it read (analyze/sqlrun.c). And
 * ra_switches (analyze/switches.c), which sticky_break's steps read. */
static int
tune(sqlite3 *db, struct ra_err *err)
{
    if (ra_switches_register(db))
        return ra_err_set(err, RA_EDB, "ra_switches: %s", sqlite3_errmsg(db));
    return ra_db_exec(db, "PRAGMA main.cache_size=-2000; "
                          "PRAGMA temp.cache_size=-2000",
                      err);
}

/* The beside steps: one thread runs them in turn, each on a read-only
 * connection of its own, so that this connection can take what a step
 * made (reading that step's connection) while the thread goes on with the
 * next. A step that thread has not started when this one comes to it runs
 * here instead, on the step's connection: whichever thread is ahead takes
 * it (the VM's cores often run at different speeds for minutes). */
struct worker {
    sqlite3 *db;
    double t;
    int rc, taken, done; /* taken: by one thread or the other */
    struct ra_err err;
};

struct crew {
    struct worker w[RA_NSTEPS];
    struct worker ps; /* the links' proxy stream, spilled for the links */
    struct ra_link_stream stream;
    const struct ra_sqlparam *sp;
    size_t nsp;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int running, stop;
};

static int copy_rows(sqlite3 *db, sqlite3 *from, const char *table,
                     int to_main, struct ra_err *err);

/* Step i's SQL: its file, then those it names after. */
static int
run_step(sqlite3 *db, int i, const struct ra_sqlparam *sp, size_t nsp,
         struct ra_err *err)
{
    int rc = ra_sql_run(db, steps[i].name, sp, nsp, NULL, NULL, err);
    for (int k = 0; !rc && k < STEP_THEN && steps[i].then[k]; k++)
        rc = ra_sql_run(db, steps[i].then[k], sp, nsp, NULL, NULL, err);
    return rc;
}

/* Whether beside step k reads table. */
static int
step_reads(int k, const char *table)
{
    for (int r = 0; r < STEP_TABLES && steps[k].reads[r]; r++)
        if (!strcmp(steps[k].reads[r], table))
            return 1;
    return 0;
}

/* Whether beside step i lends a table that step k reads. */
static int
feeds(int i, int k)
{
    for (int l = 0; l < STEP_TABLES && steps[i].lends[l]; l++)
        if (step_reads(k, steps[i].lends[l]))
            return 1;
    return 0;
}

/* What beside step i lends, each table copied to the connection of every
 * later beside step that reads it. */
static int
lend(struct crew *c, int i, struct ra_err *err)
{
    for (int l = 0; l < STEP_TABLES && steps[i].lends[l]; l++)
        for (int k = i + 1; k < RA_NSTEPS; k++)
            if (step_reads(k, steps[i].lends[l]) &&
                copy_rows(c->w[k].db, c->w[i].db, steps[i].lends[l], 0, err))
                return RA_EDB;
    return 0;
}

/* Take worker w for the calling thread: 0 when the other took it. */
static int
crew_take(struct crew *c, struct worker *w)
{
    pthread_mutex_lock(&c->mu);
    int mine = !w->taken;
    w->taken = 1;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    return mine;
}

/* Beside step i's worker, the links' proxy stream's, or NULL. */
static struct worker *
worker_of(struct crew *c, int i)
{
    if (c->w[i].db)
        return &c->w[i];
    return c->ps.db && !strcmp(steps[i].name, "links") ? &c->ps : NULL;
}

static int crew_wait(struct crew *c, struct worker *w, struct ra_err *err);

/* Run worker w (beside step i, or the links' proxy stream), taken by the
 * calling thread, unless an earlier one failed or the run is stopping;
 * then say it is done. */
static void
crew_run(struct crew *c, struct worker *w, int i, int *rc,
         struct ra_err *err)
{
    pthread_mutex_lock(&c->mu);
    int stop = c->stop;
    pthread_mutex_unlock(&c->mu);
    double t0 = ra_mono_s();
    if (*rc || stop) {
        w->rc = *rc ? *rc : RA_EDB; /* not run */
        w->err = *err;
    } else if (ra_db_exec(w->db, "BEGIN", &w->err)) {
        /* Its reads see what this run's write transaction started
         * from: nobody else can commit until that ends. */
        w->rc = RA_EDB;
    } else if (w == &c->ps) {
        /* Read by the links step on the main connection; the read
         * transaction ends when the connection closes. */
        w->rc = ra_link_proxy_stream(w->db, &c->stream, &w->err);
    } else {
        w->rc = run_step(w->db, i, c->sp, c->nsp, &w->err);
        if (!w->rc)
            w->rc = lend(c, i, &w->err);
        sqlite3_exec(w->db, "COMMIT", NULL, NULL, NULL);
    }
    w->t = ra_mono_s() - t0;
    if (w->rc && !*rc) {
        *rc = w->rc;
        *err = w->err;
    }
    pthread_mutex_lock(&c->mu);
    w->done = 1;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

#ifndef NDEBUG
/* Tests only: wait until worker w is taken (by the main thread). */
static void
hold_until_taken(struct crew *c, struct worker *w)
{
    pthread_mutex_lock(&c->mu);
    while (!w->taken && !c->stop)
        pthread_cond_wait(&c->cv, &c->mu);
    pthread_mutex_unlock(&c->mu);
}

/* The step that environment variable var names, or -1. */
static int
test_step(const char *var)
{
    const char *name = getenv(var);
    for (int i = 0; name && i < RA_NSTEPS; i++)
        if (!strcmp(steps[i].name, name))
            return i;
    return -1;
}
#endif

static void *
crew_main(void *arg)
{
    struct crew *c = arg;
    int rc = 0;
    struct ra_err err = {0};
#ifndef NDEBUG
    /* Tests only (tests/scenarios/analyze_cores.sh): AFTER starts this
     * thread once the main thread has taken that step, so that it takes
     * those before; HOLD holds it, that step taken, until the main thread
     * has taken the next beside step, ahead of the one it waits for. */
    int after = test_step("RELAYAUDIT_TEST_CREW_AFTER"),
        hold = test_step("RELAYAUDIT_TEST_CREW_HOLD");
    if (after >= 0 && worker_of(c, after))
        hold_until_taken(c, worker_of(c, after));
#endif
    for (int i = 0; i < RA_NSTEPS; i++) {
        struct worker *w = worker_of(c, i);
        if (!w || !crew_take(c, w))
            continue;
#ifndef NDEBUG
        for (int k = i + 1; i == hold && k < RA_NSTEPS; k++)
            if (c->w[k].db) {
                hold_until_taken(c, &c->w[k]);
                break;
            }
#endif
        /* what it reads from a step the main thread took, once lent */
        for (int j = 0; j < i && !rc && w != &c->ps; j++)
            if (c->w[j].db && feeds(j, i))
                rc = crew_wait(c, &c->w[j], &err);
        crew_run(c, w, i, &rc, &err);
    }
    ra_sql_idle_change(1); /* this thread's core */
    return NULL;
}

/* Open a connection to db's file for every beside step and start the
 * thread. With one core, no file, or few file descriptors, nothing starts:
 * every step runs in turn on db. */
static int
crew_start(struct crew *c, sqlite3 *db, long cores,
           const struct ra_sqlparam *sp, size_t nsp, struct ra_err *err)
{
    const char *path = sqlite3_db_filename(db, "main");
    struct rlimit fds;
    c->sp = sp;
    c->nsp = nsp;
    if (cores < 2 || !path || !*path)
        return 0;
    /* Each connection holds three files and its sorts open more: with few
     * file descriptors allowed, one connection does it all. */
    if (getrlimit(RLIMIT_NOFILE, &fds) == 0 && fds.rlim_cur < 256)
        return 0;
    /* The links' proxy stream needs no more than the map's session groups,
     * made on its connection too. */
    if (ra_db_open(path, RA_DB_READ, &c->ps.db, err) || tune(c->ps.db, err))
        return RA_EDB;
    for (int i = 0; i < RA_NSTEPS; i++) {
        struct worker *w = &c->w[i];
        if (!steps[i].beside)
            continue;
        if (ra_db_open(path, RA_DB_READ, &w->db, err))
            return RA_EDB;
        if (tune(w->db, err) || ra_rules_load(w->db, err) ||
            ra_identity_load(w->db, err) ||
            ra_db_exec(w->db,
                       "CREATE TEMP TABLE findings AS "
                       "SELECT * FROM main.findings WHERE 0",
                       err))
            return RA_EDB;
    }
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    if (pthread_create(&c->th, NULL, crew_main, c)) {
        pthread_mutex_destroy(&c->mu);
        pthread_cond_destroy(&c->cv);
        return ra_err_set(err, RA_EDB, "cannot start a thread");
    }
    c->running = 1;
    return 0;
}

/* Wait until worker w is done: 0, or its error. */
static int
crew_wait(struct crew *c, struct worker *w, struct ra_err *err)
{
    pthread_mutex_lock(&c->mu);
    if (!w->done) { /* this thread's core is idle meanwhile */
        ra_sql_idle_change(1);
        while (!w->done)
            pthread_cond_wait(&c->cv, &c->mu);
        ra_sql_idle_change(-1);
    }
    pthread_mutex_unlock(&c->mu);
    if (w->rc)
        *err = w->err;
    return w->rc;
}

/* Whether every table that beside step k reads from an earlier one has
 * been lent. */
static int
lent_ready(struct crew *c, int k)
{
    int ready = 1;
    pthread_mutex_lock(&c->mu);
    for (int j = 0; j < k && ready; j++)
        if (c->w[j].db && feeds(j, k) && !c->w[j].done)
            ready = 0;
    pthread_mutex_unlock(&c->mu);
    return ready;
}

/* Run worker w (beside step i, or the links' proxy stream) on this
 * thread unless the second one took it: whether it ran here. Either way
 * crew_wait gives its result. */
static int
crew_run_here(struct crew *c, struct worker *w, int i)
{
    int rc = 0;
    struct ra_err err = {0};
    if (!crew_take(c, w))
        return 0;
    crew_run(c, w, i, &rc, &err);
    return 1;
}

/* While the second thread runs beside step i, run here the later ones it
 * has not started and can run now: this thread would only wait. Their
 * results are taken over in order, as they come. */
static void
crew_help(struct crew *c, int i)
{
    for (int k = i + 1; k < RA_NSTEPS; k++) {
        pthread_mutex_lock(&c->mu);
        int busy = !c->w[i].done;
        pthread_mutex_unlock(&c->mu);
        if (!busy)
            return;
        if (c->w[k].db && lent_ready(c, k))
            crew_run_here(c, &c->w[k], k);
    }
}

/* The links' proxy stream, once spilled (here, when the second thread is
 * still busy with the steps before it). */
static int
stream_ready(void *ctx, struct ra_err *err)
{
    struct crew *c = ctx;
    crew_run_here(c, &c->ps, 0); /* the stream reads no step's tables */
    return crew_wait(c, &c->ps, err);
}

/* Stop the thread (interrupting its step) and close every connection. */
static void
crew_end(struct crew *c)
{
    if (c->running) {
        pthread_mutex_lock(&c->mu);
        c->stop = 1;
        pthread_cond_broadcast(&c->cv);
        pthread_mutex_unlock(&c->mu);
        for (int i = 0; i < RA_NSTEPS; i++) /* idle ones: no effect */
            if (c->w[i].db)
                sqlite3_interrupt(c->w[i].db);
        if (c->ps.db)
            sqlite3_interrupt(c->ps.db);
        pthread_join(c->th, NULL);
        pthread_mutex_destroy(&c->mu);
        pthread_cond_destroy(&c->cv);
        c->running = 0;
    }
    for (int i = 0; i < RA_NSTEPS; i++) {
        sqlite3_close(c->w[i].db);
        c->w[i].db = NULL;
    }
    ra_spill_free(c->stream.spill); /* not taken by the links: an error */
    c->stream.spill = NULL;
    sqlite3_close(c->ps.db);
    c->ps.db = NULL;
}

/* A temp table of from made anew in db, by its own definition (its
 * primary key included). */
static int
copy_table_def(sqlite3 *db, sqlite3 *from, const char *table,
               struct ra_err *err)
{
    static const char head[] = "CREATE TABLE ";
    sqlite3_stmt *st = NULL;
    struct ra_buf sql = RA_BUF_INIT;
    int rc = 0;
    if (sqlite3_prepare_v2(from, "SELECT sql FROM sqlite_temp_master "
                                 "WHERE type = 'table' AND name = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return ra_err_set(err, RA_EDB, "%s", sqlite3_errmsg(from));
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    const char *def = sqlite3_step(st) == SQLITE_ROW
                          ? (const char *)sqlite3_column_text(st, 0)
                          : NULL;
    if (!def || strncmp(def, head, sizeof head - 1))
        rc = ra_err_set(err, RA_EDB, "no temp table %s to hand over", table);
    else {
        ra_buf_addf(&sql,
                    "DROP TABLE IF EXISTS temp.\"%s\"; CREATE TEMP TABLE %s",
                    table, def + sizeof head - 1);
        rc = ra_db_exec(db, sql.data, err);
    }
    sqlite3_finalize(st);
    ra_buf_release(&sql);
    return rc;
}

/* Every row of from's temp.<table>, in rowid order, into db: with to_main
 * into main.<table> (every column but id, which is numbered here: the
 * findings), else into a temp table of the same definition made anew. */
static int
copy_rows(sqlite3 *db, sqlite3 *from, const char *table, int to_main,
          struct ra_err *err)
{
    sqlite3_stmt *sel = NULL, *ins = NULL;
    struct ra_buf sql = RA_BUF_INIT;
    int rc = 0, n = 0, s;

    if (!to_main && (rc = copy_table_def(db, from, table, err)))
        return rc;
    ra_buf_addf(&sql, "SELECT * FROM temp.\"%s\" ORDER BY rowid", table);
    if (sqlite3_prepare_v2(from, sql.data, -1, &sel, NULL) != SQLITE_OK) {
        rc = ra_err_set(err, RA_EDB, "%s", sqlite3_errmsg(from));
        goto out;
    }
    int ncol = sqlite3_column_count(sel);
    ra_buf_reset(&sql);
    ra_buf_addf(&sql, "INSERT INTO %s.\"%s\" (", to_main ? "main" : "temp",
                table);
    for (int i = 0; i < ncol; i++) {
        const char *c = sqlite3_column_name(sel, i);
        if (!to_main || strcmp(c, "id"))
            ra_buf_addf(&sql, "%s\"%s\"", n++ ? ", " : "", c);
    }
    ra_buf_adds(&sql, ") VALUES (");
    for (int i = 0; i < n; i++)
        ra_buf_adds(&sql, i ? ", ?" : "?");
    ra_buf_adds(&sql, ")");
    if (sqlite3_prepare_v2(db, sql.data, -1, &ins, NULL) != SQLITE_OK) {
        rc = ra_err_set(err, RA_EDB, "%s", sqlite3_errmsg(db));
        goto out;
    }
    while ((s = sqlite3_step(sel)) == SQLITE_ROW) {
        for (int i = 0, k = 1; i < ncol; i++)
            if (!to_main || strcmp(sqlite3_column_name(sel, i), "id"))
                sqlite3_bind_value(ins, k++, sqlite3_column_value(sel, i));
        if (sqlite3_step(ins) != SQLITE_DONE) {
            rc = ra_err_set(err, RA_EDB, "cannot copy a row of %s: %s",
                            table, sqlite3_errmsg(db));
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
    struct crew crew = {0};
    long cores = (long)ra_env_number("RELAYAUDIT_CORES", 1, 4096,
                                     (double)sysconf(_SC_NPROCESSORS_ONLN));
    int rc;

    double t0, start = ra_mono_s();
    memset(out, 0, sizeof *out);
    /* One write transaction for the whole run: nobody else commits until
     * it ends, so the second connection, which starts reading inside it,
     * reads exactly what this one started from. */
    if (tune(db, err) || ra_db_exec(db, "BEGIN IMMEDIATE", err))
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
    sqlite3_bind_int64(st, 1, ra_now_ms());
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
    /* The beside steps start now: they need none of the indexes built
     * below (SQLite scans the tables where an index is missing; a
     * database analyzed before already has them). If the second thread
     * cannot start (no more file descriptors, say), every step runs here
     * in turn, as on one core. */
    struct ra_err cerr = {0};
    if (crew_start(&crew, db, cores, sp, nsp, &cerr)) {
        crew_end(&crew);
        memset(&crew, 0, sizeof crew);
    }
    /* the cores left to sorter helpers: this thread and the second take
     * one each */
    ra_sql_idle_cores((int)(cores < 4096 ? cores : 4096) - 1 - crew.running);
    t0 = ra_mono_s();
    show(p, start, 0, "indexes");
    int windowed = p->since != RA_TS_MIN || p->until != RA_TS_MAX;
    if ((rc = ra_sql_run(db, "indexes", NULL, 0, NULL, NULL, err)) ||
        (windowed && (rc = ra_sql_run(db, "indexes_window", NULL, 0, NULL,
                                      NULL, err))) ||
        (rc = ra_rules_load(db, err)) || (rc = ra_identity_load(db, err)))
        goto fail;
    out->t_indexes = ra_mono_s() - t0;
    for (int i = 0; i < RA_NSTEPS; i++) {
        t0 = ra_mono_s();
        show(p, start, i + 1, steps[i].name);
        sqlite3 *wdb = crew.w[i].db;
        if (wdb) {
            if (!crew_run_here(&crew, &crew.w[i], i)) /* started there */
                crew_help(&crew, i);
            if ((rc = crew_wait(&crew, &crew.w[i], err)))
                goto fail;
            for (int h = 0; h < STEP_TABLES && steps[i].hands[h]; h++)
                if ((rc = copy_rows(db, wdb, steps[i].hands[h], 0, err)))
                    goto fail;
            if ((rc = copy_rows(db, wdb, "findings", 1, err)))
                goto fail;
            out->t_steps[i] = crew.w[i].t;
            continue;
        }
        if (!strcmp(steps[i].name, "links")) {
            /* The proxy stream is spilled on the second thread while
             * the join spills the gateway stream here. */
            crew.stream.ready = stream_ready;
            crew.stream.ctx = &crew;
            rc = ra_join(db, p->join_tolerance, &out->links,
                         crew.ps.db ? &crew.stream : NULL, err);
        } else
            rc = run_step(db, i, sp, nsp, err);
        if (rc)
            goto fail;
        out->t_steps[i] = ra_mono_s() - t0;
    }
    if (count_rows(db, "SELECT count(*) FROM bans WHERE run_id = ?",
                   out->run_id, &out->bans) ||
        count_rows(db, "SELECT count(*) FROM findings WHERE run_id = ?",
                   out->run_id, &out->findings))
        goto dberr;
    if (sqlite3_prepare_v2(db, "UPDATE runs SET finished = ? WHERE id = ?", -1,
                           &st, NULL) != SQLITE_OK)
        goto dberr;
    sqlite3_bind_int64(st, 1, ra_now_ms());
    sqlite3_bind_int64(st, 2, out->run_id);
    if (sqlite3_step(st) != SQLITE_DONE)
        goto dberr;
    sqlite3_finalize(st);
    st = NULL;
    t0 = ra_mono_s();
    if (ra_db_exec(db, "COMMIT", err)) {
        rc = RA_EDB;
        goto fail;
    }
    out->t_commit = ra_mono_s() - t0;
    crew_end(&crew);
    ra_sql_idle_cores(-1);
    ra_buf_release(&params);
    show(p, start, -1, NULL);
    return 0;

dberr:
    rc = ra_err_set(err, RA_EDB, "analysis failed: %s", sqlite3_errmsg(db));
fail:
    show(p, start, -1, NULL);
    crew_end(&crew);
    ra_sql_idle_cores(-1);
    sqlite3_finalize(st);
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    ra_buf_release(&params);
    return rc ? rc : RA_EDB;
}
