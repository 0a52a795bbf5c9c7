/* group.c -- GROUP BY into few groups, in a hash table beside the scan.
 *
 * SQLite groups by sorting every row, or by an upsert per row into a table
 * keyed by the group (analyze's SQL did that): both touch a b-tree for each
 * event. A statement whose first column is named `group_into` is run here
 * instead: its rows are summed up in memory and the groups written to the
 * temp table that column names. The columns after it say what they are by
 * a prefix: key_X (a part of the group's key; never NULL), sum_X, min_X or
 * max_X (an aggregate of integers; NULLs are skipped, as SQL's are). X is
 * the target's column. A column may feed several, its name the words
 * joined by spaces (`ts AS "min_first max_last"`): the value is read
 * once. Another `group_into` column starts the columns of
 * another table, so that one scan feeds several; a row whose group_into is
 * NULL adds nothing to that table. A target needs a unique index over its
 * key columns: past RA_GROUP_CAP groups it is written out (an upsert that
 * composes each aggregate with what the table holds, as is a table that
 * already has rows) and emptied, so memory stays bounded however many
 * groups there are. Groups are written in key order.
 */
#include "analyze/analyze.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

enum agg { AGG_KEY, AGG_SUM, AGG_MIN, AGG_MAX };

static const char mark[] = "group_into";

/* A target's columns at most: a group's NULL flags are one int64 (keys
 * included, so that the key's bits stay clear). */
#define MAX_COLS 62

struct grouper {
    int at;             /* the statement's column of its group_into */
    int ncol, nkey;     /* the target's columns fed, keys first */
    struct {
        enum agg agg;
        int src;    /* the statement's column that feeds it */
        char *word; /* key_X, sum_X, min_X or max_X */
    } col[MAX_COLS];
    char *table;        /* the target, from the first row that names it */
    size_t width;       /* int64 per group: ncol values, then a NULL mask */
    int64_t *rows;      /* groups, width apiece */
    size_t n, cap;      /* groups held, and room */
    uint32_t *slot;     /* open addressing: group index + 1, 0 = empty */
    size_t nslot;       /* a power of two, at least twice cap */
    sqlite3_stmt *put;  /* the upsert into the target */
};

/* Target column c's name (its word after the prefix). */
static const char *
col_name(const struct grouper *g, int c)
{
    return g->col[c].word + 4;
}

static uint64_t
key_hash(const struct grouper *g, const int64_t *k)
{
    return ra_hash64(k, (size_t)g->nkey * sizeof *k);
}

/* Column c of group r is NULL: an aggregate with no value seen yet. The
 * group's last int64 holds these flags, a bit per column. */
static int
is_null(const struct grouper *g, const int64_t *r, int c)
{
    return ((uint64_t)r[g->ncol] >> c) & 1;
}

/* qsort's comparison needs the key width: per thread, since both of
 * analyze's threads group. */
static _Thread_local int cmp_width;

static int
cmp_keys(const void *a, const void *b)
{
    const int64_t *x = a, *y = b;
    for (int i = 0; i < cmp_width; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

/* Write every group held to the target, in key order, and empty the
 * table. */
static int
flush(struct grouper *g, sqlite3 *db, struct ra_err *err)
{
    cmp_width = g->nkey; /* keys come first in each group */
    qsort(g->rows, g->n, g->width * sizeof *g->rows, cmp_keys);
    for (size_t i = 0; i < g->n; i++) {
        const int64_t *r = g->rows + i * g->width;
        for (int c = 0; c < g->ncol; c++) {
            if (is_null(g, r, c))
                sqlite3_bind_null(g->put, c + 1);
            else
                sqlite3_bind_int64(g->put, c + 1, r[c]);
        }
        if (sqlite3_step(g->put) != SQLITE_DONE) {
            int rc = ra_err_set(err, RA_EDB, "group_into: %s",
                                sqlite3_errmsg(db));
            sqlite3_reset(g->put);
            return rc;
        }
        sqlite3_reset(g->put);
    }
    g->n = 0;
    memset(g->slot, 0, g->nslot * sizeof *g->slot);
    return 0;
}

/* Fold value v of column c into group r. */
static int
fold(struct grouper *g, int64_t *r, int c, int64_t v)
{
    if (is_null(g, r, c)) {
        r[c] = v;
        r[g->ncol] = (int64_t)((uint64_t)r[g->ncol] & ~((uint64_t)1 << c));
        return 0;
    }
    switch (g->col[c].agg) {
    case AGG_SUM:
        return __builtin_add_overflow(r[c], v, &r[c]) ? -1 : 0;
    case AGG_MIN:
        if (v < r[c])
            r[c] = v;
        return 0;
    case AGG_MAX:
        if (v > r[c])
            r[c] = v;
        return 0;
    default:
        return 0;
    }
}

/* The upsert into table for the statement's columns: each aggregate
 * composed with the one already stored (NULL where no value was seen). */
static int
prepare_put(struct grouper *g, sqlite3 *db, struct ra_err *err)
{
    static const char *const fn[] = {"", "", "min", "max"};
    struct ra_buf sql = RA_BUF_INIT;
    int rc = 0;
    ra_buf_addf(&sql, "INSERT INTO temp.\"%s\" (", g->table);
    for (int c = 0; c < g->ncol; c++)
        ra_buf_addf(&sql, "%s\"%s\"", c ? ", " : "", col_name(g, c));
    ra_buf_adds(&sql, ") VALUES (");
    for (int c = 0; c < g->ncol; c++)
        ra_buf_adds(&sql, c ? ", ?" : "?");
    ra_buf_adds(&sql, ") ON CONFLICT (");
    for (int c = 0, k = 0; c < g->ncol; c++)
        if (g->col[c].agg == AGG_KEY)
            ra_buf_addf(&sql, "%s\"%s\"", k++ ? ", " : "", col_name(g, c));
    ra_buf_adds(&sql, ") DO UPDATE SET ");
    for (int c = 0, k = 0; c < g->ncol; c++) {
        const char *x = col_name(g, c);
        if (g->col[c].agg == AGG_KEY)
            continue;
        ra_buf_addf(&sql, "%s\"%s\" = ", k++ ? ", " : "", x);
        if (g->col[c].agg == AGG_SUM)
            ra_buf_addf(&sql,
                        "coalesce(\"%s\" + excluded.\"%s\", \"%s\", "
                        "excluded.\"%s\")",
                        x, x, x, x);
        else
            ra_buf_addf(&sql,
                        "coalesce(%s(\"%s\", excluded.\"%s\"), \"%s\", "
                        "excluded.\"%s\")",
                        fn[g->col[c].agg], x, x, x, x);
    }
    if (sqlite3_prepare_v2(db, sql.data, -1, &g->put, NULL) != SQLITE_OK)
        rc = ra_err_set(err, RA_EDB, "group_into %s: %s", g->table,
                        sqlite3_errmsg(db));
    ra_buf_release(&sql);
    return rc;
}

/* The target columns that the statement's columns after group_into
 * column `at` feed, up to the next one or the end, from their names; keys
 * come first. */
static int
read_columns(struct grouper *g, sqlite3_stmt *st, int at, struct ra_err *err)
{
    static const char *const prefix[] = {"key_", "sum_", "min_", "max_"};
    int n = sqlite3_column_count(st);
    g->at = at;
    for (int s = at + 1; s < n && strcmp(sqlite3_column_name(st, s), mark);
         s++) {
        const char *name = sqlite3_column_name(st, s), *w = name;
        for (size_t len; *w; w += len + (w[len] == ' ')) {
            len = strcspn(w, " ");
            int a = 0;
            while (a < 4 && strncmp(w, prefix[a], 4))
                a++;
            if (a == 4 || len <= 4)
                return ra_err_set(err, RA_EDB,
                                  "group_into: column '%s' is not key_, "
                                  "sum_, min_ or max_ a column",
                                  name);
            if (a == AGG_KEY && g->ncol != g->nkey)
                return ra_err_set(err, RA_EDB,
                                  "group_into: key column '%s' after an "
                                  "aggregate",
                                  name);
            if (g->ncol == MAX_COLS)
                return ra_err_set(err, RA_EDB,
                                  "group_into: more than %d columns",
                                  MAX_COLS);
            g->col[g->ncol].agg = (enum agg)a;
            g->col[g->ncol].src = s;
            g->col[g->ncol++].word = xstrndup(w, len);
            g->nkey += a == AGG_KEY;
        }
    }
    if (g->ncol < 2)
        return ra_err_set(err, RA_EDB,
                          "group_into: 2 to %d columns after it, not %d",
                          MAX_COLS, g->ncol);
    if (!g->nkey)
        return ra_err_set(err, RA_EDB, "group_into: no key_ column");
    return 0;
}

static void
grouper_init(struct grouper *g, size_t cap)
{
    g->width = (size_t)g->ncol + 1;
    g->cap = cap ? cap : 1;
    for (g->nslot = 16; g->nslot < 2 * g->cap; g->nslot *= 2)
        ;
    g->rows = xmalloc(g->cap * g->width * sizeof *g->rows);
    g->slot = xcalloc(g->nslot, sizeof *g->slot);
}

static void
grouper_free(struct grouper *g)
{
    sqlite3_finalize(g->put);
    for (int c = 0; c < g->ncol; c++)
        free(g->col[c].word);
    free(g->rows);
    free(g->slot);
    free(g->table);
}

/* Fold the current row of st into g's groups: 0, or an error. Each
 * column is taken with one call of the statement's API
 * (sqlite3_column_value) and read from its value, not with two
 * (sqlite3_column_type, then sqlite3_column_int64), each through the
 * statement's checks: 1 M + 1 M events, group_into 11.3 G -> 10.4 G
 * instructions. */
static int
add_row(struct grouper *g, sqlite3 *db, sqlite3_stmt *st, int64_t *k,
        struct ra_err *err)
{
    sqlite3_value *tv = sqlite3_column_value(st, g->at);
    if (sqlite3_value_type(tv) == SQLITE_NULL)
        return 0; /* nothing for this table in this row */
    const char *t = (const char *)sqlite3_value_text(tv);
    if (!t)
        return ra_err_set(err, RA_EDB, "group_into: out of memory");
    if (!g->table) {
        g->table = xstrdup(t);
        int rc = prepare_put(g, db, err);
        if (rc)
            return rc;
    } else if (strcmp(t, g->table)) {
        return ra_err_set(err, RA_EDB,
                          "group_into: '%s' and '%s' in one column", g->table,
                          t);
    }
    for (int c = 0; c < g->nkey; c++) {
        sqlite3_value *v = sqlite3_column_value(st, g->col[c].src);
        if (sqlite3_value_type(v) != SQLITE_INTEGER)
            return ra_err_set(err, RA_EDB,
                              "group_into %s: %s is not an integer (a key "
                              "is never NULL)",
                              g->table, g->col[c].word);
        k[c] = sqlite3_value_int64(v);
    }
    size_t mask = g->nslot - 1, i = key_hash(g, k) & mask;
    int64_t *r = NULL;
    for (; g->slot[i]; i = (i + 1) & mask) {
        int64_t *x = g->rows + (size_t)(g->slot[i] - 1) * g->width;
        if (!memcmp(x, k, (size_t)g->nkey * sizeof *k)) {
            r = x;
            break;
        }
    }
    if (!r) {
        if (g->n == g->cap) { /* full: out to the table, and again */
            int rc = flush(g, db, err);
            if (rc)
                return rc;
            i = key_hash(g, k) & mask;
        }
        r = g->rows + g->n * g->width;
        memcpy(r, k, (size_t)g->nkey * sizeof *k);
        /* every aggregate NULL so far */
        r[g->ncol] = (int64_t)(~(uint64_t)0 << g->nkey);
        g->slot[i] = (uint32_t)++g->n;
    }
    sqlite3_value *v = NULL;
    int ty = SQLITE_NULL;
    for (int c = g->nkey; c < g->ncol; c++) {
        if (c == g->nkey || g->col[c].src != g->col[c - 1].src) {
            v = sqlite3_column_value(st, g->col[c].src); /* read once */
            ty = sqlite3_value_type(v);
        }
        if (ty == SQLITE_NULL)
            continue;
        if (ty != SQLITE_INTEGER)
            return ra_err_set(err, RA_EDB,
                              "group_into %s: %s is not an integer", g->table,
                              g->col[c].word);
        if (fold(g, r, c, sqlite3_value_int64(v)))
            return ra_err_set(err, RA_EDB,
                              "group_into %s: the sum %s overflows", g->table,
                              g->col[c].word);
    }
    return 0;
}

int
ra_group_stmt(sqlite3_stmt *st)
{
    return sqlite3_column_count(st) > 0 &&
           !strcmp(sqlite3_column_name(st, 0), mark);
}

int
ra_group_into(sqlite3 *db, sqlite3_stmt *st, size_t cap, struct ra_err *err)
{
    int n = sqlite3_column_count(st), ng = 0, rc = 0, s = SQLITE_DONE;
    for (int c = 0; c < n; c++)
        ng += !strcmp(sqlite3_column_name(st, c), mark);
    struct grouper *g = xcalloc((size_t)ng, sizeof *g);
    int64_t *k = xmalloc(MAX_COLS * sizeof *k);

    for (int c = 0, i = 0; c < n && !rc; c++)
        if (!strcmp(sqlite3_column_name(st, c), mark) &&
            !(rc = read_columns(&g[i], st, c, err)))
            grouper_init(&g[i++], cap);
    while (!rc && (s = sqlite3_step(st)) == SQLITE_ROW)
        for (int i = 0; i < ng && !rc; i++)
            rc = add_row(&g[i], db, st, k, err);
    if (!rc && s != SQLITE_DONE)
        rc = ra_err_set(err, RA_EDB, "%s", sqlite3_errmsg(db));
    for (int i = 0; i < ng && !rc; i++)
        if (g[i].n)
            rc = flush(&g[i], db, err);
    for (int i = 0; i < ng; i++)
        grouper_free(&g[i]);
    free(g);
    free(k);
    return rc;
}
