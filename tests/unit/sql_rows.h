/* sql_rows.h -- the unit tests' look at what a query returns. */
#ifndef RA_SQL_ROWS_H
#define RA_SQL_ROWS_H

#include "common/ra.h"

#include <sqlite3.h>
#include <stdio.h>

/* Every row of sql as one text to free: "a,b,c;a,b,c;", with typed each
 * value followed by its type (":1" an integer ... ":5" NULL, SQLite's
 * numbers); "(error)" when sql does not prepare, and "(error: why)" after
 * the rows when a step fails. */
static char *
sql_rows(sqlite3 *db, const char *sql, int typed)
{
    sqlite3_stmt *st;
    struct ra_buf b = RA_BUF_INIT;
    int rc;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
        return xstrdup("(error)");
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int c = 0; c < sqlite3_column_count(st); c++) {
            const char *t = (const char *)sqlite3_column_text(st, c);
            ra_buf_addf(&b, "%s%s", c ? "," : "", t ? t : "NULL");
            if (typed)
                ra_buf_addf(&b, ":%d", sqlite3_column_type(st, c));
        }
        ra_buf_adds(&b, ";");
    }
    if (rc != SQLITE_DONE)
        ra_buf_addf(&b, "(error: %s)", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    char *s = xstrdup(b.data ? b.data : "");
    ra_buf_release(&b);
    return s;
}

#endif
