/* rules.c -- loads the classification rules (schemas/classify.rules) and
 * the identity header list (schemas/headers.conf) into temp tables the
 * detector SQL reads: temp.ra_rules and temp.ra_identity.
 */
#include "analyze/rules.h"
#include "ingest/writer.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rule {
    char name[128], cls[32], source[16];
    char status[64];
    char *code, *msg, *result;
};

static int
insert_rule(sqlite3_stmt *st, int ord, struct rule *r, const char *path,
            int line, struct ra_err *err)
{
    static const char *const classes[] = {"ban", "quota", "rate_limit",
                                          "blocked", "none"};
    size_t i;
    for (i = 0; i < 5; i++)
        if (!strcmp(r->cls, classes[i]))
            break;
    if (i == 5)
        return ra_err_set(err, RA_ECONFIG, "%s:%d: rule [%s]: unknown class "
                                           "'%s'",
                          path, line, r->name, r->cls);
    if (strcmp(r->source, "gateway") && strcmp(r->source, "proxy") &&
        strcmp(r->source, "any"))
        return ra_err_set(err, RA_ECONFIG, "%s:%d: rule [%s]: source is "
                                           "gateway, proxy or any",
                          path, line, r->name);
    /* status: N, N-M or a comma list: one row per range. */
    char *s = r->status[0] ? r->status : NULL;
    do {
        long lo = -1, hi = -1;
        char *comma = s ? strchr(s, ',') : NULL;
        if (comma)
            *comma = '\0';
        if (s) {
            char *dash;
            lo = strtol(s, &dash, 10);
            hi = *dash == '-' ? strtol(dash + 1, NULL, 10) : lo;
            if (dash == s || hi < lo)
                return ra_err_set(err, RA_ECONFIG, "%s:%d: rule [%s]: bad "
                                                   "status '%s'",
                                  path, line, r->name, s);
        }
        sqlite3_reset(st);
        sqlite3_bind_int(st, 1, ord);
        sqlite3_bind_text(st, 2, r->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, r->cls, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, r->source[0] ? r->source : "any", -1,
                          SQLITE_STATIC);
        if (lo >= 0) {
            sqlite3_bind_int64(st, 5, lo);
            sqlite3_bind_int64(st, 6, hi);
        } else {
            sqlite3_bind_null(st, 5);
            sqlite3_bind_null(st, 6);
        }
        sqlite3_bind_text(st, 7, r->code, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 8, r->msg, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 9, r->result, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            return ra_err_set(err, RA_EDB, "cannot load rules: %s",
                              sqlite3_db_handle(st)
                                  ? sqlite3_errmsg(sqlite3_db_handle(st))
                                  : "?");
        s = comma ? comma + 1 : NULL;
    } while (s);
    return 0;
}

static void
rule_clear(struct rule *r)
{
    free(r->code);
    free(r->msg);
    free(r->result);
    memset(r, 0, sizeof *r);
}

int
ra_rules_load(sqlite3 *db, struct ra_err *err)
{
    struct ra_buf path = RA_BUF_INIT;
    sqlite3_stmt *st = NULL;
    struct rule r;
    char *text = NULL;
    int rc = 0, ord = 0, lineno = 0, have = 0, start = 0;

    memset(&r, 0, sizeof r);
    if (ra_db_exec(db,
                   "DROP TABLE IF EXISTS temp.ra_rules;"
                   "CREATE TEMP TABLE ra_rules (ord INTEGER, name TEXT, "
                   "class TEXT, source TEXT, status_lo INTEGER, "
                   "status_hi INTEGER, code_re TEXT, msg_re TEXT, "
                   "result_re TEXT)",
                   err))
        return RA_EDB;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO temp.ra_rules VALUES (?, ?, ?, ?, ?, "
                           "?, ?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK)
        return ra_err_set(err, RA_EDB, "%s", sqlite3_errmsg(db));
    ra_buf_addf(&path, "%s/schemas/classify.rules", ra_datadir());
    if (!(text = ra_read_small_file(path.data, NULL, err))) {
        rc = RA_ECONFIG;
        goto out;
    }
    for (char *line = text, *next; line && rc == 0; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        lineno++;
        while (*line == ' ' || *line == '\t')
            line++;
        size_t l = strlen(line);
        while (l && (line[l - 1] == ' ' || line[l - 1] == '\r'))
            line[--l] = '\0';
        if (!*line || *line == '#')
            continue;
        if (*line == '[') {
            if (have && (rc = insert_rule(st, ord++, &r, path.data, start,
                                          err)))
                break;
            rule_clear(&r);
            char *end = strchr(line, ']');
            if (!end || end == line + 1) {
                rc = ra_err_set(err, RA_ECONFIG, "%s:%d: bad rule name",
                                path.data, lineno);
                break;
            }
            snprintf(r.name, sizeof r.name, "%.*s", (int)(end - line - 1),
                     line + 1);
            have = 1;
            start = lineno;
            continue;
        }
        char *v = line;
        while (*v && *v != ' ' && *v != '\t')
            v++;
        if (*v)
            *v++ = '\0';
        while (*v == ' ' || *v == '\t')
            v++;
        if (!have) {
            rc = ra_err_set(err, RA_ECONFIG, "%s:%d: '%s' outside a [rule]",
                            path.data, lineno, line);
        } else if (!strcmp(line, "class")) {
            snprintf(r.cls, sizeof r.cls, "%s", v);
        } else if (!strcmp(line, "source")) {
            snprintf(r.source, sizeof r.source, "%s", v);
        } else if (!strcmp(line, "status")) {
            snprintf(r.status, sizeof r.status, "%s", v);
        } else if (!strcmp(line, "code") || !strcmp(line, "message") ||
                   !strcmp(line, "result")) {
            char **slot = line[0] == 'c' ? &r.code
                          : line[0] == 'm' ? &r.msg
                                           : &r.result;
            int ec;
            PCRE2_SIZE off;
            pcre2_code *re = pcre2_compile((PCRE2_SPTR)v,
                                           PCRE2_ZERO_TERMINATED, 0, &ec,
                                           &off, NULL);
            if (!re) {
                rc = ra_err_set(err, RA_ECONFIG, "%s:%d: bad pattern '%s'",
                                path.data, lineno, v);
                break;
            }
            pcre2_code_free(re);
            free(*slot);
            *slot = xstrdup(v);
        } else {
            rc = ra_err_set(err, RA_ECONFIG, "%s:%d: unknown key '%s'",
                            path.data, lineno, line);
        }
    }
    if (rc == 0 && have)
        rc = insert_rule(st, ord++, &r, path.data, start, err);
out:
    rule_clear(&r);
    free(text);
    ra_buf_release(&path);
    sqlite3_finalize(st);
    return rc;
}

int
ra_identity_load(sqlite3 *db, struct ra_err *err)
{
    struct ra_norm *n = ra_norm_load(err);
    sqlite3_stmt *st = NULL;
    const char *const *names;
    int rc = 0;

    if (!n)
        return RA_ECONFIG;
    if (ra_db_exec(db,
                   "DROP TABLE IF EXISTS temp.ra_identity;"
                   "CREATE TEMP TABLE ra_identity (pattern TEXT)",
                   err) ||
        sqlite3_prepare_v2(db, "INSERT INTO temp.ra_identity VALUES (lower(?))",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = RA_EDB;
        goto out;
    }
    size_t k = ra_norm_identity_headers(n, &names);
    for (size_t i = 0; i < k && rc == 0; i++) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, names[i], -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = ra_err_set(err, RA_EDB, "%s", sqlite3_errmsg(db));
    }
out:
    sqlite3_finalize(st);
    ra_norm_free(n);
    return rc;
}
