/* cmd_query.c -- `relayaudit query`: read-only ad-hoc SQL.
 *
 * The database is opened read-only, every statement must satisfy
 * sqlite3_stmt_readonly, and an authorizer denies ATTACH, DETACH and PRAGMA
 * assignments, so no query can change anything.
 */
#include "cli/cli.h"
#include "ingest/writer.h"

#include <getopt.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: relayaudit query [--db F] [--format table|csv|json|raw] SQL\n"
    "\n"
    "Runs read-only SQL against the database; statements that would write\n"
    "are refused (exit 2). The tables are described in the README.\n"
    "\n"
    "  --db F        database [relayaudit.db]\n"
    "  --format FMT  table (control characters shown as escapes: \\n,\n"
    "                \\x1b), csv, json, or raw (no header, tab-separated,\n"
    "                as stored, for scripts) [table]\n";

enum refusal { R_NONE, R_WRITE, R_ATTACH };

static int
is_schema_pragma(const char *name)
{
    static const char *const ok[] = {
        "table_info",      "table_xinfo",      "table_list", "index_list",
        "index_info",      "index_xinfo",      "foreign_key_list",
        "foreign_key_check", "integrity_check", "quick_check"};
    for (size_t i = 0; name && i < sizeof ok / sizeof ok[0]; i++)
        if (!strcmp(name, ok[i]))
            return 1;
    return 0;
}

/* Asked by SQLite while it compiles a statement; ctx says what was denied.
 * Writes are denied here too, not only by sqlite3_stmt_readonly() after:
 * SQLite reports a write to a view ("cannot modify map because it is a
 * view") before it would finish compiling one. */
static int
authorize(void *ctx, int action, const char *a, const char *b, const char *c,
          const char *d)
{
    enum refusal *why = ctx;
    (void)a, (void)c, (void)d;
    switch (action) {
    case SQLITE_ATTACH:
    case SQLITE_DETACH:
        *why = R_ATTACH;
        return SQLITE_DENY;
    case SQLITE_PRAGMA:
        /* PRAGMA x = value is denied; the schema's own description, asked
         * with an argument (PRAGMA table_info(links), pragma_index_list()),
         * is read-only */
        if (!b || is_schema_pragma(a))
            return SQLITE_OK;
        *why = R_ATTACH;
        return SQLITE_DENY;
    case SQLITE_INSERT:
    case SQLITE_UPDATE:
    case SQLITE_DELETE:
        /* SQLite asks for an UPDATE of sqlite_master itself when a read
         * first uses json_each (an eponymous virtual table); a user's
         * write there does not compile, and is refused below */
        if (a && !strncmp(a, "sqlite_", 7))
            return SQLITE_OK;
        *why = R_WRITE;
        return SQLITE_DENY;
    case SQLITE_ALTER_TABLE:
    case SQLITE_REINDEX:
    case SQLITE_ANALYZE:
    case SQLITE_CREATE_VTABLE:
    case SQLITE_DROP_VTABLE:
        *why = R_WRITE;
        return SQLITE_DENY;
    default: /* CREATE_* (1 to 8) and DROP_* (10 to 17) write as well */
        if ((action >= SQLITE_CREATE_INDEX && action <= SQLITE_CREATE_VIEW) ||
            (action >= SQLITE_DROP_INDEX && action <= SQLITE_DROP_VIEW)) {
            *why = R_WRITE;
            return SQLITE_DENY;
        }
        return SQLITE_OK;
    }
}

static const char refused_write[] =
    "query: refused: the statement would write; query is read-only";

enum qfmt { Q_TABLE, Q_CSV, Q_JSON, Q_RAW };

static void
csv_cell(const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, stdout);
        return;
    }
    putchar('"');
    for (; *s; s++) {
        if (*s == '"')
            putchar('"');
        putchar(*s);
    }
    putchar('"');
}

#define TABLE_SAMPLE 1000

/* Column i of a table row: s, padded to the column's width w[i] in
 * terminal columns (the last column unpadded). */
static void
cell(const char *s, int i, int ncol, const size_t *w)
{
    fputs(i ? "  " : "", stdout);
    ra_text_put(stdout, s);
    if (i < ncol - 1)
        ra_text_pad(stdout, s, w[i]);
}

/* Print the rows of st; table output measures the first TABLE_SAMPLE rows
 * for column widths, then streams. */
static int
print_rows(sqlite3 *db, sqlite3_stmt *st, enum qfmt fmt, int *first_json)
{
    int ncol = sqlite3_column_count(st);
    int rc;
    struct ra_buf out = RA_BUF_INIT;

    if (ncol == 0) {
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
            ;
        return rc == SQLITE_DONE ? 0 : -1;
    }
    if (fmt == Q_RAW) {
        /* For shell scripts: no header, tab-separated, NULL as empty. */
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            for (int i = 0; i < ncol; i++) {
                const unsigned char *v = sqlite3_column_text(st, i);
                if (i)
                    putchar('\t');
                if (v)
                    fputs((const char *)v, stdout);
            }
            putchar('\n');
        }
        return rc == SQLITE_DONE ? 0 : -1;
    }
    if (fmt == Q_CSV) {
        for (int i = 0; i < ncol; i++) {
            if (i)
                putchar(',');
            csv_cell(sqlite3_column_name(st, i));
        }
        putchar('\n');
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            for (int i = 0; i < ncol; i++) {
                const unsigned char *v = sqlite3_column_text(st, i);
                if (i)
                    putchar(',');
                if (v)
                    csv_cell((const char *)v);
            }
            putchar('\n');
        }
        return rc == SQLITE_DONE ? 0 : -1;
    }
    if (fmt == Q_JSON) {
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            ra_buf_reset(&out);
            ra_buf_adds(&out, *first_json ? "\n  {" : ",\n  {");
            *first_json = 0;
            for (int i = 0; i < ncol; i++) {
                const char *name = sqlite3_column_name(st, i);
                if (i)
                    ra_buf_adds(&out, ", ");
                ra_buf_add_json_str(&out, name, strlen(name));
                ra_buf_adds(&out, ": ");
                switch (sqlite3_column_type(st, i)) {
                case SQLITE_NULL:
                    ra_buf_adds(&out, "null");
                    break;
                case SQLITE_INTEGER:
                    ra_buf_addf(&out, "%lld",
                                (long long)sqlite3_column_int64(st, i));
                    break;
                case SQLITE_FLOAT:
                    ra_buf_addf(&out, "%.17g", sqlite3_column_double(st, i));
                    break;
                default: {
                    const char *v = (const char *)sqlite3_column_text(st, i);
                    ra_buf_add_json_str(&out, v,
                                        (size_t)sqlite3_column_bytes(st, i));
                }
                }
            }
            ra_buf_addc(&out, '}');
            fwrite(out.data, 1, out.len, stdout);
        }
        ra_buf_release(&out);
        return rc == SQLITE_DONE ? 0 : -1;
    }
    /* table */
    size_t *w = calloc((size_t)ncol, sizeof *w);
    char **cells = NULL;
    size_t nrows = 0, cap = 0;
    int done = 0;
    for (int i = 0; i < ncol; i++)
        w[i] = ra_text_width(sqlite3_column_name(st, i));
    while (nrows < TABLE_SAMPLE && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if ((nrows + 1) * (size_t)ncol > cap) {
            cap = cap ? cap * 2 : (size_t)ncol * 64;
            cells = xrealloc(cells, cap * sizeof *cells);
        }
        for (int i = 0; i < ncol; i++) {
            const unsigned char *v = sqlite3_column_text(st, i);
            char *s = xstrdup(v ? (const char *)v : "NULL");
            size_t l = ra_text_width(s);
            if (l > w[i])
                w[i] = l;
            cells[nrows * (size_t)ncol + (size_t)i] = s;
        }
        nrows++;
    }
    if (nrows < TABLE_SAMPLE)
        done = 1;
    for (int i = 0; i < ncol; i++)
        cell(sqlite3_column_name(st, i), i, ncol, w);
    putchar('\n');
    for (int i = 0; i < ncol; i++) {
        printf("%s", i ? "  " : "");
        for (size_t k = 0; k < w[i]; k++)
            putchar('-');
    }
    putchar('\n');
    for (size_t r = 0; r < nrows; r++) {
        for (int i = 0; i < ncol; i++) {
            char *s = cells[r * (size_t)ncol + (size_t)i];
            cell(s, i, ncol, w);
            free(s);
        }
        putchar('\n');
    }
    free(cells);
    if (!done)
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            for (int i = 0; i < ncol; i++) {
                const unsigned char *v = sqlite3_column_text(st, i);
                cell(v ? (const char *)v : "NULL", i, ncol, w);
            }
            putchar('\n');
        }
    free(w);
    (void)db;
    return rc == SQLITE_DONE ? 0 : -1;
}

int
cmd_query(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db_path = "relayaudit.db";
    enum qfmt fmt = Q_TABLE;
    struct ra_err err = {0};
    sqlite3 *db = NULL;
    int c, rc = RA_EXIT_OK, first_json = 1;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            db_path = optarg;
            break;
        case 'f':
            if (!strcmp(optarg, "table"))
                fmt = Q_TABLE;
            else if (!strcmp(optarg, "csv"))
                fmt = Q_CSV;
            else if (!strcmp(optarg, "json"))
                fmt = Q_JSON;
            else if (!strcmp(optarg, "raw"))
                fmt = Q_RAW;
            else
                return ra_usage_error("query", "unknown format '%s'", optarg);
            break;
        case 'h':
            fputs(help, stdout);
            return RA_EXIT_OK;
        default:
            return ra_usage_error("query", "unknown option '%s'",
                                  argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return ra_usage_error("query", "give exactly one SQL argument");
    if (ra_db_open(db_path, RA_DB_READ, &db, &err)) {
        ra_die_msg("%s", err.msg);
        return RA_EXIT_FAIL;
    }
    enum refusal why = R_NONE;
    sqlite3_set_authorizer(db, authorize, &why);
    const char *sql = argv[optind];
    if (fmt == Q_JSON)
        fputs("[", stdout);
    while (sql && *sql) {
        sqlite3_stmt *st = NULL;
        const char *tail;
        int prc = sqlite3_prepare_v2(db, sql, -1, &st, &tail);
        /* A write to SQLite's own tables fails to compile before any
         * authorizer sees it ("table sqlite_master may not be modified") */
        if (prc != SQLITE_OK && why == R_NONE &&
            strstr(sqlite3_errmsg(db), "may not be modified"))
            why = R_WRITE;
        /* (SQLite may report a denial as SQLITE_ERROR, "not authorized") */
        if (prc == SQLITE_AUTH || (prc != SQLITE_OK && why != R_NONE)) {
            if (why == R_WRITE)
                ra_die_msg("%s", refused_write);
            else
                ra_die_msg("query: refused: only read-only statements are "
                           "allowed (no ATTACH, DETACH or PRAGMA "
                           "assignment)");
            rc = RA_EXIT_USAGE;
            break;
        }
        if (prc != SQLITE_OK) {
            ra_die_msg("query: %s", sqlite3_errmsg(db));
            rc = RA_EXIT_FAIL;
            break;
        }
        sql = tail;
        if (!st)
            continue; /* whitespace or a comment */
        if (!sqlite3_stmt_readonly(st)) {
            ra_die_msg("%s", refused_write);
            sqlite3_finalize(st);
            rc = RA_EXIT_USAGE;
            break;
        }
        if (print_rows(db, st, fmt, &first_json) != 0) {
            ra_die_msg("query: %s", sqlite3_errmsg(db));
            rc = RA_EXIT_FAIL;
        }
        sqlite3_finalize(st);
        if (rc)
            break;
    }
    if (fmt == Q_JSON)
        fputs(first_json ? "]\n" : "\n]\n", stdout);
    sqlite3_close(db);
    return rc;
}
