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

struct rload {
    sqlite3_stmt *st;
    struct rule *r;
    const char *path;
    struct ra_err *err;
    int ord, have, start;
};

/* One line of classify.rules: "[name]" starts a rule, "key value" sets
 * one of its conditions. */
static int
rule_line(void *ctx, int lineno, char *key, char *v)
{
    struct rload *ld = ctx;
    struct rule *r = ld->r;
    int rc;
    ra_rtrim(v);
    if (*key == '[') {
        if (ld->have &&
            (rc = insert_rule(ld->st, ld->ord++, r, ld->path, ld->start,
                              ld->err)))
            return rc;
        rule_clear(r);
        char *end = strchr(key, ']');
        if (!end || end == key + 1 || *v)
            return ra_err_set(ld->err, RA_ECONFIG, "%s:%d: bad rule name",
                              ld->path, lineno);
        snprintf(r->name, sizeof r->name, "%.*s", (int)(end - key - 1),
                 key + 1);
        ld->have = 1;
        ld->start = lineno;
        return 0;
    }
    if (!ld->have)
        return ra_err_set(ld->err, RA_ECONFIG, "%s:%d: '%s' outside a [rule]",
                          ld->path, lineno, key);
    if (!strcmp(key, "class")) {
        snprintf(r->cls, sizeof r->cls, "%s", v);
    } else if (!strcmp(key, "source")) {
        snprintf(r->source, sizeof r->source, "%s", v);
    } else if (!strcmp(key, "status")) {
        snprintf(r->status, sizeof r->status, "%s", v);
    } else if (!strcmp(key, "code") || !strcmp(key, "message") ||
               !strcmp(key, "result")) {
        char **slot = key[0] == 'c'   ? &r->code
                      : key[0] == 'm' ? &r->msg
                                      : &r->result;
        struct ra_err e = {0};
        pcre2_code *re = ra_re_compile(v, RA_RE_NUL, &e);
        if (!re)
            return ra_err_set(ld->err, RA_ECONFIG, "%s:%d: %s", ld->path,
                              lineno, e.msg);
        pcre2_code_free(re);
        free(*slot);
        *slot = xstrdup(v);
    } else {
        return ra_err_set(ld->err, RA_ECONFIG, "%s:%d: unknown key '%s'",
                          ld->path, lineno, key);
    }
    return 0;
}

int
ra_rules_load(sqlite3 *db, struct ra_err *err)
{
    struct ra_buf path = RA_BUF_INIT;
    sqlite3_stmt *st = NULL;
    struct rule r;
    char *text = NULL;
    int rc = 0, ord = 0, have = 0, start = 0;

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
    struct rload ld = {st, &r, path.data, err, 0, 0, 0};
    rc = ra_config_lines(text, rule_line, &ld);
    have = ld.have;
    ord = ld.ord;
    start = ld.start;
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
