/* writer.c -- SQLite database, schema migrations, the ingest ledger and the
 * batched inserts.
 *
 * Every statement is prepared once. A batch's rows go in with one
 * statement, read from a virtual table over them. The column lists are
 * built from the static canonical field table (fields.h), never from input.
 * A batch of rows and the ledger position of its file commit together.
 */
#include "ingest/writer.h"
#include "ingest/rows.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define RA_SCHEMA_VERSION 4

/* The writer's memory of string-dictionary ids (schema version 3): an
 * open-addressing table of at most DICT_MAX strings and DICT_BYTES bytes,
 * emptied when full and whenever a transaction rolls back (the ids it
 * inserted are then gone). A miss costs one lookup in `strings`, and one
 * insert when the string is new. The table starts small and doubles at half
 * full: a few thousand strings, the usual case, then stay in the CPU's cache
 * (a probe into the whole table was a cache miss, 7% of a Squid ingest). */
#define DICT_SLOTS 65536 /* the most slots; a power of two */
#define DICT_MIN_SLOTS 1024
#define DICT_MAX (DICT_SLOTS / 2)
#define DICT_BYTES (4u << 20)

struct dict_slot {
    uint64_t h; /* 0: empty */
    int64_t id;
    uint32_t off, len;
};

struct dict {
    struct dict_slot *slot;
    size_t cap; /* slots, a power of two */
    char *bytes;
    size_t used, n;
    sqlite3_stmt *find;
};

/* The strings a batch of rows brings that the cache does not hold go into
 * `strings` together, by one INSERT from new_strings, a virtual table over
 * them, each with an id of its own: the next after the largest stored,
 * which the writer alone knows while its transaction holds the write lock
 * (read again in each). A statement per string cost more than the
 * string's own insert (500 k Squid lines with four new texts each: the
 * writer 3.6 s of CPU). A string stored before that the cache had lost is
 * refused by the unique index: then each of the batch's strings is looked
 * up, and the rows take the ids stored. Until stored, no id of a batch is
 * published to the parsers. */
struct new_strings {
    struct ra_rows rows; /* what new_strings reads: (id, s) pairs */
    struct ra_out *v;    /* 2 a string */
    uint64_t *h;         /* their hashes */
    size_t n, cap;
    int64_t next; /* the next id; 0: to be read (each transaction) */
    sqlite3_stmt *add;
};

/* The first id of the batch's new strings, which are numbered in a row up
 * to ns->next (INT64_MAX when it has none). */
static int64_t
batch_first(const struct new_strings *ns)
{
    return ns->n ? ns->next - (int64_t)ns->n : INT64_MAX;
}

/* The ids the parser threads look up themselves (ra_writer_shared_id), so
 * that a row reaches the writer, the pipeline's one serial stage, with its
 * repeated strings already ids: the writer publishes each id it resolves.
 * A slot is written once and its hash last (a release store), and a slot
 * is never changed while a pipeline runs: a reader loads the hash
 * (acquire), then the rest. When full it takes no more, and the writer's
 * own dict resolves the rest. A rollback makes its ids void: it is
 * emptied before the next pipeline (ra_writer_shared), when no thread
 * reads it. 1 M jsonl lines: 98% of 13 M lookups found. Callgrind's
 * count of the writer's instructions moves with how the threads
 * interleave (the parsers miss what the writer has not published yet):
 * 50 k Squid .gz lines, 302 M before, 270-311 M after in four runs of
 * one build; the clock's figures are in bench/RESULTS.md. */
#define SHARED_SLOTS 8192 /* a power of two */
#define SHARED_MAX (SHARED_SLOTS / 2)
#define SHARED_BYTES (256u << 10)

struct ra_shared_ids {
    struct dict_slot slot[SHARED_SLOTS];
    char bytes[SHARED_BYTES];
    size_t used, n; /* the writer's */
    int void_;      /* the writer's: emptied before the next pipeline */
};

/* A batch of rows goes in with one INSERT INTO <table>(...) SELECT c0,
 * c1... FROM ra_pending, where ra_pending is a virtual table over the
 * caller's rows (ingest/rows.c), read where they lie. A statement per row
 * cost a third of its step in starting and ending the statement (opening
 * the table, finding its last rowid, halting): 1 M rows of the proxy
 * table, 1.06 s -> 0.86 s. A row's values are its insert's columns in
 * order, at most ROW_COLS. */
#define ROW_COLS (2 + RA_F_COUNT + 2)

/* Checkpoints on a thread of their own: the writer's connection does not
 * copy its write-ahead log back into the database after every 1000 pages
 * (SQLite's wal_autocheckpoint), which stopped the whole pipeline while
 * the copy was synced to disk. After each commit that leaves CKPT_PAGES
 * more in the log it wakes this thread, which runs a passive checkpoint
 * on a connection of its own while the writer goes on. The log only
 * starts over when a transaction begins with all of it copied, which
 * never happens while the writer always has one open: past CKPT_RESTART
 * times CKPT_PAGES (32 MiB of 16 KiB pages) the writer checkpoints itself
 * between two transactions, as SQLite would, most of the log already
 * copied. The last connection to close checkpoints what is left and
 * deletes the log, on nobody's time but the run's: 250 pages (4 MiB) leave
 * that less to copy, sync and delete than 1000 did (1 M Squid lines: the
 * close 85 ms -> 35 ms). RELAYAUDIT_WAL_PAGES sets CKPT_PAGES (the tests'
 * small logs). */
#define CKPT_PAGES 250
#define CKPT_RESTART 8

struct ckpt {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    sqlite3 *db;
    int wanted, stop;
    int every;   /* CKPT_PAGES, or RELAYAUDIT_WAL_PAGES */
    int next_at; /* log pages: wake the thread; the writer's only */
};

struct ra_writer {
    sqlite3 *db;
    struct ckpt *ckpt; /* NULL: the writer checkpoints itself */
    sqlite3_stmt *ins[3]; /* gateway, proxy, map: from ra_pending */
    struct ra_rows rows;  /* what ra_pending reads: a ra_writer_rows' */
    unsigned char dict_at[3][ROW_COLS]; /* column stored as a string id */
    int width[3];      /* the insert's columns: file, line, fields[, fps] */
    uint64_t fmask[3]; /* the insert's fields (ra_writer_fields) */
    sqlite3_stmt *rej, *upd, *newfile;
    struct dict dict;
    struct new_strings fresh;
    struct ra_shared_ids *shared; /* made by the first ra_writer_shared */
    int in_tx;
    size_t pending;
    int64_t file_id; /* 0 = stdin */
    int claims;      /* fd of "<db>-claims", or -1 */
};

int
ra_db_exec(sqlite3 *db, const char *sql, struct ra_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        ra_err_set(err, RA_EDB, "database error: %s",
                   msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return RA_EDB;
    }
    return 0;
}

int64_t
ra_db_int(sqlite3 *db, const char *sql)
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
user_version(sqlite3 *db, int *v, struct ra_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) !=
        SQLITE_OK)
        return ra_err_set(err, RA_EDB, "%s", sqlite3_errmsg(db));
    int rc = sqlite3_step(st);
    *v = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0
                            : ra_err_set(err, RA_EDB, "%s",
                                         sqlite3_errmsg(db));
}

static int
run_file(sqlite3 *db, const char *rel, struct ra_err *err)
{
    struct ra_buf p = RA_BUF_INIT;
    ra_buf_addf(&p, "%s/%s", ra_datadir(), rel);
    char *sql = ra_read_small_file(p.data, NULL, err);
    ra_buf_release(&p);
    if (!sql)
        return RA_ECONFIG;
    int rc = ra_db_exec(db, sql, err);
    free(sql);
    return rc;
}

/* How long a connection waits for another's lock: a concurrent ingest's
 * batch. */
#define BUSY_MS 120000

/* PRAGMA journal_mode=WAL, waited for. A new file goes into WAL mode
 * holding it alone, and while another process opens it too SQLite says
 * "database is locked" at once, busy handler or not (two ingests of one
 * new database: 14 times in 150): retried every 10 ms, up to BUSY_MS. */
static int
wal_mode(sqlite3 *db, struct ra_err *err)
{
    for (int waited = 0;; waited += 10) {
        int rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            return 0;
        if ((rc & 0xff) != SQLITE_BUSY || waited >= BUSY_MS)
            return ra_err_set(err, RA_EDB, "database error: %s",
                              sqlite3_errmsg(db));
        sqlite3_sleep(10);
    }
}

/* Bring the schema to RA_SCHEMA_VERSION inside one write transaction. */
static int
migrate(sqlite3 *db, const char *path, struct ra_err *err)
{
    int v, rc;
    char buf[64];

    if (ra_db_exec(db, "BEGIN IMMEDIATE", err))
        return RA_EDB;
    if ((rc = user_version(db, &v, err)))
        goto fail;
    if (v > RA_SCHEMA_VERSION) {
        rc = ra_err_set(err, RA_EDB, "'%s' has schema version %d, newer than "
                                     "this relayaudit knows (%d): upgrade "
                                     "relayaudit",
                        path, v, RA_SCHEMA_VERSION);
        goto fail;
    }
    if (v == 0) {
        sqlite3_stmt *st;
        int n = 0;
        if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1,
                               &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        if (n > 0) {
            rc = ra_err_set(err, RA_EDB, "'%s' is not a relayaudit database "
                                         "(it holds other tables)",
                            path);
            goto fail;
        }
        if ((rc = run_file(db, "schemas/schema.sql", err)))
            goto fail;
        v = RA_SCHEMA_VERSION;
    }
    if (v < RA_SCHEMA_VERSION)
        fprintf(stderr, "relayaudit: '%s': migrating from schema version %d "
                        "to %d (once; a large database takes a while)\n",
                path, v, RA_SCHEMA_VERSION);
    for (; v < RA_SCHEMA_VERSION; v++) {
        snprintf(buf, sizeof buf, "schemas/migrations/%d.sql", v + 1);
        if ((rc = run_file(db, buf, err)))
            goto fail;
    }
    snprintf(buf, sizeof buf, "PRAGMA user_version = %d", RA_SCHEMA_VERSION);
    if ((rc = ra_db_exec(db, buf, err)) || (rc = ra_db_exec(db, "COMMIT", err)))
        goto fail;
    return 0;

fail:
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc ? rc : RA_EDB;
}

int
ra_db_open(const char *path, enum ra_db_mode mode, sqlite3 **out,
           struct ra_err *err)
{
    sqlite3 *db = NULL;
    int readonly = mode == RA_DB_READ;
    int v, flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    struct stat st;

    if (mode == RA_DB_CREATE)
        flags |= SQLITE_OPEN_CREATE;
    else if (stat(path, &st) != 0 && errno == ENOENT)
        return ra_err_set(err, RA_EDB, "no database '%s' (relayaudit ingest "
                                       "makes one)",
                          path);

    /* One connection per thread: no need for SQLite's mutexes or its
     * memory statistics, both of which cost a lock per allocation. */
    flags |= SQLITE_OPEN_NOMUTEX;
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);

    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
        ra_err_set(err, RA_EDB, "cannot open database '%s': %s", path,
                   db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return RA_EDB;
    }
    sqlite3_busy_timeout(db, BUSY_MS);
    ra_db_functions(db);
    if (user_version(db, &v, err) != 0) {
        ra_err_set(err, RA_EDB, "cannot use '%s': %s", path,
                   sqlite3_errmsg(db));
        sqlite3_close(db);
        return RA_EDB;
    }
    if (readonly) {
        if (v != RA_SCHEMA_VERSION) {
            ra_err_set(err, RA_EDB, v == 0 ? "'%s' is not a relayaudit "
                                             "database"
                                           : "'%s' has another schema "
                                             "version; open it read-write "
                                             "once to migrate",
                       path);
            sqlite3_close(db);
            return RA_EDB;
        }
    } else if (ra_db_exec(db, "PRAGMA page_size=16384", err) || /* new files */
               wal_mode(db, err) ||
               ra_db_exec(db, "PRAGMA synchronous=NORMAL", err) ||
               migrate(db, path, err)) {
        sqlite3_close(db);
        return RA_EDB;
    }
    *out = db;
    return 0;
}

int
ra_db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st,
              struct ra_err *err)
{
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st,
                           NULL) != SQLITE_OK)
        return ra_err_set(err, RA_EDB, "cannot prepare: %s",
                          sqlite3_errmsg(db));
    return 0;
}

/* The contract's names (DESIGN.md; the ledger's tail_table holds them), and
 * the tables under them. */
static const char *const tables[3] = {"gateway_events", "proxy_events",
                                      "map"};
static const char *const row_tables[3] = {"gateway_rows", "proxy_rows",
                                          "map_rows"};

static int
src_index(enum ra_source s)
{
    return s == RA_SRC_GATEWAY ? 0 : s == RA_SRC_PROXY ? 1 : 2;
}

const char *
ra_writer_table(enum ra_source src)
{
    return tables[src_index(src)];
}

/* Whether a text field is kept in the string dictionary is the schema's
 * word (schemas/schema.sql): its column in the row table is declared
 * INTEGER, a `strings` id, where the views turn it back into text. */
static int
dict_column(sqlite3 *db, const char *table, const char *column)
{
    const char *type = NULL;
    if (sqlite3_table_column_metadata(db, "main", table, column, &type, NULL,
                                      NULL, NULL, NULL) != SQLITE_OK ||
        !type)
        return 0;
    return !sqlite3_stricmp(type, "INTEGER");
}

static int
text_field(enum ra_ftype t)
{
    return t != RA_T_TS && t != RA_T_INT && t != RA_T_REAL;
}

/* INSERT OR IGNORE INTO <table>(file_id, line_no, <fields>[, fps]) SELECT
 * c0, c1... FROM ra_pending, the fields those of src in mask (bit f for
 * field f): a column left out is stored NULL, and costs nothing a row. The
 * row's width is its columns'. */
static int
prepare_insert(struct ra_writer *w, enum ra_source src, uint64_t mask,
               struct ra_err *err)
{
    struct ra_buf sql = RA_BUF_INIT;
    int k = src_index(src);
    const char *table = row_tables[k];
    int n = 2;
    sqlite3_finalize(w->ins[k]);
    w->ins[k] = NULL;
    w->fmask[k] = mask;
    ra_buf_addf(&sql, "%s(file_id, line_no", table);
    for (int f = 0; f < RA_F_COUNT; f++)
        if ((ra_field_info[f].sources & src) && (mask >> f & 1)) {
            ra_buf_addf(&sql, ", %s", ra_field_info[f].name);
            w->dict_at[k][n++] =
                text_field(ra_field_info[f].type) &&
                dict_column(w->db, table, ra_field_info[f].name);
        }
    if (src == RA_SRC_GATEWAY) {
        ra_buf_adds(&sql, ", hdr_in_fp, hdr_out_fp");
        w->dict_at[k][n++] = 1;
        w->dict_at[k][n++] = 1;
    }
    ra_buf_adds(&sql, ")");
    w->width[k] = n;
    int rc = ra_rows_prepare(w->db, "ra_pending", sql.data, n, &w->ins[k],
                             err);
    ra_buf_release(&sql);
    return rc;
}

#define ALL_FIELDS (~(uint64_t)0)
_Static_assert(RA_F_COUNT <= 64, "a field mask fits in 64 bits");

int
ra_writer_fields(struct ra_writer *w, enum ra_source src,
                 const unsigned char *fields, int n, struct ra_err *err)
{
    uint64_t mask = 0;
    for (int i = 0; i < n; i++) {
        if (!(ra_field_info[fields[i]].sources & src) ||
            (i && fields[i] <= fields[i - 1]))
            return ra_err_set(err, RA_ECONFIG,
                              "%s is not a %s field, or not in field order",
                              ra_field_info[fields[i]].name,
                              ra_source_name(src));
        mask |= (uint64_t)1 << fields[i];
    }
    if (mask == w->fmask[src_index(src)])
        return 0;
    return prepare_insert(w, src, mask, err) ? RA_EDB : 0;
}

int
ra_writer_width(const struct ra_writer *w, enum ra_source src)
{
    return w->width[src_index(src)];
}

static void *
ckpt_run(void *arg)
{
    struct ckpt *k = arg;
    pthread_mutex_lock(&k->mu);
    for (;;) {
        while (!k->wanted && !k->stop)
            pthread_cond_wait(&k->cv, &k->mu);
        if (k->stop)
            break;
        k->wanted = 0;
        pthread_mutex_unlock(&k->mu);
        /* Passive: copies what no reader needs, never waits for a lock;
         * an error leaves the log to the next try or to the close. */
        sqlite3_wal_checkpoint_v2(k->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
                                  NULL, NULL);
        pthread_mutex_lock(&k->mu);
    }
    pthread_mutex_unlock(&k->mu);
    return NULL;
}

static int
ckpt_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
    struct ckpt *k = arg;
    (void)name;
    if (pages < k->next_at - k->every)
        k->next_at = k->every; /* the log started over */
    if (pages >= CKPT_RESTART * k->every) {
        /* Between transactions, so that the next one, seeing the whole
         * log in the database, starts it over (a log that a writer always
         * has a transaction open on never restarts) */
        sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL,
                                  NULL);
        k->next_at = k->every;
    } else if (pages >= k->next_at) { /* `every` pages since the last */
        k->next_at = pages + k->every;
        pthread_mutex_lock(&k->mu);
        k->wanted = 1;
        pthread_cond_signal(&k->cv);
        pthread_mutex_unlock(&k->mu);
    }
    return SQLITE_OK;
}

/* The checkpoint thread for w's database, or nothing (the writer then
 * checkpoints itself, SQLite's default) when it cannot be had. */
static void
ckpt_start(struct ra_writer *w, const char *path)
{
    struct ckpt *k = xcalloc(1, sizeof *k);
    /* journal_mode: a connection knows the file is in WAL mode only once
     * it has read it (a checkpoint before that does nothing). */
    if (sqlite3_open_v2(path, &k->db, SQLITE_OPEN_READWRITE |
                                          SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK ||
        sqlite3_exec(k->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) !=
            SQLITE_OK) {
        sqlite3_close(k->db);
        free(k);
        return;
    }
    k->every =
        (int)ra_env_number("RELAYAUDIT_WAL_PAGES", 1, 1000000, CKPT_PAGES);
    k->next_at = k->every;
    pthread_mutex_init(&k->mu, NULL);
    pthread_cond_init(&k->cv, NULL);
    if (pthread_create(&k->th, NULL, ckpt_run, k) != 0) {
        pthread_mutex_destroy(&k->mu);
        pthread_cond_destroy(&k->cv);
        sqlite3_close(k->db);
        free(k);
        return;
    }
    w->ckpt = k;
    sqlite3_wal_hook(w->db, ckpt_hook, k); /* replaces autocheckpoint */
}

static void
ckpt_stop(struct ra_writer *w)
{
    struct ckpt *k = w->ckpt;
    if (!k)
        return;
    sqlite3_wal_autocheckpoint(w->db, CKPT_PAGES); /* the hook goes */
    pthread_mutex_lock(&k->mu);
    k->stop = 1;
    pthread_cond_signal(&k->cv);
    pthread_mutex_unlock(&k->mu);
    pthread_join(k->th, NULL);
    pthread_mutex_destroy(&k->mu);
    pthread_cond_destroy(&k->cv);
    sqlite3_close(k->db);
    free(k);
    w->ckpt = NULL;
}

struct ra_writer *
ra_writer_open(const char *path, struct ra_err *err)
{
    struct ra_writer *w = xcalloc_lines(sizeof *w);
    struct ra_buf cp = RA_BUF_INIT;
    ra_buf_addf(&cp, "%s-claims", path);
    w->claims = open(cp.data, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    ra_buf_release(&cp);
    w->rows.ncols = ROW_COLS;
    w->fresh.rows = (struct ra_rows){.stride = 2, .width = 2, .ncols = 2};
    /* A 4 MB page cache: the writer appends, and a larger one only kept
     * old clean pages, each a page fault the first time (1 M Squid lines:
     * 16 MB, 8,600 faults, 1.01 s; 4 MB, 5,600, 0.97 s). Analyze sizes
     * its own. */
    if (ra_db_open(path, RA_DB_CREATE, &w->db, err) ||
        ra_db_exec(w->db, "PRAGMA cache_size=-4000", err) ||
        ra_rows_register(w->db, "ra_pending", &w->rows, err) ||
        ra_rows_register(w->db, "new_strings", &w->fresh.rows, err) ||
        ra_rows_prepare(w->db, "new_strings", "strings(id, s)", 2,
                        &w->fresh.add, err) ||
        prepare_insert(w, RA_SRC_GATEWAY, ALL_FIELDS, err) ||
        prepare_insert(w, RA_SRC_PROXY, ALL_FIELDS, err) ||
        prepare_insert(w, RA_SRC_MAP, ALL_FIELDS, err) ||
        ra_db_prepare(w->db, "SELECT id FROM strings WHERE s = ?",
                      &w->dict.find, err) ||
        ra_db_prepare(w->db,
                      "INSERT INTO rejects(file_id, path, line_no, reason, "
                      "excerpt) VALUES (?, ?, ?, ?, ?)",
                      &w->rej, err) ||
        ra_db_prepare(w->db,
                      "UPDATE files SET offset = ?2, line_no = ?3, "
                      "size_read = ?4, tail_table = ?5, tail_id = ?6, "
                      "records = ?7, rejected = ?8, skipped = ?9, "
                      "complete = ?10, error = ?11, last_ts = ?12, "
                      "reader_pid = ?13 WHERE id = ?1",
                      &w->upd, err) ||
        ra_db_prepare(w->db,
                      "INSERT INTO files(path, source, format, fp, fp_len, "
                      "gzip, dev, inode, size, mtime, first_ts, last_ts, "
                      "reader_pid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                      "?11, ?12)",
                      &w->newfile, err)) {
        ra_writer_close(w);
        return NULL;
    }
    ckpt_start(w, path);
    return w;
}

void
ra_writer_close(struct ra_writer *w)
{
    if (!w)
        return;
    if (w->in_tx)
        ra_writer_rollback(w);
    ckpt_stop(w);
    for (int i = 0; i < 3; i++)
        sqlite3_finalize(w->ins[i]);
    sqlite3_finalize(w->rej);
    sqlite3_finalize(w->upd);
    sqlite3_finalize(w->newfile);
    sqlite3_finalize(w->dict.find);
    sqlite3_finalize(w->fresh.add);
    free(w->fresh.v);
    free(w->fresh.h);
    free(w->dict.slot);
    free(w->dict.bytes);
    free(w->shared);
    sqlite3_close(w->db);
    if (w->claims >= 0)
        close(w->claims);
    free(w);
}

sqlite3 *
ra_writer_db(struct ra_writer *w)
{
    return w->db;
}

static void
copy_text(char *dst, size_t cap, const unsigned char *s)
{
    snprintf(dst, cap, "%s", s ? (const char *)s : "");
}

static void
read_ledger(sqlite3_stmt *st, struct ra_ledger *l)
{
    memset(l, 0, sizeof *l);
    l->id = sqlite3_column_int64(st, 0);
    copy_text(l->path, sizeof l->path, sqlite3_column_text(st, 1));
    copy_text(l->format, sizeof l->format, sqlite3_column_text(st, 2));
    l->fp_len = sqlite3_column_int64(st, 3);
    l->offset = sqlite3_column_int64(st, 4);
    l->line_no = sqlite3_column_int64(st, 5);
    l->size_read = sqlite3_column_int64(st, 6);
    copy_text(l->tail_table, sizeof l->tail_table, sqlite3_column_text(st, 7));
    l->tail_id = sqlite3_column_int64(st, 8);
    l->records = sqlite3_column_int64(st, 9);
    l->rejected = sqlite3_column_int64(st, 10);
    l->skipped = sqlite3_column_int64(st, 11);
    l->complete = sqlite3_column_int(st, 12);
    l->reader_pid = sqlite3_column_int64(st, 13);
}

#define LEDGER_COLS                                                          \
    "id, path, format, fp_len, offset, line_no, size_read, tail_table, "     \
    "tail_id, records, rejected, skipped, complete, coalesce(reader_pid, 0)"

int
ra_ledger_find(struct ra_writer *w, const char *prefix, size_t plen,
               struct ra_ledger *out, struct ra_err *err)
{
    sqlite3_stmt *lens = NULL, *look = NULL;
    int found = 0;

    if (plen == 0)
        return 0; /* an empty file is never a match */
    if (ra_db_prepare(w->db,
                      "SELECT DISTINCT fp_len FROM files WHERE fp_len <= ? "
                      "AND fp_len > 0 ORDER BY fp_len DESC",
                      &lens, err) ||
        ra_db_prepare(w->db,
                      "SELECT " LEDGER_COLS " FROM files WHERE fp_len = ? "
                      "AND fp = ? ORDER BY offset DESC LIMIT 1",
                      &look, err)) {
        found = RA_EDB;
        goto out;
    }
    sqlite3_bind_int64(lens, 1, (sqlite3_int64)plen);
    while (!found && sqlite3_step(lens) == SQLITE_ROW) {
        int64_t n = sqlite3_column_int64(lens, 0);
        char fp[65];
        ra_sha256_hex(prefix, (size_t)n, fp);
        sqlite3_reset(look);
        sqlite3_bind_int64(look, 1, n);
        sqlite3_bind_text(look, 2, fp, 64, SQLITE_TRANSIENT);
        if (sqlite3_step(look) == SQLITE_ROW) {
            read_ledger(look, out);
            found = 1;
        }
    }
out:
    sqlite3_finalize(lens);
    sqlite3_finalize(look);
    return found;
}

/* Whether a file the ledger knows, with records taken as format was, is
 * read anew, from its start, as format (NULL: the ledger's format, so
 * never): read as another format, and no line of it was that format. */
static int
read_anew(int64_t records, const char *was, const char *format)
{
    return format && !records && (!was || strcmp(was, format));
}

int
ra_ledger_unchanged(struct ra_writer *w, const char *path,
                    const char *format, int64_t dev, int64_t inode,
                    int64_t size, int64_t mtime)
{
    sqlite3_stmt *st = NULL;
    int hit = 0;
    if (sqlite3_prepare_v2(w->db,
                           "SELECT records, format FROM files WHERE path = ? "
                           "AND dev = ? AND inode = ? AND size = ? AND mtime "
                           "= ? AND complete = 1 AND (gzip = 1 OR size_read "
                           "= size)",
                           -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, dev);
    sqlite3_bind_int64(st, 3, inode);
    sqlite3_bind_int64(st, 4, size);
    sqlite3_bind_int64(st, 5, mtime);
    while (!hit && sqlite3_step(st) == SQLITE_ROW)
        hit = !read_anew(sqlite3_column_int64(st, 0),
                         (const char *)sqlite3_column_text(st, 1), format);
    sqlite3_finalize(st);
    return hit;
}

static int
begin(struct ra_writer *w, struct ra_err *err)
{
    if (w->in_tx)
        return 0;
    if (ra_db_exec(w->db, "BEGIN IMMEDIATE", err))
        return RA_EDB;
    w->in_tx = 1;
    w->pending = 0;
    w->fresh.next = 0; /* another writer may have stored strings */
    return 0;
}

int
ra_writer_lock(struct ra_writer *w, struct ra_err *err)
{
    return begin(w, err);
}

/* Publish what the transaction did (the claim) and start the next one. */
static int
checkpoint(struct ra_writer *w, struct ra_err *err)
{
    if (ra_db_exec(w->db, "COMMIT", err)) {
        ra_writer_rollback(w);
        return RA_EDB;
    }
    w->in_tx = 0;
    return begin(w, err);
}

/* Claims are fcntl locks on byte <file id> of "<db>-claims": the kernel
 * drops them when a process ends, however it ends, so a crashed ingest
 * never leaves a file claimed. Returns 0, or the pid holding the claim. */
static int64_t
claim(struct ra_writer *w, int64_t id)
{
    struct flock fl;
    if (w->claims < 0)
        return 0;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = (off_t)id;
    fl.l_len = 1;
    if (fcntl(w->claims, F_SETLK, &fl) == 0)
        return 0;
    if (fcntl(w->claims, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
        return fl.l_pid > 0 ? fl.l_pid : -1;
    return -1;
}

static void
unclaim(struct ra_writer *w, int64_t id)
{
    struct flock fl;
    if (w->claims < 0 || id <= 0)
        return;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_UNLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = (off_t)id;
    fl.l_len = 1;
    fcntl(w->claims, F_SETLK, &fl);
}

int
ra_writer_begin_file(struct ra_writer *w, const struct ra_fileinfo *fi,
                     struct ra_ledger *l, struct ra_err *err)
{
    if (begin(w, err))
        return RA_EDB;
    w->file_id = 0;
    if (!fi)
        return 0;
    int64_t holder = l->id ? claim(w, l->id) : 0;
    if (holder) {
        ra_err_set(err, RA_EBUSY, "'%s' is being read by another relayaudit "
                                  "(pid %lld); skipped",
                   fi->path, (long long)holder);
        ra_writer_rollback(w);
        return RA_EBUSY;
    }
    if (l->id) {
        /* A known file, maybe under a new name, rotated or grown: record
         * where it is now, its longer fingerprint and the format it is read
         * as now. */
        sqlite3_stmt *st;
        char fp[65];
        ra_sha256_hex(fi->prefix, fi->plen, fp);
        if (sqlite3_prepare_v2(w->db,
                               "UPDATE files SET path = ?1, fp = ?2, fp_len = "
                               "?3, gzip = ?4, dev = ?5, inode = ?6, size = "
                               "?7, mtime = ?8, reader_pid = ?10, format = "
                               "?11 WHERE id = ?9",
                               -1, &st, NULL) != SQLITE_OK)
            goto dberr;
        sqlite3_bind_text(st, 1, fi->path, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, fp, 64, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)fi->plen);
        sqlite3_bind_int(st, 4, fi->gzip);
        sqlite3_bind_int64(st, 5, fi->dev);
        sqlite3_bind_int64(st, 6, fi->inode);
        sqlite3_bind_int64(st, 7, fi->size);
        sqlite3_bind_int64(st, 8, fi->mtime);
        sqlite3_bind_int64(st, 9, l->id);
        sqlite3_bind_int64(st, 10, (sqlite3_int64)getpid());
        sqlite3_bind_text(st, 11, fi->format, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
            goto dberr;
        w->file_id = l->id;
        return checkpoint(w, err);
    }
    char fp[65];
    ra_sha256_hex(fi->prefix, fi->plen, fp);
    sqlite3_stmt *st = w->newfile;
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, fi->path, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, ra_source_name(fi->source), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, fi->format, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, fp, 64, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)fi->plen);
    sqlite3_bind_int(st, 6, fi->gzip);
    sqlite3_bind_int64(st, 7, fi->dev);
    sqlite3_bind_int64(st, 8, fi->inode);
    sqlite3_bind_int64(st, 9, fi->size);
    sqlite3_bind_int64(st, 10, fi->mtime);
    sqlite3_bind_int64(st, 11, ra_now_ms());
    sqlite3_bind_int64(st, 12, (sqlite3_int64)getpid());
    if (sqlite3_step(st) != SQLITE_DONE)
        goto dberr;
    memset(l, 0, sizeof *l);
    l->id = w->file_id = sqlite3_last_insert_rowid(w->db);
    claim(w, l->id); /* a new id: nobody else can hold it */
    return checkpoint(w, err);

dberr:
    ra_err_set(err, RA_EDB, "cannot record '%s' in the ledger: %s", fi->path,
               sqlite3_errmsg(w->db));
    ra_writer_rollback(w);
    return RA_EDB;
}

static void
dict_clear(struct dict *d)
{
    if (d->slot)
        memset(d->slot, 0, d->cap * sizeof *d->slot);
    d->used = d->n = 0;
}

/* Twice the slots, every string moved to its place in the new table. */
static void
dict_grow(struct dict *d)
{
    size_t cap = d->cap * 2;
    struct dict_slot *slot = xcalloc(cap, sizeof *slot);
    for (size_t k = 0; k < d->cap; k++) {
        if (!d->slot[k].h)
            continue;
        size_t i = d->slot[k].h & (cap - 1);
        while (slot[i].h)
            i = (i + 1) & (cap - 1);
        slot[i] = d->slot[k];
    }
    free(d->slot);
    d->slot = slot;
    d->cap = cap;
}

/* Both tables of ids (the writer's dict, the shared one) are open
 * addressing over slot[0..mask] and their texts in bytes. Where s[0..n)
 * (hash h) is: 1 and *at its slot, or 0 and *at the empty slot that ends
 * its probe. A slot's hash is loaded with acquire and stored last with
 * release, as the shared table's readers on other threads need; for the
 * writer's own table they cost nothing more (plain moves on x86-64).
 * Inline: the parsers ask it per dictionary column (called, 1 M Squid
 * .gz lines took 0.96-1.10 s against 0.92-0.97 s). */
static inline int
slot_find(const struct dict_slot *slot, size_t mask, const char *bytes,
          uint64_t h, const char *s, size_t n, size_t *at)
{
    size_t i = h & mask;
    uint64_t sh;
    for (; (sh = __atomic_load_n(&slot[i].h, __ATOMIC_ACQUIRE)) != 0;
         i = (i + 1) & mask)
        if (sh == h && slot[i].len == n &&
            ra_same_bytes(bytes + slot[i].off, s, n))
            break;
    *at = i;
    return sh != 0;
}

/* Put s[0..n) and its id in the empty slot at, its text at *used. */
static void
slot_put(struct dict_slot *slot, size_t at, char *bytes, size_t *used,
         uint64_t h, const char *s, size_t n, int64_t id)
{
    memcpy(bytes + *used, s, n);
    slot[at].id = id;
    slot[at].off = (uint32_t)*used;
    slot[at].len = (uint32_t)n;
    __atomic_store_n(&slot[at].h, h, __ATOMIC_RELEASE);
    *used += n;
}

/* Let the parser threads find s[0..n)'s id, unless shared is full or
 * void, or already has it (a parser looked before it was there). */
static void
publish(struct ra_shared_ids *sh, uint64_t h, const char *s, size_t n,
        int64_t id)
{
    size_t at;
    if (!sh || sh->void_ || sh->n >= SHARED_MAX || n > SHARED_BYTES / 64 ||
        n > SHARED_BYTES - sh->used ||
        slot_find(sh->slot, SHARED_SLOTS - 1, sh->bytes, h, s, n, &at))
        return;
    slot_put(sh->slot, at, sh->bytes, &sh->used, h, s, n, id);
    sh->n++;
}

const struct ra_shared_ids *
ra_writer_shared(struct ra_writer *w)
{
    if (!w->shared)
        w->shared = xcalloc(1, sizeof *w->shared);
    else if (w->shared->void_)
        memset(w->shared, 0, sizeof *w->shared);
    return w->shared;
}

int
ra_writer_shared_id(const struct ra_shared_ids *sh, const char *s, size_t n,
                    int64_t *id)
{
    size_t at;
    if (!slot_find(sh->slot, SHARED_SLOTS - 1, sh->bytes, ra_hash64(s, n), s,
                   n, &at))
        return 0;
    *id = sh->slot[at].id;
    return 1;
}

const unsigned char *
ra_writer_dict_columns(const struct ra_writer *w, enum ra_source src)
{
    return w->dict_at[src_index(src)];
}

/* Remember s[0..n)'s id in d, which does not hold it. */
static void
dict_put(struct dict *d, uint64_t h, const char *s, size_t n, int64_t id)
{
    size_t i;
    if (n > DICT_BYTES / 64)
        return; /* not worth a place */
    if (d->n >= DICT_MAX || d->used + n > DICT_BYTES)
        dict_clear(d);
    else if (d->n + 1 > d->cap / 2)
        dict_grow(d);
    slot_find(d->slot, d->cap - 1, d->bytes, h, s, n, &i); /* empty */
    slot_put(d->slot, i, d->bytes, &d->used, h, s, n, id);
    d->n++;
}

/* The dictionary id of s[0..n): the cache's, or a new id, s then one of
 * the batch's new strings (store_new_strings). */
static int
dict_id(struct ra_writer *w, const char *s, size_t n, int64_t *id,
        struct ra_err *err)
{
    struct dict *d = &w->dict;
    struct new_strings *ns = &w->fresh;
    uint64_t h = ra_hash64(s, n);
    size_t i;

    if (!d->slot) {
        d->cap = DICT_MIN_SLOTS;
        d->slot = xcalloc(d->cap, sizeof *d->slot);
        d->bytes = xmalloc(DICT_BYTES);
    }
    if (slot_find(d->slot, d->cap - 1, d->bytes, h, s, n, &i)) {
        *id = d->slot[i].id;
        if (*id < batch_first(ns)) /* stored, not one of this batch's */
            publish(w->shared, h, s, n, *id);
        return 0;
    }

    if (!ns->next) { /* the first new string of the transaction */
        ns->next = ra_db_int(w->db,
                             "SELECT coalesce(max(id), 0) + 1 FROM strings");
        if (!ns->next)
            return ra_err_set(err, RA_EDB, "cannot read the strings' ids: %s",
                              sqlite3_errmsg(w->db));
    }
    *id = ns->next++;
    if (ns->n == ns->cap) {
        ns->cap = ns->cap ? 2 * ns->cap : 1024;
        ns->v = xrealloc(ns->v, 2 * ns->cap * sizeof *ns->v);
        ns->h = xrealloc(ns->h, ns->cap * sizeof *ns->h);
    }
    ns->v[2 * ns->n] = (struct ra_out){.t = RA_O_INT, .i = *id};
    ns->v[2 * ns->n + 1] =
        (struct ra_out){.t = RA_O_TEXT, .s = s, .n = (uint32_t)n};
    ns->h[ns->n++] = h;
    dict_put(d, h, s, n, *id);
    return 0;
}

/* Store the batch's new strings, then publish their ids; when some were
 * stored before, give the rows (n of width) the ids stored. */
static int
store_new_strings(struct ra_writer *w, struct ra_out *rows, size_t n,
                  int width, const unsigned char *dict, struct ra_err *err)
{
    struct new_strings *ns = &w->fresh;
    int64_t first = batch_first(ns);
    size_t refused;
    ns->rows.v = ns->v; /* where it is now */
    ns->rows.n = ns->n;
    if (ra_rows_flush(ns->add, &ns->rows, &refused) != SQLITE_DONE)
        return ra_err_set(err, RA_EDB, "cannot store a string: %s",
                          sqlite3_errmsg(w->db));
    if (!refused) {
        for (size_t p = 0; p < ns->n; p++)
            publish(w->shared, ns->h[p], ns->v[2 * p + 1].s,
                    ns->v[2 * p + 1].n, ns->v[2 * p].i);
        return 0;
    }
    for (size_t p = 0; p < ns->n; p++) { /* stored before, or just now */
        sqlite3_stmt *st = w->dict.find;
        sqlite3_bind_text(st, 1, ns->v[2 * p + 1].s, (int)ns->v[2 * p + 1].n,
                          SQLITE_STATIC);
        int rc = sqlite3_step(st);
        ns->v[2 * p].i = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        sqlite3_reset(st);
        if (!ns->v[2 * p].i)
            return ra_err_set(err, RA_EDB, "cannot store a string: %s",
                              sqlite3_errmsg(w->db));
    }
    for (size_t r = 0; r < n; r++)
        for (int c = 2; c < width; c++) {
            struct ra_out *o = &rows[r * (size_t)width + (size_t)c];
            if (dict[c] && o->t == RA_O_INT && o->i >= first &&
                o->i < ns->next)
                o->i = ns->v[2 * (size_t)(o->i - first)].i;
        }
    /* The cache held ids that were not stored: the ids stored instead */
    dict_clear(&w->dict);
    for (size_t p = 0; p < ns->n; p++) {
        const struct ra_out *t = &ns->v[2 * p + 1];
        size_t i;
        if (!slot_find(w->dict.slot, w->dict.cap - 1, w->dict.bytes,
                       ns->h[p], t->s, t->n, &i))
            dict_put(&w->dict, ns->h[p], t->s, t->n, ns->v[2 * p].i);
        publish(w->shared, ns->h[p], t->s, t->n, ns->v[2 * p].i);
    }
    return 0;
}

int
ra_writer_rows(struct ra_writer *w, enum ra_source src, struct ra_out *rows,
               size_t n, const char *text, int64_t *last_rowid,
               struct ra_err *err)
{
    int k = src_index(src), width = w->width[k];
    const unsigned char *dict = w->dict_at[k];
    if (!n)
        return 0;
    assert(w->in_tx); /* its lock keeps the new strings' ids the writer's */
    w->fresh.n = 0;
    for (size_t r = 0; r < n; r++) {
        struct ra_out *v = rows + r * (size_t)width;
        v[0] = w->file_id ? (struct ra_out){.t = RA_O_INT, .i = w->file_id}
                          : (struct ra_out){.t = RA_O_NULL};
        for (int c = 2; c < width; c++) {
            struct ra_out *o = &v[c];
            if (o->t != RA_O_TEXT)
                continue;
            if (text)
                o->s = text + o->i; /* an offset until here */
            if (dict[c]) {
                if (dict_id(w, o->s, o->n, &o->i, err))
                    return RA_EDB;
                o->t = RA_O_INT;
            }
        }
    }
    if (w->fresh.n && store_new_strings(w, rows, n, width, dict, err))
        return RA_EDB;
    size_t refused;
    w->rows.v = rows;
    w->rows.n = n;
    w->rows.stride = (size_t)width;
    w->rows.width = width;
    int rc = ra_rows_flush(w->ins[k], &w->rows, &refused);
    long long first = rows[1].i, last = rows[(n - 1) * (size_t)width + 1].i;
    if (rc != SQLITE_DONE)
        return ra_err_set(err, RA_EDB, "cannot insert lines %lld-%lld: %s",
                          first, last, sqlite3_errmsg(w->db));
    /* a row left out (no time) fails the batch, as a plain INSERT's would */
    if (refused)
        return ra_err_set(err, RA_EDB,
                          "cannot insert lines %lld-%lld: %zu of %zu rows "
                          "refused (no time)",
                          first, last, refused, n);
    w->pending += n;
    if (last_rowid)
        *last_rowid = sqlite3_last_insert_rowid(w->db);
    return 0;
}

int
ra_writer_reject(struct ra_writer *w, const char *path, int64_t line_no,
                 const char *reason, const char *excerpt, size_t n,
                 struct ra_err *err)
{
    sqlite3_stmt *st = w->rej;
    if (w->file_id)
        sqlite3_bind_int64(st, 1, w->file_id);
    else
        sqlite3_bind_null(st, 1);
    sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, line_no);
    sqlite3_bind_text(st, 4, reason, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, excerpt, (int)n, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return ra_err_set(err, RA_EDB, "cannot store a reject: %s",
                          sqlite3_errmsg(w->db));
    w->pending++;
    return 0;
}

int
ra_writer_resume(struct ra_writer *w, struct ra_ledger *l, const char *format,
                 int whole, struct ra_err *err)
{
    char sql[128];
    int anew = whole || read_anew(l->records, l->format, format);
    if (l->tail_id) {
        /* The last line had no newline: it is read again now. */
        int k = 0;
        while (k < 3 && strcmp(l->tail_table, tables[k]))
            k++;
        if (k < 3) {
            snprintf(sql, sizeof sql, "DELETE FROM %s WHERE id = %lld",
                     row_tables[k], (long long)l->tail_id);
            if (ra_db_exec(w->db, sql, err))
                return -1;
        }
        l->records--;
        l->tail_id = 0;
    }
    if (!l->complete || anew) {
        /* The rejects of the lines read again: all of them, read anew; or,
         * after a read that broke off, the line it cut off and rejected
         * past where it stopped (rejected again if it is still cut off). */
        snprintf(sql, sizeof sql,
                 "DELETE FROM rejects WHERE file_id = %lld AND line_no > %lld",
                 (long long)l->id, (long long)(anew ? 0 : l->line_no));
        if (ra_db_exec(w->db, sql, err))
            return -1;
        l->rejected -= sqlite3_changes64(w->db);
    }
    if (anew)
        l->offset = l->line_no = l->size_read = l->records = l->rejected =
            l->skipped = 0;
    l->complete = 0;
    return anew;
}

int
ra_writer_clear_map(struct ra_writer *w, struct ra_err *err)
{
    return ra_db_exec(w->db, "DELETE FROM map_rows", err) ? RA_EDB : 0;
}

int
ra_writer_commit(struct ra_writer *w, const struct ra_ledger *l,
                 const char *error, int more, struct ra_err *err)
{
    if (w->file_id && l) {
        sqlite3_stmt *st = w->upd;
        sqlite3_bind_int64(st, 1, w->file_id);
        sqlite3_bind_int64(st, 2, l->offset);
        sqlite3_bind_int64(st, 3, l->line_no);
        sqlite3_bind_int64(st, 4, l->size_read);
        if (l->tail_id) {
            sqlite3_bind_text(st, 5, l->tail_table, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 6, l->tail_id);
        } else {
            sqlite3_bind_null(st, 5);
            sqlite3_bind_null(st, 6);
        }
        sqlite3_bind_int64(st, 7, l->records);
        sqlite3_bind_int64(st, 8, l->rejected);
        sqlite3_bind_int64(st, 9, l->skipped);
        sqlite3_bind_int(st, 10, l->complete);
        if (error)
            sqlite3_bind_text(st, 11, error, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, 11);
        sqlite3_bind_int64(st, 12, ra_now_ms());
        if (more)
            sqlite3_bind_int64(st, 13, (sqlite3_int64)getpid());
        else
            sqlite3_bind_null(st, 13);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE) {
            ra_err_set(err, RA_EDB, "cannot update the ledger: %s",
                       sqlite3_errmsg(w->db));
            ra_writer_rollback(w);
            return RA_EDB;
        }
    }
    if (ra_db_exec(w->db, "COMMIT", err)) {
        ra_writer_rollback(w);
        return RA_EDB;
    }
    w->in_tx = 0;
    w->pending = 0;
    if (!more)
        unclaim(w, w->file_id);
    return more ? begin(w, err) : 0;
}

void
ra_writer_rollback(struct ra_writer *w)
{
    if (!w->in_tx)
        return;
    sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
    dict_clear(&w->dict);
    if (w->shared)
        w->shared->void_ = 1;
    w->in_tx = 0;
    w->pending = 0;
}

size_t
ra_writer_pending(const struct ra_writer *w)
{
    return w->pending;
}
