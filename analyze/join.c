/* join.c -- links gateway attempts to proxy events (DESIGN.md, "Joins" 1).
 *
 * SQL (analyze/sql/link_candidates.sql) lists the candidate pairs of each
 * pass best first: smallest |dt|, then gateway id, then proxy id. Here they
 * are taken greedily, each event at most once, which is exactly the
 * one-to-one nearest-in-time matching the design asks for. Memory: one bit
 * per event id.
 */
#include "analyze/join.h"
#include "ingest/writer.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

struct join {
    unsigned char *gused, *pused;
    int64_t gmax, pmax;
    sqlite3_stmt *ins;
    int64_t links;
    struct ra_err *err;
};

static int64_t
max_id(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static int
take(void *ctx, int pass, sqlite3_stmt *st)
{
    struct join *j = ctx;
    int64_t g = sqlite3_column_int64(st, 0), p = sqlite3_column_int64(st, 1);
    if (g < 0 || g > j->gmax || p < 0 || p > j->pmax)
        return 0;
    if ((j->gused[g >> 3] >> (g & 7)) & 1 || (j->pused[p >> 3] >> (p & 7)) & 1)
        return 0;
    j->gused[g >> 3] |= (unsigned char)(1u << (g & 7));
    j->pused[p >> 3] |= (unsigned char)(1u << (p & 7));
    sqlite3_reset(j->ins);
    sqlite3_bind_int64(j->ins, 1, g);
    sqlite3_bind_int64(j->ins, 2, p);
    sqlite3_bind_text(j->ins, 3, pass == 0 ? "request_id" : "session", -1,
                      SQLITE_STATIC);
    sqlite3_bind_int64(j->ins, 4, sqlite3_column_int64(st, 2));
    if (sqlite3_step(j->ins) != SQLITE_DONE)
        return ra_err_set(j->err, RA_EDB, "cannot store a link: %s",
                          sqlite3_errmsg(sqlite3_db_handle(j->ins)));
    j->links++;
    return 0;
}

int
ra_join(sqlite3 *db, int64_t tolerance, int64_t *nlinks, struct ra_err *err)
{
    struct join j;
    struct ra_sqlparam params[] = {{":tolerance", tolerance}};
    int rc;

    memset(&j, 0, sizeof j);
    j.err = err;
    j.gmax = max_id(db, "SELECT coalesce(max(id), 0) FROM gateway_events");
    j.pmax = max_id(db, "SELECT coalesce(max(id), 0) FROM proxy_events");
    j.gused = xcalloc((size_t)(j.gmax / 8 + 1), 1);
    j.pused = xcalloc((size_t)(j.pmax / 8 + 1), 1);
    if (ra_db_exec(db, "DELETE FROM links", err) ||
        sqlite3_prepare_v2(db, "INSERT INTO links VALUES (?, ?, ?, ?)", -1,
                           &j.ins, NULL) != SQLITE_OK) {
        rc = RA_EDB;
        goto out;
    }
    rc = ra_sql_run(db, "link_candidates", params, 1, take, &j, err);
    *nlinks = j.links;
out:
    sqlite3_finalize(j.ins);
    free(j.gused);
    free(j.pused);
    return rc;
}
