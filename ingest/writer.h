/* writer.h -- the SQLite side of ingest: opening and migrating the
 * database, the file ledger, and batched inserts of canonical records.
 *
 * Rows and the ledger position of their file commit in one transaction, so
 * an interrupted run, re-run, neither loses nor duplicates a row.
 */
#ifndef RA_WRITER_H
#define RA_WRITER_H

#include "common/ra.h"
#include "ingest/fields.h"

struct sqlite3;
struct sqlite3_stmt;
struct ra_writer;

/* Open (creating or migrating) the database at path. Returns NULL and fills
 * err when it cannot be opened, is not a relayaudit database or is of a
 * newer schema. */
struct ra_writer *ra_writer_open(const char *path, struct ra_err *err);
void ra_writer_close(struct ra_writer *w);
struct sqlite3 *ra_writer_db(struct ra_writer *w);

/* How ra_db_open opens: read-only; read-write (migrating), the file made
 * by an ingest before; or read-write, made when missing (ingest's). */
enum ra_db_mode { RA_DB_READ, RA_DB_WRITE, RA_DB_CREATE };
/* Open a database for reading or analysis (migrating it when writable).
 * Shared by ingest, query, analyze and report. */
int ra_db_open(const char *path, enum ra_db_mode mode, struct sqlite3 **out,
               struct ra_err *err) RA_WUR;
/* Register ra_host, ra_base_url, ra_iso and REGEXP (sqlfuncs.c). */
int ra_db_functions(struct sqlite3 *db);
/* Run a script of SQL statements. */
int ra_db_exec(struct sqlite3 *db, const char *sql, struct ra_err *err) RA_WUR;
/* Prepare a statement kept for the connection's life
 * (SQLITE_PREPARE_PERSISTENT). */
int ra_db_prepare(struct sqlite3 *db, const char *sql,
                  struct sqlite3_stmt **st, struct ra_err *err) RA_WUR;
/* The first column of a query's first row as an integer (0: no row). */
int64_t ra_db_int(struct sqlite3 *db, const char *sql);

/* A ledger entry as read back for a file. */
struct ra_ledger {
    int64_t id;
    char path[4096];
    char format[64];
    int64_t fp_len, offset, line_no, size_read, records, rejected, skipped;
    int64_t tail_id;
    char tail_table[32];
    int complete;
    int64_t reader_pid; /* another ingest reading it now, or 0 */
    int64_t dev, inode, size, mtime;
};

/* Take the database's write lock before looking a file up, so that the
 * lookup and the claim of ra_writer_begin_file are one atomic step. */
int ra_writer_lock(struct ra_writer *w, struct ra_err *err) RA_WUR;

/* Look a file up by its 64 KiB prefix (prefix[0..plen)). Returns 1 and
 * fills *out when a known file's fingerprint is a prefix of this one, 0 when
 * none is, <0 on a database error. */
int ra_ledger_find(struct ra_writer *w, const char *prefix, size_t plen,
                   struct ra_ledger *out, struct ra_err *err);
/* The fast path: 1 when path with this dev/inode/size/mtime was read to its
 * end and nothing changed, and (format: the one given, or NULL) it gave a
 * record or was read as that format. */
int ra_ledger_unchanged(struct ra_writer *w, const char *path,
                        const char *format, int64_t dev,
                        int64_t inode, int64_t size, int64_t mtime);

/* A normalized record: one slot per canonical field. 16 bytes: records
 * are cleared, encoded, decoded and queued a field array at a time. A text
 * is at most a line (RA_MAX_LINE_LIMIT), so its length fits in 32 bits. */
struct ra_out {
    enum { RA_O_NULL, RA_O_INT, RA_O_REAL, RA_O_TEXT } t;
    uint32_t n; /* RA_O_TEXT: the length of s */
    union {
        int64_t i;
        double d;
        const char *s;
    };
};

struct ra_fileinfo {
    const char *path, *format;
    enum ra_source source;
    int gzip;
    const char *prefix; /* fingerprint input */
    size_t plen;
    int64_t dev, inode, size, mtime;
};

/* Start writing a file: creates or reuses its ledger row (id in *ledger,
 * which may come from ra_ledger_find; pass id 0 for a new file) and claims
 * it for this process, visibly to other processes, then begins the first
 * batch. stdin has no ledger row (fi == NULL). Returns RA_EBUSY (nothing
 * changed) when a live process has claimed the file. */
int ra_writer_begin_file(struct ra_writer *w, const struct ra_fileinfo *fi,
                         struct ra_ledger *ledger, struct ra_err *err) RA_WUR;
/* The fields the rows of src carry from now on, fields[0..n) in field
 * order, src's fields all (those a format can fill): the insert names only
 * their columns, and the others are stored NULL. Until then, all of
 * src's. */
int ra_writer_fields(struct ra_writer *w, enum ra_source src,
                     const unsigned char *fields, int n,
                     struct ra_err *err) RA_WUR;
/* Insert rows[0..n) of src, now, with one statement. Row r is rows[r *
 * width ..] (width: ra_writer_width): the file id (set here), the line
 * number, the values of src's ra_writer_fields in order, then for a
 * gateway the two header fingerprints (text, or NULL). When text is not
 * NULL, a text value's i is its offset in text. Texts the schema keeps as
 * string ids are turned into them in place. *last_rowid, when asked, is
 * the last row's id. */
int ra_writer_rows(struct ra_writer *w, enum ra_source src,
                   struct ra_out *rows, size_t n, const char *text,
                   int64_t *last_rowid, struct ra_err *err) RA_WUR;
/* The width of src's rows for ra_writer_rows. */
int ra_writer_width(const struct ra_writer *w, enum ra_source src);
/* Which of src's row columns the writer stores as string ids: a text in
 * such a column may come as its id (ra_writer_shared_id) instead. */
const unsigned char *ra_writer_dict_columns(const struct ra_writer *w,
                                            enum ra_source src);
/* The string ids other threads may look up while the writer runs: called
 * by the writer's thread before they start, each pipeline. */
struct ra_shared_ids;
const struct ra_shared_ids *ra_writer_shared(struct ra_writer *w);
/* 1 and *id when sh has s[0..n)'s id; any thread. */
int ra_writer_shared_id(const struct ra_shared_ids *sh, const char *s,
                        size_t n, int64_t *id);
/* The contract's name of src's events (gateway_events, proxy_events, map):
 * what the ledger's tail_table holds. */
const char *ra_writer_table(enum ra_source src);
int ra_writer_reject(struct ra_writer *w, const char *path, int64_t line_no,
                     const char *reason, const char *excerpt, size_t n,
                     struct ra_err *err) RA_WUR;
/* Ready l's file, known and claimed, to be read again from l's position:
 * what the last read left past it goes (the row taken from an unterminated
 * last line; after a read that broke off, the rejects of the lines past
 * it) and l follows (its counts; complete 0 until read to its end). The
 * file is read anew, from its start, its rejects gone and its counts
 * zero, when whole (a map, always loaded whole) or when it was read before
 * as another format and no line of it was taken: 1 then, else 0; -1 with
 * err set on a database error. */
int ra_writer_resume(struct ra_writer *w, struct ra_ledger *l,
                     const char *format, int whole,
                     struct ra_err *err) RA_WUR;
/* Delete all map rows (a map load replaces the previous map). */
int ra_writer_clear_map(struct ra_writer *w, struct ra_err *err) RA_WUR;

/* Commit the batch with the ledger state in *l (offset, counts...). When
 * more is true a new transaction is begun. */
int ra_writer_commit(struct ra_writer *w, const struct ra_ledger *l,
                     const char *error, int more, struct ra_err *err) RA_WUR;
/* Roll the open transaction back (after a failure). */
void ra_writer_rollback(struct ra_writer *w);
/* Rows written in the open transaction. */
size_t ra_writer_pending(const struct ra_writer *w);

#endif
