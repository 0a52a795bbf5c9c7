/* test_group.c -- group_into (analyze/group.c) against SQLite's GROUP BY:
 * the same groups, sums, least and greatest values, NULLs skipped, in key
 * order, whether every group fits in memory or the table is written out
 * every two groups, for one table or two fed by one scan, with a column
 * feeding one aggregate or several; and its errors. Also the sorter
 * helpers that ra_sql_run gives a statement (analyze/sqlrun.c). */
#include "analyze/analyze.h"
#include "check.h"
#include "sql_rows.h"

#include <sqlite3.h>
#include <stdlib.h>

/* Run one group_into statement with at most cap groups in memory. */
static int
group(sqlite3 *db, const char *sql, size_t cap, struct ra_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
        return -1;
    }
    int rc = ra_group_into(db, st, cap, err);
    sqlite3_finalize(st);
    return rc;
}

static void
exec(sqlite3 *db, const char *sql)
{
    char *e = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &e) != SQLITE_OK)
        fprintf(stderr, "%s: %s\n", sql, e);
    sqlite3_free(e);
}

static const char *const make_target =
    "DROP TABLE IF EXISTS temp.g;"
    "CREATE TEMP TABLE g (a INTEGER, b INTEGER, n INTEGER, lo INTEGER,"
    " hi INTEGER, s INTEGER, PRIMARY KEY (a, b));";

static const char *const grouped =
    "SELECT 'g' AS group_into, a AS key_a, b AS key_b, 1 AS sum_n,"
    " v AS min_lo, v AS max_hi, v AS sum_s FROM ev";

int
main(void)
{
    sqlite3 *db;
    struct ra_err err = {0};
    sqlite3_open(":memory:", &db);
    exec(db, "CREATE TABLE ev (a INTEGER, b INTEGER, v INTEGER)");
    /* 2,000 events in 21 groups, in no order; some values NULL, and one
     * group whose every value is NULL */
    exec(db, "WITH RECURSIVE i(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM i"
             " WHERE x < 2000)"
             " INSERT INTO ev SELECT (x * 7919) % 5, (x * 104729) % 4,"
             " CASE WHEN x % 13 = 0 THEN NULL ELSE (x * 31337) % 1000 - 500"
             " END FROM i;"
             "INSERT INTO ev VALUES (9, 9, NULL), (9, 9, NULL);");
    char *want = sql_rows(db, "SELECT a, b, count(*), min(v), max(v), sum(v)"
                          " FROM ev GROUP BY a, b ORDER BY a, b", 0);
    CHECK(strlen(want) > 100);

    /* everything in memory: the groups written once, in key order */
    exec(db, make_target);
    CHECK_INT(group(db, grouped, RA_GROUP_CAP, &err), 0);
    char *got = sql_rows(db, "SELECT * FROM temp.g ORDER BY rowid", 0);
    CHECK_STR(got, want);
    free(got);

    /* two groups at a time: written out ten times, composed by upserts */
    exec(db, make_target);
    CHECK_INT(group(db, grouped, 2, &err), 0);
    got = sql_rows(db, "SELECT * FROM temp.g ORDER BY a, b", 0);
    CHECK_STR(got, want);
    free(got);
    CHECK_STR(got = sql_rows(db, "SELECT count(*) FROM temp.g", 0), "21;");
    free(got);

    /* one column feeding three aggregates, its words joined by spaces:
     * the same groups */
    exec(db, make_target);
    CHECK_INT(group(db,
                    "SELECT 'g' AS group_into, a AS key_a, b AS key_b,"
                    " 1 AS sum_n, v AS \"min_lo max_hi sum_s\" FROM ev",
                    2, &err),
              0);
    got = sql_rows(db, "SELECT * FROM temp.g ORDER BY a, b", 0);
    CHECK_STR(got, want);
    free(got);

    /* one scan, two tables: the second column of group_into starts the
     * columns of another table; a NULL group_into skips its table */
    exec(db, make_target);
    exec(db, "DROP TABLE IF EXISTS temp.h;"
             "CREATE TEMP TABLE h (b INTEGER PRIMARY KEY, n INTEGER);");
    CHECK_INT(group(db,
                    "SELECT 'g' AS group_into, a AS key_a, b AS key_b,"
                    " 1 AS sum_n, v AS min_lo, v AS max_hi, v AS sum_s,"
                    " CASE WHEN v > 0 THEN 'h' END AS group_into,"
                    " b AS key_b, 1 AS sum_n FROM ev",
                    2, &err),
              0);
    got = sql_rows(db, "SELECT * FROM temp.g ORDER BY a, b", 0);
    CHECK_STR(got, want);
    free(got);
    char *want_h = sql_rows(db, "SELECT b, count(*) FROM ev WHERE v > 0"
                            " GROUP BY b ORDER BY b", 0);
    got = sql_rows(db, "SELECT * FROM temp.h ORDER BY b", 0);
    CHECK_STR(got, want_h);
    free(got);
    free(want_h);

    /* no rows: nothing written, no error */
    exec(db, make_target);
    CHECK_INT(group(db, "SELECT 'g' AS group_into, a AS key_a, b AS key_b,"
                        " 1 AS sum_n FROM ev WHERE 0",
                    RA_GROUP_CAP, &err),
              0);
    CHECK_STR(got = sql_rows(db, "SELECT count(*) FROM temp.g", 0), "0;");
    free(got);

    /* errors: a NULL key, text, a column of no kind, a key after an
     * aggregate, a sum past 2^63 */
    static const struct {
        const char *sql, *says;
    } bad[] = {
        {"SELECT 'g' AS group_into, NULL AS key_a, b AS key_b, 1 AS sum_n"
         " FROM ev",
         "key_a is not an integer"},
        {"SELECT 'g' AS group_into, a AS key_a, b AS key_b, 'x' AS sum_n"
         " FROM ev",
         "sum_n is not an integer"},
        {"SELECT 'g' AS group_into, a AS key_a, b AS n FROM ev",
         "column 'n'"},
        {"SELECT 'g' AS group_into, a AS key_a, b AS \"min_lo lo\" FROM ev",
         "column 'min_lo lo'"},
        {"SELECT 'g' AS group_into, a AS key_a, 1 AS sum_n, b AS key_b"
         " FROM ev",
         "after an aggregate"},
        {"SELECT 'g' AS group_into, 1 AS key_a, 1 AS key_b,"
         " 9223372036854775807 AS sum_n FROM ev",
         "overflows"},
        {"SELECT CASE WHEN rowid % 2 THEN 'h' ELSE 'h2' END AS group_into,"
         " b AS key_b, 1 AS sum_n FROM ev ORDER BY rowid",
         "'h' and 'h2' in one column"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        exec(db, make_target);
        CHECK_INT(group(db, bad[i].sql, RA_GROUP_CAP, &err), RA_EDB);
        CHECK(strstr(err.msg, bad[i].says) != NULL);
    }

    /* ra_sql_run gives each statement's sorts a helper thread for each
     * core that the analysis's threads leave idle (at most 4), and leaves
     * the connection's limit alone when no analysis counts them */
    exec(db, "CREATE TABLE strings (id INTEGER PRIMARY KEY, s TEXT)");
    sqlite3_limit(db, SQLITE_LIMIT_WORKER_THREADS, 1);
    CHECK_INT(ra_sql_run(db, "route_hosts", NULL, 0, NULL, NULL, &err), 0);
    CHECK_INT(sqlite3_limit(db, SQLITE_LIMIT_WORKER_THREADS, -1), 1);
    ra_sql_idle_cores(0);
    CHECK_INT(ra_sql_run(db, "route_hosts", NULL, 0, NULL, NULL, &err), 0);
    CHECK_INT(sqlite3_limit(db, SQLITE_LIMIT_WORKER_THREADS, -1), 0);
    ra_sql_idle_change(3);
    CHECK_INT(ra_sql_run(db, "route_hosts", NULL, 0, NULL, NULL, &err), 0);
    CHECK_INT(sqlite3_limit(db, SQLITE_LIMIT_WORKER_THREADS, -1), 3);
    ra_sql_idle_cores(7);
    CHECK_INT(ra_sql_run(db, "route_hosts", NULL, 0, NULL, NULL, &err), 0);
    CHECK_INT(sqlite3_limit(db, SQLITE_LIMIT_WORKER_THREADS, -1), 4);
    ra_sql_idle_cores(-1);

    free(want);
    sqlite3_close(db);
    return check_done();
}
