/* test_writer.c -- the writer's inserts (ingest/writer.c): a batch of
 * rows goes in with one statement, so these check that every row goes in
 * once, in order, with its values, its texts given as pointers or as
 * offsets in a text buffer; that the rowid asked for is the last row's;
 * that a rollback takes rows back; that a row the table refuses fails the
 * batch; and that the columns a format cannot fill are left out. Then the
 * table over rows in memory that refills itself (ingest/rows.c), as
 * analyze's links step reads it: every row once, across refills, and a
 * failed refill fails the statement. Last, the string ids the writer
 * shares with the parser threads. */
#include "ingest/rows.h"
#include "ingest/writer.h"
#include "check.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N 600

static char path[64];

static void
remove_db(void)
{
    static const char *const ext[] = {"", "-wal", "-shm", "-claims"};
    char p[96];
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s%s", path, ext[i]);
        unlink(p);
    }
}

static int64_t
one(sqlite3 *db, const char *sql)
{
    return ra_db_int(db, sql);
}

/* The proxy fields the tests write, in field order (with and without the
 * status). */
static const unsigned char proxy_fields[] = {RA_F_TS, RA_F_STATUS,
                                             RA_F_DEST_HOST, RA_F_URL};
static const unsigned char proxy_no_status[] = {RA_F_TS, RA_F_DEST_HOST,
                                                RA_F_URL};

/* Row i of a proxy batch (the fields above, with or without the status):
 * its texts point to host and url, in the caller's keeping, or with text,
 * are put there and given by offset. */
static void
proxy_row(struct ra_out *v, int i, char *host, char *url, int status,
          struct ra_buf *text)
{
    snprintf(host, 16, "h%d.example", i % 3);
    snprintf(url, 32, "https://h%d.example/p/%d", i % 3, i);
    *v++ = (struct ra_out){.t = RA_O_NULL}; /* the file: the writer's */
    *v++ = (struct ra_out){.t = RA_O_INT, .i = i + 1};
    *v++ = (struct ra_out){.t = RA_O_INT, .i = 1000 + i};
    if (status)
        *v++ = (struct ra_out){.t = RA_O_INT, .i = 200 + i % 2};
    const char *t[2] = {host, url};
    for (int k = 0; k < 2; k++, v++) {
        *v = (struct ra_out){.t = RA_O_TEXT, .n = strlen(t[k]), .s = t[k]};
        if (text) {
            v->i = (int64_t)text->len;
            ra_buf_add(text, t[k], strlen(t[k]));
        }
    }
}

/* A writer on the test's database, and its connection. */
static struct ra_writer *
open_writer(sqlite3 **db)
{
    struct ra_err err = {0};
    struct ra_writer *w = ra_writer_open(path, &err);
    CHECK(w != NULL);
    *db = w ? ra_writer_db(w) : NULL;
    return w;
}

static void
test_rows_in_order(void)
{
    struct ra_err err = {0};
    sqlite3 *db;
    struct ra_writer *w = open_writer(&db);
    if (!w)
        return;
    static char host[N][16], url[N][32];
    static struct ra_out rows[N * 6];
    struct ra_buf text = RA_BUF_INIT;
    int64_t gid = 0, last = 0;
    static const unsigned char gateway_fields[] = {RA_F_TS, RA_F_CALLER};

    CHECK_INT(ra_writer_fields(w, RA_SRC_PROXY, proxy_fields, 4, &err), 0);
    CHECK_INT(ra_writer_fields(w, RA_SRC_GATEWAY, gateway_fields, 2, &err),
              0);
    int pw = ra_writer_width(w, RA_SRC_PROXY);
    CHECK_INT(pw, 6);
    CHECK_INT(ra_writer_width(w, RA_SRC_GATEWAY), 6);
    CHECK_INT(ra_writer_begin_file(w, NULL, NULL, &err), 0);
    /* the first half's texts by pointer, the second's by offset */
    for (int i = 0; i < N; i++)
        proxy_row(rows + i * pw, i, host[i], url[i], 1,
                  i < N / 2 ? NULL : &text);
    CHECK_INT(ra_writer_rows(w, RA_SRC_PROXY, rows, N / 2, NULL, NULL, &err),
              0);
    /* another source between, its rowid asked for */
    struct ra_out g[6] = {{.t = RA_O_NULL},
                          {.t = RA_O_INT, .i = 9999},
                          {.t = RA_O_INT, .i = 5},
                          {.t = RA_O_TEXT, .n = 5, .s = "alice"},
                          {.t = RA_O_TEXT, .n = 16, .s = "0123456789abcdef"},
                          {.t = RA_O_NULL}};
    CHECK_INT(ra_writer_rows(w, RA_SRC_GATEWAY, g, 1, NULL, &gid, &err), 0);
    CHECK_INT(ra_writer_reject(w, "-", 7777, "bad", "x", 1, &err), 0);
    CHECK_INT(ra_writer_rows(w, RA_SRC_PROXY, rows + (N / 2) * pw, N / 2,
                             text.data, &last, &err),
              0);
    CHECK_INT(ra_writer_pending(w), N + 2);
    CHECK_INT(ra_writer_commit(w, NULL, NULL, 0, &err), 0);

    CHECK_INT(one(db, "SELECT count(*) FROM proxy_rows"), N);
    CHECK_INT(last, one(db, "SELECT max(id) FROM proxy_rows"));
    CHECK_INT(one(db, "SELECT sum(ts) FROM proxy_rows"),
              1000LL * N + (long long)N * (N - 1) / 2);
    CHECK_INT(one(db, "SELECT count(*) FROM proxy_rows a JOIN proxy_rows b "
                      "ON b.id > a.id WHERE b.line_no < a.line_no"),
              0);
    CHECK_INT(one(db, "SELECT count(*) FROM proxy_events WHERE url = "
                      "'https://' || dest_host || '/p/' || (line_no - 1) "
                      "AND dest_host = 'h' || ((line_no - 1) % 3) || "
                      "'.example' AND status = 200 + (line_no - 1) % 2 "
                      "AND file_id IS NULL"),
              N);
    CHECK_INT(one(db, "SELECT count(*) FROM gateway_rows"), 1);
    CHECK_INT(one(db, "SELECT id FROM gateway_events WHERE caller = 'alice' "
                      "AND line_no = 9999 AND hdr_in_fp = "
                      "'0123456789abcdef' AND hdr_out_fp IS NULL"),
              gid);
    CHECK_INT(one(db, "SELECT count(*) FROM rejects WHERE line_no = 7777"),
              1);

    /* Rows in a transaction that rolls back are gone with it. */
    CHECK_INT(ra_writer_begin_file(w, NULL, NULL, &err), 0);
    for (int i = 0; i < 10; i++)
        proxy_row(rows + i * pw, i, host[i], url[i], 1, NULL);
    CHECK_INT(ra_writer_rows(w, RA_SRC_PROXY, rows, 10, NULL, NULL, &err), 0);
    ra_writer_rollback(w);
    CHECK_INT(ra_writer_begin_file(w, NULL, NULL, &err), 0);
    CHECK_INT(ra_writer_commit(w, NULL, NULL, 0, &err), 0);
    CHECK_INT(one(db, "SELECT count(*) FROM proxy_rows"), N);

    /* A row without a time fails its batch, and the commit with it. */
    CHECK_INT(ra_writer_begin_file(w, NULL, NULL, &err), 0);
    for (int i = 0; i < 2; i++)
        proxy_row(rows + i * pw, i, host[i], url[i], 1, NULL);
    rows[pw + 2] = (struct ra_out){.t = RA_O_NULL}; /* line 2's time */
    CHECK_INT(ra_writer_rows(w, RA_SRC_PROXY, rows, 2, NULL, NULL, &err),
              RA_EDB);
    CHECK_STR(err.msg, "cannot insert lines 1-2: 1 of 2 rows refused (no "
                       "time)");
    ra_writer_rollback(w);
    CHECK_INT(one(db, "SELECT count(*) FROM proxy_rows"), N);
    ra_buf_release(&text);
    ra_writer_close(w);
}

/* ra_writer_fields: a column left out is stored NULL, and the rows'
 * width follows; a field of another source, or out of order, is
 * refused. */
static void
test_fields(void)
{
    struct ra_err err = {0};
    sqlite3 *db;
    struct ra_writer *w = open_writer(&db);
    if (!w)
        return;
    static char host[20][16], url[20][32];
    struct ra_out rows[20 * 6];
    static const unsigned char bad[][2] = {{RA_F_TS, RA_F_CALLER},
                                           {RA_F_URL, RA_F_TS}};

    CHECK_INT(ra_writer_fields(w, RA_SRC_PROXY, bad[0], 2, &err),
              RA_ECONFIG);
    CHECK_STR(err.msg, "caller is not a proxy field, or not in field order");
    CHECK_INT(ra_writer_fields(w, RA_SRC_PROXY, bad[1], 2, &err),
              RA_ECONFIG);
    CHECK_INT(ra_writer_begin_file(w, NULL, NULL, &err), 0);
    CHECK_INT(ra_writer_fields(w, RA_SRC_PROXY, proxy_no_status, 3, &err),
              0);
    CHECK_INT(ra_writer_width(w, RA_SRC_PROXY), 5);
    for (int i = 0; i < 10; i++)
        proxy_row(rows + i * 5, i, host[i], url[i], 0, NULL);
    CHECK_INT(ra_writer_rows(w, RA_SRC_PROXY, rows, 10, NULL, NULL, &err), 0);
    CHECK_INT(ra_writer_fields(w, RA_SRC_PROXY, proxy_fields, 4, &err), 0);
    CHECK_INT(ra_writer_width(w, RA_SRC_PROXY), 6);
    for (int i = 10; i < 20; i++)
        proxy_row(rows + (i - 10) * 6, i, host[i], url[i], 1, NULL);
    CHECK_INT(ra_writer_rows(w, RA_SRC_PROXY, rows, 10, NULL, NULL, &err), 0);
    CHECK_INT(ra_writer_commit(w, NULL, NULL, 0, &err), 0);
    CHECK_INT(one(db, "SELECT count(*) FROM proxy_events WHERE line_no <= 10 "
                      "AND status IS NULL AND url IS NOT NULL AND "
                      "dest_host IS NOT NULL"),
              10);
    CHECK_INT(one(db, "SELECT count(*) FROM proxy_events WHERE line_no > 10 "
                      "AND status = 200 + (line_no - 1) % 2"),
              10);
    ra_writer_close(w);
}

/* Rows 0..total-1 as (key, key * 10), made LINK-style 256 at a time in
 * descending key order; refill number fail_at (from 1) fails. */
struct gen {
    struct ra_out v[256 * 2];
    struct ra_rows rows;
    int next, total, calls, fail_at;
};

static int
gen_refill(void *ctx)
{
    struct gen *g = ctx;
    if (++g->calls == g->fail_at)
        return -1;
    g->rows.n = 0;
    for (; g->next < g->total && g->rows.n < 256; g->next++) {
        int64_t k = g->total - 1 - g->next;
        g->v[g->rows.n * 2] = (struct ra_out){.t = RA_O_INT, .i = k};
        g->v[g->rows.n * 2 + 1] = (struct ra_out){.t = RA_O_INT, .i = k * 10};
        g->rows.n++;
    }
    return 0;
}

/* An in-memory database where the table `made` is g's rows. */
static sqlite3 *
gen_db(struct gen *g, struct ra_err *err)
{
    sqlite3 *db = NULL;
    CHECK_INT(sqlite3_open(":memory:", &db), SQLITE_OK);
    g->rows = (struct ra_rows){g->v, 0, 2, 2, 2, gen_refill, g, 0};
    CHECK_INT(ra_rows_register(db, "made", &g->rows, err), 0);
    return db;
}

static void
test_rows_refill(void)
{
    struct ra_err err = {0};
    static struct gen g;
    sqlite3 *db = gen_db(&g, &err);
    g.total = 1000;
    CHECK_INT(ra_db_exec(db, "CREATE TABLE t (k INTEGER PRIMARY KEY, v); "
                             "INSERT INTO t SELECT c0, c1 FROM made "
                             "ORDER BY c0",
                         &err),
              0);
    CHECK_INT(g.calls, 5); /* 4 x 256 rows, then none */
    CHECK_INT(one(db, "SELECT count(*) FROM t"), 1000);
    CHECK_INT(one(db, "SELECT count(*) FROM t WHERE v = k * 10"), 1000);
    CHECK_INT(one(db, "SELECT max(k) - min(k) FROM t"), 999);

    /* The third refill fails: the statement fails, and stores nothing. */
    g = (struct gen){.total = 1000, .fail_at = 3};
    g.rows = (struct ra_rows){g.v, 0, 2, 2, 2, gen_refill, &g, 0};
    CHECK_INT(ra_db_exec(db, "INSERT INTO t SELECT c0 + 5000, c1 FROM made "
                             "ORDER BY c0",
                         &err),
              RA_EDB);
    CHECK_INT(g.calls, 3);
    CHECK_INT(one(db, "SELECT count(*) FROM t"), 1000);

    /* dropped, the table is no more: nothing reads rows that are gone */
    ra_rows_unregister(db, "made");
    CHECK_INT(ra_db_exec(db, "SELECT * FROM made", &err), RA_EDB);
    CHECK(strstr(err.msg, "no such table: made") != NULL);
    sqlite3_close(db);
}

/* Whether SQLite sorts for sql: its plan uses a temp b-tree. */
static int
sorts(sqlite3 *db, const char *sql)
{
    char q[256];
    sqlite3_stmt *st;
    int n = 0;
    snprintf(q, sizeof q, "EXPLAIN QUERY PLAN %s", sql);
    if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK)
        return -1;
    while (sqlite3_step(st) == SQLITE_ROW)
        n += strstr((const char *)sqlite3_column_text(st, 3),
                    "TEMP B-TREE") != NULL;
    sqlite3_finalize(st);
    return n;
}

/* Rows that say they come in a column's ascending order (ra_rows.ordered)
 * spare an ORDER BY of that column alone its sort, and no other. */
static void
test_rows_ordered(void)
{
    struct ra_err err = {0};
    static struct gen g;
    sqlite3 *db = gen_db(&g, &err);
    CHECK_INT(sorts(db, "SELECT c0 FROM made ORDER BY c0"), 1);
    g.rows.ordered = 1; /* c0: gen_refill's keys descend, so */
    CHECK_INT(sorts(db, "SELECT c0 FROM made ORDER BY c0 DESC"), 1);
    g.rows.ordered = 2; /* c1 */
    CHECK_INT(sorts(db, "SELECT c0 FROM made ORDER BY c1"), 0);
    CHECK_INT(sorts(db, "SELECT c0 FROM made ORDER BY c0"), 1);
    CHECK_INT(sorts(db, "SELECT c0 FROM made ORDER BY c1, c0"), 1);
    CHECK_INT(sorts(db, "SELECT c0 FROM made ORDER BY c1 DESC"), 1);
    ra_rows_unregister(db, "made");
    sqlite3_close(db);
}

/* The ids the parser threads look up (ra_writer_shared): a string the
 * writer has resolved is there with the id `strings` gave it, a string it
 * has not is not, a column's id given in place of its text is stored as
 * that text, and after a rollback (its ids may be gone) the next pipeline
 * finds nothing until the writer resolves strings again. */
static void
test_shared_ids(void)
{
    struct ra_err err = {0};
    sqlite3 *db;
    struct ra_writer *w = open_writer(&db);
    if (!w)
        return;
    static char host[8][16], url[8][32];
    struct ra_out rows[8 * 6];
    int64_t id = 0;

    CHECK_INT(ra_writer_fields(w, RA_SRC_PROXY, proxy_fields, 4, &err), 0);
    int pw = ra_writer_width(w, RA_SRC_PROXY);
    const unsigned char *dict = ra_writer_dict_columns(w, RA_SRC_PROXY);
    CHECK_INT(dict[4], 1); /* dest_host: an id */
    CHECK_INT(dict[5], 0); /* url: text */
    const struct ra_shared_ids *sh = ra_writer_shared(w);
    CHECK_INT(ra_writer_shared_id(sh, "h0.example", 10, &id), 0);

    CHECK_INT(ra_writer_begin_file(w, NULL, NULL, &err), 0);
    for (int i = 0; i < 2; i++)
        proxy_row(rows + i * pw, i, host[i], url[i], 1, NULL);
    CHECK_INT(ra_writer_rows(w, RA_SRC_PROXY, rows, 2, NULL, NULL, &err), 0);
    CHECK_INT(ra_writer_shared_id(sh, "h1.example", 10, &id), 1);
    CHECK_INT(id, one(db, "SELECT id FROM strings WHERE s = 'h1.example'"));
    CHECK_INT(ra_writer_shared_id(sh, "h1.example!", 11, &id), 0);
    CHECK_INT(ra_writer_shared_id(sh, "h2.example", 10, &id), 0);

    /* a host given as its id, as a parser thread gives it */
    proxy_row(rows, 4, host[4], url[4], 1, NULL);
    CHECK_INT(ra_writer_shared_id(sh, host[4], strlen(host[4]), &id), 1);
    rows[4] = (struct ra_out){.t = RA_O_INT, .i = id};
    CHECK_INT(ra_writer_rows(w, RA_SRC_PROXY, rows, 1, NULL, NULL, &err), 0);
    CHECK_INT(ra_writer_commit(w, NULL, NULL, 0, &err), 0);
    CHECK_INT(one(db, "SELECT count(*) FROM proxy_events WHERE line_no = 5 "
                      "AND dest_host = 'h1.example'"),
              1);
    CHECK_INT(one(db, "SELECT count(*) FROM strings"), 2);

    /* a rollback: the next pipeline's table starts empty */
    CHECK_INT(ra_writer_begin_file(w, NULL, NULL, &err), 0);
    proxy_row(rows, 2, host[2], url[2], 1, NULL);
    CHECK_INT(ra_writer_rows(w, RA_SRC_PROXY, rows, 1, NULL, NULL, &err), 0);
    CHECK_INT(ra_writer_shared_id(sh, "h2.example", 10, &id), 1);
    ra_writer_rollback(w);
    sh = ra_writer_shared(w);
    CHECK_INT(ra_writer_shared_id(sh, "h2.example", 10, &id), 0);
    CHECK_INT(ra_writer_shared_id(sh, "h1.example", 10, &id), 0);
    CHECK_INT(one(db, "SELECT count(*) FROM strings WHERE s = 'h2.example'"),
              0);
    /* h1 stored before, h2 new (its first insert was rolled back), in one
     * batch: h1 is refused with the id the writer gave it, and both rows
     * take the ids stored */
    CHECK_INT(ra_writer_begin_file(w, NULL, NULL, &err), 0);
    proxy_row(rows, 1, host[1], url[1], 1, NULL);
    proxy_row(rows + pw, 2, host[2], url[2], 1, NULL);
    CHECK_INT(ra_writer_rows(w, RA_SRC_PROXY, rows, 2, NULL, NULL, &err), 0);
    CHECK_INT(ra_writer_commit(w, NULL, NULL, 0, &err), 0);
    CHECK_INT(ra_writer_shared_id(sh, "h1.example", 10, &id), 1);
    CHECK_INT(id, one(db, "SELECT id FROM strings WHERE s = 'h1.example'"));
    CHECK_INT(ra_writer_shared_id(sh, "h2.example", 10, &id), 1);
    CHECK_INT(id, one(db, "SELECT id FROM strings WHERE s = 'h2.example'"));
    CHECK_INT(one(db, "SELECT count(*) FROM strings"), 3);
    CHECK_INT(one(db, "SELECT count(*) FROM proxy_events WHERE "
                      "id > (SELECT max(id) FROM proxy_rows) - 2 AND "
                      "((line_no = 2 AND dest_host = 'h1.example') OR "
                      "(line_no = 3 AND dest_host = 'h2.example'))"),
              2);
    ra_writer_close(w);
}

int
main(void)
{
    snprintf(path, sizeof path, "/tmp/ra_test_writer_%ld.db", (long)getpid());
    remove_db();
    test_rows_in_order();
    remove_db();
    test_fields();
    remove_db();
    test_rows_refill();
    test_rows_ordered();
    remove_db();
    test_shared_ids();
    remove_db();
    return check_done();
}
