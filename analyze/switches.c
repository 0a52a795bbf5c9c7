/* switches.c -- ra_switches(query, nord, rows): the rows where a value
 * changes along each group's rows in order, without SQLite sorting them
 * all (a table-valued function of analyze's connections).
 *
 * query's first column is the group (an integer; a row whose group is
 * NULL is in none), the next nord columns the order within the group
 * (integers; 1 to SW_ORD of them), the one after them the value watched,
 * and the rest, up to SW_COLS in all, ride along. The table has a row for
 * each row of query whose value is not the one of the row before it in
 * its group (NULL and NULL are the same, as with IS): c0... are its
 * columns, p0... those of the row before it; columns past query's read
 * NULL. Its rows come a group at a time, each group's in order.
 *
 * query's rows (at most `rows` of them, about: it sizes the partitions)
 * are cut by group into partitions of a temporary file (analyze/spill.c),
 * RA_SPILL_ROWS or so each, and read back a partition at a time, sorted by
 * group and order in memory: memory holds one partition (or one group
 * when a group has more), and the switches of one partition.
 */
#include "analyze/analyze.h"
#include "analyze/spill.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#define SW_COLS 8       /* query's columns, at most */
#define SW_ORD 3        /* order columns, at most */

enum { T_NULL, T_INT, T_FLOAT, T_TEXT, T_BLOB };

/* A row of a partition: its group and order, where it is and where its
 * value is in the partition's bytes, and its place among the rows put
 * (ties keep it). */
struct swrow {
    int64_t grp, ord[SW_ORD];
    const unsigned char *rec, *val;
    size_t seq;
};

struct sw_cursor {
    sqlite3_vtab_cursor base;
    struct ra_spill *s;
    int ncols, nord;
    size_t part;           /* the partition read last */
    struct ra_buf bytes;   /* its rows as spilled */
    struct swrow *rows;   /* its rows, sorted */
    size_t caprows;
    size_t *at, nat, capat; /* its switches: the rows whose value changed */
    size_t i;              /* the switch under the cursor */
    int eof;
};

/* ---- a row's bytes: per column a type, then an integer (zigzag
 * varint), a float (8 bytes), or a length (varint) and that many bytes */

/* Column c of statement st onto b. */
static void
put_cell(struct ra_buf *b, sqlite3_stmt *st, int c)
{
    unsigned char head[11], *e = head;
    int t = sqlite3_column_type(st, c);
    if (t == SQLITE_INTEGER) {
        uint64_t v = (uint64_t)sqlite3_column_int64(st, c);
        *e++ = T_INT;
        e = ra_varint_put(e, ra_zigzag(v));
        ra_buf_add(b, head, (size_t)(e - head));
    } else if (t == SQLITE_FLOAT) {
        double f = sqlite3_column_double(st, c);
        *e++ = T_FLOAT;
        ra_buf_add(b, head, 1);
        ra_buf_add(b, &f, sizeof f);
    } else if (t == SQLITE_TEXT || t == SQLITE_BLOB) {
        const void *p = t == SQLITE_TEXT
                            ? (const void *)sqlite3_column_text(st, c)
                            : sqlite3_column_blob(st, c);
        size_t n = (size_t)sqlite3_column_bytes(st, c);
        *e++ = t == SQLITE_TEXT ? T_TEXT : T_BLOB;
        e = ra_varint_put(e, n);
        ra_buf_add(b, head, (size_t)(e - head));
        ra_buf_add(b, p, n);
    } else {
        *e++ = T_NULL;
        ra_buf_add(b, head, 1);
    }
}

/* The cell at p: its type, its integer, and its bytes (*s, *n: a float's
 * 8 or the text's); the bytes past it. */
static const unsigned char *
get_cell(const unsigned char *p, int *t, int64_t *i, const unsigned char **s,
         size_t *n)
{
    uint64_t v;
    *t = *p++;
    *i = 0, *s = p, *n = 0;
    switch (*t) {
    case T_INT:
        p = ra_varint_get(p, &v);
        *i = (int64_t)ra_unzigzag(v);
        return p;
    case T_FLOAT:
        *n = sizeof(double);
        return p + *n;
    case T_TEXT:
    case T_BLOB:
        p = ra_varint_get(p, &v);
        *s = p, *n = (size_t)v;
        return p + *n;
    default:
        return p;
    }
}

/* Whether the cells at a and b hold the same value. */
static int
same_cell(const unsigned char *a, const unsigned char *b)
{
    int ta, tb;
    int64_t ia, ib;
    const unsigned char *sa, *sb;
    size_t na, nb;
    get_cell(a, &ta, &ia, &sa, &na);
    get_cell(b, &tb, &ib, &sb, &nb);
    return ta == tb && ia == ib && na == nb && !memcmp(sa, sb, na);
}

/* ---- the partitions ------------------------------------------------- */

static int
cmp_rows(const void *x, const void *y)
{
    const struct swrow *a = x, *b = y;
    if (a->grp != b->grp)
        return a->grp < b->grp ? -1 : 1;
    for (int k = 0; k < SW_ORD; k++)
        if (a->ord[k] != b->ord[k])
            return a->ord[k] < b->ord[k] ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int
fail(sqlite3_vtab_cursor *cur, const char *msg)
{
    sqlite3_free(cur->pVtab->zErrMsg);
    cur->pVtab->zErrMsg = sqlite3_mprintf("ra_switches: %s", msg);
    return SQLITE_ERROR;
}

/* Partition c->part read, sorted, and its switches found. */
static int
read_part(struct sw_cursor *c)
{
    struct ra_err err = {0};
    size_t n;
    if (ra_spill_read(c->s, c->part, &c->bytes, &n, &err))
        return fail(&c->base, err.msg);
    ra_room((void **)&c->rows, &c->caprows, n, sizeof *c->rows);
    const unsigned char *p = (const unsigned char *)c->bytes.data;
    for (size_t r = 0; r < n; r++) {
        struct swrow *w = &c->rows[r];
        int t;
        int64_t v;
        const unsigned char *s;
        size_t len;
        memset(w, 0, sizeof *w);
        w->rec = p;
        w->seq = r;
        p = get_cell(p, &t, &w->grp, &s, &len);
        for (int k = 0; k < c->nord; k++) {
            p = get_cell(p, &t, &w->ord[k], &s, &len);
            if (t != T_INT)
                return fail(&c->base, "an order column is not an integer");
        }
        w->val = p;
        for (int k = 1 + c->nord; k < c->ncols; k++)
            p = get_cell(p, &t, &v, &s, &len);
    }
    if (n > 1)
        qsort(c->rows, n, sizeof *c->rows, cmp_rows);
    c->nat = 0;
    for (size_t r = 1; r < n; r++)
        if (c->rows[r].grp == c->rows[r - 1].grp &&
            !same_cell(c->rows[r].val, c->rows[r - 1].val)) {
            if (c->nat == c->capat) {
                c->capat = c->capat ? 2 * c->capat : 256;
                c->at = xrealloc(c->at, c->capat * sizeof *c->at);
            }
            c->at[c->nat++] = r;
        }
    c->i = 0;
    return SQLITE_OK;
}

/* On to the next switch, reading partitions until one has some. */
static int
advance(struct sw_cursor *c)
{
    while (c->i >= c->nat) {
        if (!c->s || c->part + 1 >= ra_spill_parts(c->s)) {
            c->eof = 1;
            return SQLITE_OK;
        }
        c->part++;
        int rc = read_part(c);
        if (rc != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

/* ---- the table ------------------------------------------------------ */

enum { COL_SQL = 2 * SW_COLS, COL_NORD, COL_ROWS };

struct sw_vtab {
    sqlite3_vtab base;
    sqlite3 *db; /* where the query runs */
};

static int
sw_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
           sqlite3_vtab **out, char **errmsg)
{
    struct ra_buf sql = RA_BUF_INIT;
    (void)aux, (void)argc, (void)argv, (void)errmsg;
    ra_buf_adds(&sql, "CREATE TABLE x(");
    for (int i = 0; i < 2 * SW_COLS; i++)
        ra_buf_addf(&sql, "%c%d, ", i < SW_COLS ? 'c' : 'p', i % SW_COLS);
    ra_buf_adds(&sql, "query HIDDEN, nord HIDDEN, rows HIDDEN)");
    int rc = sqlite3_declare_vtab(db, sql.data);
    ra_buf_release(&sql);
    if (rc != SQLITE_OK)
        return rc;
    struct sw_vtab *vt = sqlite3_malloc(sizeof *vt);
    if (!vt)
        return SQLITE_NOMEM;
    memset(vt, 0, sizeof *vt);
    vt->db = db;
    *out = &vt->base;
    return SQLITE_OK;
}

static int
sw_disconnect(sqlite3_vtab *vt)
{
    sqlite3_free(vt);
    return SQLITE_OK;
}

/* The three arguments, in order, or no plan. */
static int
sw_best_index(sqlite3_vtab *vt, sqlite3_index_info *info)
{
    int seen = 0;
    (void)vt;
    for (int i = 0; i < info->nConstraint; i++) {
        const struct sqlite3_index_constraint *k = &info->aConstraint[i];
        if (k->iColumn < COL_SQL)
            continue;
        if (!k->usable || k->op != SQLITE_INDEX_CONSTRAINT_EQ)
            return SQLITE_CONSTRAINT;
        info->aConstraintUsage[i].argvIndex = k->iColumn - COL_SQL + 1;
        info->aConstraintUsage[i].omit = 1;
        seen |= 1 << (k->iColumn - COL_SQL);
    }
    if (seen != 7)
        return SQLITE_CONSTRAINT;
    info->estimatedCost = 1e6;
    info->estimatedRows = 1000;
    return SQLITE_OK;
}

static int
sw_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **out)
{
    struct sw_cursor *c = xcalloc(1, sizeof *c);
    (void)vt;
    *out = &c->base;
    return SQLITE_OK;
}

static int
sw_close(sqlite3_vtab_cursor *cur)
{
    struct sw_cursor *c = (struct sw_cursor *)cur;
    ra_spill_free(c->s);
    ra_buf_release(&c->bytes);
    free(c->rows);
    free(c->at);
    free(c);
    return SQLITE_OK;
}

/* Run the query, spill its rows by group, and find the first switch. */
static int
sw_filter(sqlite3_vtab_cursor *cur, int idx, const char *idxstr, int argc,
          sqlite3_value **argv)
{
    struct sw_cursor *c = (struct sw_cursor *)cur;
    sqlite3 *db = ((struct sw_vtab *)cur->pVtab)->db;
    const char *query = (const char *)sqlite3_value_text(argv[0]);
    int64_t nord = sqlite3_value_int64(argv[1]),
            rows = sqlite3_value_int64(argv[2]);
    sqlite3_stmt *st = NULL;
    struct ra_buf b = RA_BUF_INIT;
    struct ra_err err = {0};
    int rc, step;
    (void)idx, (void)idxstr, (void)argc;

    ra_spill_free(c->s);
    c->s = NULL;
    c->nat = c->i = c->part = 0;
    c->eof = 1;
    if (!query || nord < 1 || nord > SW_ORD)
        return fail(cur, "a query, and 1 to 3 order columns");
    c->nord = (int)nord;
    size_t parts = ra_spill_count(rows, RA_SPILL_ROWS);
    if (sqlite3_prepare_v2(db, query, -1, &st, NULL) != SQLITE_OK)
        return fail(cur, sqlite3_errmsg(db));
    c->ncols = sqlite3_column_count(st);
    if (c->ncols < 2 + c->nord || c->ncols > SW_COLS) {
        sqlite3_finalize(st);
        return fail(cur, "the query has 2 + nord to 8 columns");
    }
    if (!(c->s = ra_spill_new(parts, "ra_switches", &err))) {
        sqlite3_finalize(st);
        return fail(cur, err.msg);
    }
    rc = SQLITE_OK;
    while (rc == SQLITE_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_type(st, 0) == SQLITE_NULL)
            continue; /* in no group */
        int64_t g = sqlite3_column_int64(st, 0);
        ra_buf_reset(&b);
        for (int k = 0; k < c->ncols; k++)
            put_cell(&b, st, k);
        if (ra_spill_put(c->s, ra_spill_part(g, parts), b.data, b.len, NULL,
                         0, &err))
            rc = fail(cur, err.msg);
    }
    if (rc == SQLITE_OK && step != SQLITE_DONE)
        rc = fail(cur, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    ra_buf_release(&b);
    if (rc != SQLITE_OK)
        return rc;
    c->eof = 0;
    if ((rc = read_part(c)) != SQLITE_OK)
        return rc;
    return advance(c);
}

static int
sw_next(sqlite3_vtab_cursor *cur)
{
    struct sw_cursor *c = (struct sw_cursor *)cur;
    c->i++;
    return advance(c);
}

static int
sw_eof(sqlite3_vtab_cursor *cur)
{
    return ((struct sw_cursor *)cur)->eof;
}

/* Column k of the switch: c0... of the row, p0... of the row before. */
static int
sw_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int k)
{
    struct sw_cursor *c = (struct sw_cursor *)cur;
    size_t r = c->at[c->i] - (k >= SW_COLS);
    const unsigned char *p = c->rows[r].rec, *s = NULL;
    int t = T_NULL, col = k % SW_COLS;
    int64_t i = 0;
    size_t n = 0;
    if (k >= COL_SQL || col >= c->ncols)
        return SQLITE_OK; /* NULL */
    for (int j = 0; j <= col; j++)
        p = get_cell(p, &t, &i, &s, &n);
    switch (t) {
    case T_INT:
        sqlite3_result_int64(ctx, i);
        break;
    case T_FLOAT: {
        double f;
        memcpy(&f, s, sizeof f);
        sqlite3_result_double(ctx, f);
        break;
    }
    case T_TEXT:
        sqlite3_result_text(ctx, (const char *)s, (int)n, SQLITE_TRANSIENT);
        break;
    case T_BLOB:
        sqlite3_result_blob(ctx, s, (int)n, SQLITE_TRANSIENT);
        break;
    default:
        break;
    }
    return SQLITE_OK;
}

static int
sw_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *out)
{
    struct sw_cursor *c = (struct sw_cursor *)cur;
    *out = (sqlite3_int64)(c->part << 32 | c->i);
    return SQLITE_OK;
}

static sqlite3_module sw_module = {
    .xConnect = sw_connect,
    .xBestIndex = sw_best_index,
    .xDisconnect = sw_disconnect,
    .xOpen = sw_open,
    .xClose = sw_close,
    .xFilter = sw_filter,
    .xNext = sw_next,
    .xEof = sw_eof,
    .xColumn = sw_column,
    .xRowid = sw_rowid,
};

int
ra_switches_register(sqlite3 *db)
{
    return sqlite3_create_module(db, "ra_switches", &sw_module, NULL) ==
                   SQLITE_OK
               ? 0
               : RA_EDB;
}
