/* rows.h -- rows held in memory, read by SQL as a table (rows.c), so that
 * one INSERT ... SELECT c0, c1... FROM <name> stores many of them. */
#ifndef RA_ROWS_H
#define RA_ROWS_H

#include "ingest/writer.h"

/* Row r's column c is v[r * stride + c]; columns from width to ncols
 * read as NULL. The table has ncols columns, c0 to c<ncols - 1>. With
 * refill, the table reads on past the n rows held: refill(ctx) replaces
 * them with the next ones, n = 0 at the end (a statement over the table
 * then streams rows that are never all in memory); a non-zero return
 * fails the statement, the caller keeping its own message. */
struct ra_rows {
    struct ra_out *v;
    size_t n, stride;
    int width, ncols;
    int (*refill)(void *ctx);
    void *ctx;
    /* c<ordered - 1>: the rows come in its ascending order, and an ORDER
     * BY of that column alone sorts nothing (0: no order) */
    int ordered;
};

/* Make `name` an eponymous virtual table over *rows on db: it exists on
 * that connection alone, never in the database's schema, and reads rows
 * as they are when a statement runs. rows->ncols must be set, and rows
 * must outlive every statement that reads the table. */
int ra_rows_register(struct sqlite3 *db, const char *name,
                     struct ra_rows *rows, struct ra_err *err) RA_WUR;

/* Drop `name` from db: after it, a statement naming it fails instead of
 * reading rows that may be gone. */
void ra_rows_unregister(struct sqlite3 *db, const char *name);

/* Prepare `INSERT OR IGNORE INTO <into> SELECT c0, c1... c<n - 1> FROM
 * <name>`, into being a table and its columns. OR IGNORE spares each
 * statement a journal of its own (it cannot stop halfway); the rows it
 * leaves out are counted by ra_rows_flush. */
int ra_rows_prepare(struct sqlite3 *db, const char *name, const char *into,
                    int n, struct sqlite3_stmt **st,
                    struct ra_err *err) RA_WUR;

/* Insert the rows held with st and empty them. Returns SQLite's result
 * (SQLITE_DONE when the statement ran through) and sets *refused to the
 * rows it left out. */
int ra_rows_flush(struct sqlite3_stmt *st, struct ra_rows *rows,
                  size_t *refused);

#endif
