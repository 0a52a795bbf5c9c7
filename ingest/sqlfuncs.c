/* sqlfuncs.c -- SQL functions every relayaudit connection has, so that
 * detectors and ad-hoc queries can use them:
 *   ra_host(url)      the host of a URL or host:port, lower-case
 *   ra_base_url(url)  scheme://host/first-path-segment (DESIGN.md)
 *   ra_iso(ms)        UTC milliseconds as ISO-8601 "...Z"
 *   x REGEXP re       PCRE2, the compiled pattern cached per statement
 */
#include "ingest/format.h"
#include "ingest/writer.h"

#include "ingest/regex.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
fn_host(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const char *s = (const char *)sqlite3_value_text(argv[0]);
    const char *hs, *ps;
    size_t hn, pn;
    int def;
    (void)argc;
    if (!s)
        return;
    ra_split_hostport(s, strlen(s), &hs, &hn, &ps, &pn, &def);
    if (!hs || hn == 0)
        return;
    char *o = sqlite3_malloc((int)hn + 1);
    if (!o) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    for (size_t i = 0; i < hn; i++)
        o[i] = (char)(hs[i] >= 'A' && hs[i] <= 'Z' ? hs[i] + 32 : hs[i]);
    sqlite3_result_text(ctx, o, (int)hn, sqlite3_free);
}

static void
fn_base_url(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const char *s = (const char *)sqlite3_value_text(argv[0]);
    struct ra_buf b = RA_BUF_INIT;
    (void)argc;
    if (!s)
        return;
    const char *sep = strstr(s, "://");
    const char *path = s;
    if (sep) {
        const char *h = sep + 3;
        const char *slash = h + strcspn(h, "/?#");
        const char *at = memchr(h, '@', (size_t)(slash - h));
        ra_buf_add(&b, s, (size_t)(sep + 3 - s));
        if (at)
            h = at + 1;
        for (const char *c = h; c < slash; c++)
            ra_buf_addc(&b, (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c));
        path = slash;
    }
    /* the first path segment */
    if (*path == '/') {
        size_t n = 1 + strcspn(path + 1, "/?#");
        ra_buf_add(&b, path, n);
    }
    if (b.len)
        sqlite3_result_text(ctx, b.data, (int)b.len, SQLITE_TRANSIENT);
    ra_buf_release(&b);
}

static void
fn_iso(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    char out[40];
    (void)argc;
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
        return;
    ra_format_ts(sqlite3_value_int64(argv[0]), out, sizeof out);
    sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
}

/* Compiled REGEXP patterns, per connection: the rules table passes a
 * different pattern on each row, so SQLite's per-argument auxdata cache
 * would recompile (and JIT) every call. */
#define RE_CACHE 64
struct re_cache {
    char *src[RE_CACHE];
    pcre2_code *re[RE_CACHE];
    pcre2_match_data *md;
    int next;
};

static void
re_cache_free(void *p)
{
    struct re_cache *c = p;
    for (int i = 0; i < RE_CACHE; i++) {
        free(c->src[i]);
        pcre2_code_free(c->re[i]);
    }
    pcre2_match_data_free(c->md);
    free(c);
}

static pcre2_code *
re_get(struct re_cache *c, const char *src, char *err, size_t errsz)
{
    for (int i = 0; i < RE_CACHE; i++)
        if (c->src[i] && !strcmp(c->src[i], src))
            return c->re[i];
    struct ra_err e = {0};
    pcre2_code *re = ra_re_compile(src, RA_RE_NUL, &e);
    if (!re) {
        snprintf(err, errsz, "regular expression '%s': %s", src, e.msg);
        return NULL;
    }
    int k = c->next;
    c->next = (c->next + 1) % RE_CACHE;
    free(c->src[k]);
    pcre2_code_free(c->re[k]);
    c->src[k] = xstrdup(src);
    c->re[k] = re;
    return re;
}

static void
fn_regexp(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    struct re_cache *c = sqlite3_user_data(ctx);
    const char *re_src = (const char *)sqlite3_value_text(argv[0]);
    const char *s = (const char *)sqlite3_value_text(argv[1]);
    char err[640];
    (void)argc;
    if (!re_src || !s)
        return; /* NULL: no match */
    pcre2_code *re = re_get(c, re_src, err, sizeof err);
    if (!re) {
        sqlite3_result_error(ctx, err, -1);
        return;
    }
    int rc = ra_re_match(re, (const char *)s,
                         (size_t)sqlite3_value_bytes(argv[1]), 0, c->md);
    sqlite3_result_int(ctx, rc >= 0);
}

static struct re_cache *
re_cache_new(void)
{
    struct re_cache *c = xcalloc(1, sizeof *c);
    c->md = pcre2_match_data_create(32, NULL);
    return c;
}

int
ra_db_functions(sqlite3 *db)
{
    int f = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
    if (sqlite3_create_function(db, "ra_host", 1, f, NULL, fn_host, NULL,
                                NULL) ||
        sqlite3_create_function(db, "ra_base_url", 1, f, NULL, fn_base_url,
                                NULL, NULL) ||
        sqlite3_create_function(db, "ra_iso", 1, f, NULL, fn_iso, NULL,
                                NULL) ||
        sqlite3_create_function_v2(db, "regexp", 2, f, re_cache_new(),
                                   fn_regexp, NULL, NULL, re_cache_free))
        return RA_EDB;
    return 0;
}
