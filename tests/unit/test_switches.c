/* test_switches.c -- ra_switches (analyze/switches.c) against SQL's lag()
 * over a window: the same switches, with the same row before each, for
 * values that are integers, reals, text, blobs and NULL (NULL and NULL
 * the same), rows in no group left out, in one partition or many, with
 * one to three order columns; and its errors. */
#include "analyze/analyze.h"
#include "analyze/spill.h"
#include "check.h"
#include "sql_rows.h"
#include "ingest/writer.h"

#include <sqlite3.h>
#include <stdlib.h>

/* The switches of t by ra_switches, in order of nord columns, and by
 * lag(), both as (group, row, value, the row before, its value), in the
 * order of group and row; ra_switches told of `bound` rows at most,
 * which sizes its partitions (RA_SPILL_ROWS each, about). */
static void
same(sqlite3 *db, int nord, int bound)
{
    static const char *const ord[] = {"d", "a, b", "a, e, f"};
    char q[1024], w[1024];
    int v = 1 + nord; /* the value's column */
    snprintf(q, sizeof q,
             "SELECT c0, c%d, c%d, p%d, p%d FROM ra_switches("
             "'SELECT g, %s, v, x FROM t', %d, %d) ORDER BY c0, c%d",
             v + 1, v, v + 1, v, ord[nord - 1], nord, bound, v + 1);
    snprintf(w, sizeof w,
             "SELECT g, x, v, px, pv FROM (SELECT g, x, v, "
             "lag(x) OVER w AS px, lag(v) OVER w AS pv, "
             "row_number() OVER w AS n FROM t WHERE g IS NOT NULL "
             "WINDOW w AS (PARTITION BY g ORDER BY %s)) "
             "WHERE n > 1 AND pv IS NOT v ORDER BY g, x",
             ord[nord - 1]);
    char *got = sql_rows(db, q, 1), *want = sql_rows(db, w, 1);
    CHECK(strlen(want) > 1000); /* many switches */
    CHECK_STR(got, want);
    free(got);
    free(want);
}

int
main(void)
{
    sqlite3 *db;
    struct ra_err err = {0};
    CHECK_INT(sqlite3_open(":memory:", &db), SQLITE_OK);
    CHECK_INT(ra_switches_register(db), 0);
    /* 3,000 rows of 40 groups (and none); d orders a group's rows, and
     * so do (a, b) and (a, e, f), each column needed; values of every
     * type, about 1 in 3 the same as the row before */
    CHECK_INT(ra_db_exec(db,
                         "CREATE TABLE t (g, d, a, b, e, f, v, x);"
                         "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
                         "SELECT i + 1 FROM n WHERE i < 3000),"
                         "m(i, d) AS (SELECT i, i * 7919 % 3001 FROM n) "
                         "INSERT INTO t SELECT "
                         "CASE WHEN i % 97 = 0 THEN NULL ELSE i * 7 % 40 END,"
                         "d, d / 10, d % 10, d % 10 / 5, d % 5,"
                         "CASE i * 13 % 7 WHEN 0 THEN NULL WHEN 1 THEN i % 3 "
                         "WHEN 2 THEN 'v' || (i % 3) "
                         "WHEN 3 THEN (i % 3) + 0.5 "
                         "WHEN 4 THEN x'00' || char(i % 3) ELSE 1 END,"
                         "printf('x%04d', i) FROM m",
                         &err),
              0);
    for (int nord = 1; nord <= 3; nord++) {
        same(db, nord, 1);
        same(db, nord, 64 * RA_SPILL_ROWS);
    }
    /* a query with no rows: no switches */
    char *none = sql_rows(db,
                          "SELECT * FROM ra_switches('SELECT g, a, v FROM t "
                          "WHERE 0', 1, 4)",
                          1);
    CHECK_STR(none, "");
    free(none);
    /* errors: the arguments, then the message's words */
    static const char *const bad[][2] = {
        {"'SELECT g, a FROM t', 1, 1",
         "ra_switches: the query has 2 + nord to 8"},
        {"'SELECT g, v, a FROM t', 1, 1", "an order column is not an integer"},
        {"'SELECT g, a, v FROM t', 4, 1", "1 to 3 order columns"},
        {"'SELECT g, d, v FROM nosuch', 1, 1",
         "ra_switches: no such table: nosuch"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char q[256];
        snprintf(q, sizeof q, "SELECT * FROM ra_switches(%s)", bad[i][0]);
        CHECK_INT(ra_db_exec(db, q, &err), RA_EDB);
        CHECK_STR(strstr(err.msg, bad[i][1]) ? bad[i][1] : err.msg,
                  bad[i][1]);
    }
    sqlite3_close(db);
    return check_done();
}
