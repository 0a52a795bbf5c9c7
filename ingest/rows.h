/* rows.h -- rows held in memory, read by SQL as a table (rows.c), so that
 * one INSERT ... SELECT c0, c1... FROM <name> stores many of them. */
#ifndef RA_ROWS_H
#define RA_ROWS_H

#include "ingest/writer.h"

/* Row r's column c is v[r * stride + c]; columns from width to ncols
 * read as NULL. The table has ncols columns, c0 to c<ncols - 1>. */
struct ra_rows {
    struct ra_out *v;
    size_t n, stride;
    int width, ncols;
};

/* Make `name` an eponymous virtual table over *rows on db: it exists on
 * that connection alone, never in the database's schema, and reads rows
 * as they are when a statement runs. rows->ncols must be set, and rows
 * must outlive every statement that reads the table. */
int ra_rows_register(struct sqlite3 *db, const char *name,
                     struct ra_rows *rows, struct ra_err *err) RA_WUR;

#endif
