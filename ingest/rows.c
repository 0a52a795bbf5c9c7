/* rows.c -- an eponymous virtual table over rows in memory (rows.h).
 *
 * A prepared INSERT per row spends about a third of its step starting and
 * ending the statement (opening the table, finding its last rowid,
 * halting); one INSERT ... SELECT over this table pays that once for all
 * the rows it reads. Values are given to SQLite as they are: text is
 * SQLITE_STATIC, so it must not move until the statement has run.
 */
#include "ingest/rows.h"

#include <sqlite3.h>
#include <string.h>

/* c0, c1... c<n - 1> */
static void
add_columns(struct ra_buf *b, int n)
{
    for (int i = 0; i < n; i++)
        ra_buf_addf(b, i ? ", c%d" : "c%d", i);
}

struct rows_vtab {
    sqlite3_vtab base;
    const struct ra_rows *rows;
};

struct rows_cursor {
    sqlite3_vtab_cursor base;
    size_t i;
    const struct ra_out *row; /* row i's values */
    int width;                /* the columns past it read NULL */
};

static int
rows_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
             sqlite3_vtab **out, char **errmsg)
{
    const struct ra_rows *rows = aux;
    struct ra_buf sql = RA_BUF_INIT;
    (void)argc, (void)argv, (void)errmsg;
    ra_buf_adds(&sql, "CREATE TABLE x(");
    add_columns(&sql, rows->ncols);
    ra_buf_adds(&sql, ")");
    int rc = sqlite3_declare_vtab(db, sql.data);
    ra_buf_release(&sql);
    if (rc != SQLITE_OK)
        return rc;
    struct rows_vtab *vt = sqlite3_malloc(sizeof *vt);
    if (!vt)
        return SQLITE_NOMEM;
    memset(vt, 0, sizeof *vt);
    vt->rows = rows;
    *out = &vt->base;
    return SQLITE_OK;
}

static int
rows_disconnect(sqlite3_vtab *vt)
{
    sqlite3_free(vt);
    return SQLITE_OK;
}

static int
rows_best_index(sqlite3_vtab *vt, sqlite3_index_info *info)
{
    const struct ra_rows *rows = ((struct rows_vtab *)vt)->rows;
    if (rows->ordered && info->nOrderBy == 1 &&
        info->aOrderBy[0].iColumn == rows->ordered - 1 &&
        !info->aOrderBy[0].desc)
        info->orderByConsumed = 1;
    info->estimatedCost = 1000;
    info->estimatedRows = 1000;
    return SQLITE_OK;
}

static int
rows_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **out)
{
    struct rows_cursor *c = sqlite3_malloc(sizeof *c);
    (void)vt;
    if (!c)
        return SQLITE_NOMEM;
    memset(c, 0, sizeof *c);
    *out = &c->base;
    return SQLITE_OK;
}

static int
rows_close(sqlite3_vtab_cursor *c)
{
    sqlite3_free(c);
    return SQLITE_OK;
}

static const struct ra_rows *
rows_of(sqlite3_vtab_cursor *c)
{
    return ((struct rows_vtab *)c->pVtab)->rows;
}

/* Past the rows held: the next ones, if rows has a refill. */
static int
rows_more(sqlite3_vtab_cursor *c)
{
    const struct ra_rows *r = rows_of(c);
    struct rows_cursor *k = (struct rows_cursor *)c;
    if (k->i >= r->n && r->refill) {
        k->i = 0;
        if (r->refill(r->ctx))
            return SQLITE_ERROR;
    }
    k->row = k->i < r->n ? r->v + k->i * r->stride : NULL;
    k->width = r->width;
    return SQLITE_OK;
}

static int
rows_filter(sqlite3_vtab_cursor *c, int idx, const char *idxstr, int argc,
            sqlite3_value **argv)
{
    (void)idx, (void)idxstr, (void)argc, (void)argv;
    ((struct rows_cursor *)c)->i = 0;
    return rows_more(c);
}

static int
rows_next(sqlite3_vtab_cursor *c)
{
    ((struct rows_cursor *)c)->i++;
    return rows_more(c);
}

static int
rows_eof(sqlite3_vtab_cursor *c)
{
    return ((struct rows_cursor *)c)->i >= rows_of(c)->n;
}

static int
rows_column(sqlite3_vtab_cursor *c, sqlite3_context *ctx, int col)
{
    const struct rows_cursor *k = (const struct rows_cursor *)c;
    const struct ra_out *o = k->row + col;
    switch (col < k->width ? o->t : RA_O_NULL) {
    case RA_O_INT:
        sqlite3_result_int64(ctx, o->i);
        break;
    case RA_O_REAL:
        sqlite3_result_double(ctx, o->d);
        break;
    case RA_O_TEXT:
        sqlite3_result_text(ctx, o->s, (int)o->n, SQLITE_STATIC);
        break;
    default:
        break; /* NULL */
    }
    return SQLITE_OK;
}

static int
rows_rowid(sqlite3_vtab_cursor *c, sqlite3_int64 *rowid)
{
    *rowid = (sqlite3_int64)((struct rows_cursor *)c)->i;
    return SQLITE_OK;
}

/* Eponymous only (no xCreate). */
static const sqlite3_module rows_module = {
    .xConnect = rows_connect,
    .xBestIndex = rows_best_index,
    .xDisconnect = rows_disconnect,
    .xOpen = rows_open,
    .xClose = rows_close,
    .xFilter = rows_filter,
    .xNext = rows_next,
    .xEof = rows_eof,
    .xColumn = rows_column,
    .xRowid = rows_rowid,
};

int
ra_rows_register(sqlite3 *db, const char *name, struct ra_rows *rows,
                 struct ra_err *err)
{
    if (sqlite3_create_module(db, name, &rows_module, rows) != SQLITE_OK)
        return ra_err_set(err, RA_EDB, "%s: %s", name, sqlite3_errmsg(db));
    return 0;
}

void
ra_rows_unregister(sqlite3 *db, const char *name)
{
    sqlite3_create_module(db, name, NULL, NULL); /* no module: dropped */
}

int
ra_rows_prepare(sqlite3 *db, const char *name, const char *into, int n,
                sqlite3_stmt **st, struct ra_err *err)
{
    struct ra_buf sql = RA_BUF_INIT;
    ra_buf_addf(&sql, "INSERT OR IGNORE INTO %s SELECT ", into);
    add_columns(&sql, n);
    ra_buf_addf(&sql, " FROM %s", name);
    int rc = ra_db_prepare(db, sql.data, st, err);
    ra_buf_release(&sql);
    return rc;
}

int
ra_rows_flush(sqlite3_stmt *st, struct ra_rows *rows, size_t *refused)
{
    size_t n = rows->n;
    *refused = 0;
    if (!n)
        return SQLITE_DONE;
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    rows->n = 0;
    if (rc == SQLITE_DONE)
        *refused = n - (size_t)sqlite3_changes(sqlite3_db_handle(st));
    return rc;
}
