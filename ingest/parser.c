/* parser.c -- runs one format definition over records: the engine splits a
 * record into named values, then each field's expression is evaluated.
 *
 * Evaluation allocates nothing per field on the common path: values are
 * slices of the record; only operations that build new text (urldecode,
 * cat, numbers turned into text) use the per-record arena.
 */
#include "common/json.h"
#include "ingest/expr.h"
#include "ingest/format.h"
#include "ingest/regex.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct json_cache {
    const char *src; /* the text that was parsed */
    yajl_val root;   /* in the record's arena */
};

struct ra_parser {
    struct ra_format *f;
    const struct ra_engine_ops *ops;
    void *st;
    int decided; /* for `engine csv json`: the stream's engine is known */
    struct ra_timectx *tc;
    struct ra_arena *arena;
    struct json_cache *jc;
    size_t njc, capjc;
    pcre2_match_data *md; /* for `re` operations */
    /* The record's last `re` and host/port split: formats read two fields
     * through the same steps ($url | re ... | host, then ... | port).
     * Values are slices of the record or of its arena, so within a record
     * the same text is the same pointer and length. */
    uint64_t rec; /* which record: counts them */
    struct {
        uint64_t rec;
        const char *lit, *s;
        size_t litn, n, off, len; /* len 0: absent */
    } re_last;
    struct {
        uint64_t rec;
        const char *s, *hs, *ps;
        size_t n, hn, pn;
        int defport;
    } hp_last;
};

/* A double as a value: an integer when it is one. */
static void
val_double(struct ra_val *v, double d)
{
    if (d == floor(d) && fabs(d) < 9.2e18) {
        v->t = RA_V_INT;
        v->i = (int64_t)d;
    } else {
        v->t = RA_V_REAL;
        v->d = d;
    }
}

void
ra_val_json(struct ra_val *v, const struct yajl_val_s *j)
{
    if (!j || YAJL_IS_NULL(j)) {
        v->t = RA_V_ABSENT;
    } else if (YAJL_IS_STRING(j)) {
        ra_val_str(v, j->u.string, strlen(j->u.string));
    } else if (YAJL_IS_TRUE(j) || YAJL_IS_FALSE(j)) {
        v->t = RA_V_INT;
        v->i = YAJL_IS_TRUE(j);
    } else if (YAJL_IS_INTEGER(j)) {
        v->t = RA_V_INT;
        v->i = j->u.number.i;
    } else if (YAJL_IS_DOUBLE(j)) {
        val_double(v, j->u.number.d);
    } else if (YAJL_IS_NUMBER(j)) { /* beyond a double: its text */
        ra_val_str(v, j->u.number.r, strlen(j->u.number.r));
    } else {
        v->t = RA_V_JSON;
        v->j = j;
        v->s = NULL; /* its text unknown */
        v->n = 0;
    }
}

void
ra_val_number(struct ra_val *v, const char *s, size_t n)
{
    double d;
    if (ra_parse_i64(s, n, &v->i) == 0)
        v->t = RA_V_INT;
    else if (ra_parse_f64(s, n, &d) == 0)
        val_double(v, d);
    else
        ra_val_str(v, s, n); /* beyond a double: its text */
}

struct ra_parser *
ra_parser_new(struct ra_format *f, struct ra_timectx *tc)
{
    struct ra_parser *p = xcalloc_lines(sizeof *p);
    p->f = f;
    p->ops = ra_engine_of(f->engine);
    p->st = p->ops->open(f);
    p->tc = tc;
    p->arena = ra_arena_new();
    p->md = pcre2_match_data_create(16, NULL);
    return p;
}

static void
clear_record(struct ra_parser *p)
{
    p->rec++;
    p->njc = 0;
    ra_arena_reset(p->arena);
}

void
ra_parser_free(struct ra_parser *p)
{
    if (!p)
        return;
    clear_record(p);
    free(p->jc);
    p->ops->close(p->st);
    ra_arena_free(p->arena);
    pcre2_match_data_free(p->md);
    free(p);
}

struct ra_arena *
ra_parser_arena(struct ra_parser *p)
{
    return p->arena;
}

/* Parse s[0..n) as JSON, once per record per source text. */
static yajl_val
parse_json_text(struct ra_parser *p, const char *s, size_t n)
{
    for (size_t i = 0; i < p->njc; i++)
        if (p->jc[i].src == s)
            return p->jc[i].root;
    yajl_val root = ra_json_parse(p->arena, s, n);
    if (!root)
        return NULL;
    if (p->njc == p->capjc) {
        p->capjc = p->capjc ? p->capjc * 2 : 4;
        p->jc = xrealloc(p->jc, p->capjc * sizeof *p->jc);
    }
    p->jc[p->njc].src = s;
    p->jc[p->njc++].root = root;
    return root;
}

/* The tree of v, a JSON value or a string holding JSON text: its own, or
 * made from its text (a member kept as text comes without one). */
static yajl_val
json_tree(struct ra_parser *p, const struct ra_val *v)
{
    if (v->t == RA_V_JSON && v->j)
        return (yajl_val)v->j;
    return parse_json_text(p, v->s, v->n);
}

/* as_text's numbers and JSON, printed into the arena. */
static int
print_text(struct ra_parser *p, const struct ra_val *v, const char **s,
           size_t *n)
{
    char tmp[40];
    int k;

    switch (v->t) {
    case RA_V_INT:
        k = snprintf(tmp, sizeof tmp, "%lld", (long long)v->i);
        break;
    case RA_V_REAL:
        k = snprintf(tmp, sizeof tmp, "%.17g", v->d);
        break;
    case RA_V_JSON: {
        struct ra_buf b = RA_BUF_INIT;
        yajl_val j = json_tree(p, v);
        int rc = j ? ra_json_write(&b, j) : -1;
        if (rc == 0) {
            *n = b.len;
            *s = ra_arena_strndup(p->arena, b.data ? b.data : "", b.len);
        }
        ra_buf_release(&b);
        return rc;
    }
    default:
        return -1;
    }
    *s = ra_arena_strndup(p->arena, tmp, (size_t)k);
    *n = (size_t)k;
    return 0;
}

/* The text form of v (numbers printed into the arena). */
static inline int
as_text(struct ra_parser *p, const struct ra_val *v, const char **s,
        size_t *n)
{
    if (v->t != RA_V_STR)
        return print_text(p, v, s, n);
    *s = v->s;
    *n = v->n;
    return 0;
}

static int
as_number(const struct ra_val *v, double *d, int *is_int, int64_t *i)
{
    switch (v->t) {
    case RA_V_INT:
        *i = v->i;
        *d = (double)v->i;
        *is_int = 1;
        return 0;
    case RA_V_REAL:
        *d = v->d;
        *is_int = 0;
        return 0;
    case RA_V_STR:
        if (ra_parse_i64(v->s, v->n, i) == 0) {
            *d = (double)*i;
            *is_int = 1;
            return 0;
        }
        *is_int = 0;
        return ra_parse_f64(v->s, v->n, d);
    default:
        return -1;
    }
}

static void
get_ref(struct ra_parser *p, const struct ra_ref *r, struct ra_val *out)
{
    p->ops->get(p->st, r, out);
    for (size_t i = 0; i < r->nrest && out->t != RA_V_ABSENT; i++) {
        yajl_val node = out->t == RA_V_STR || out->t == RA_V_JSON
                            ? json_tree(p, out)
                            : NULL;
        if (!node) {
            out->t = RA_V_ABSENT;
            break;
        }
        if (YAJL_IS_OBJECT(node)) {
            node = ra_json_get(node, r->rest[i]);
        } else {
            int64_t k; /* an array's element, by its index */
            node = YAJL_IS_ARRAY(node) &&
                           ra_parse_i64(r->rest[i], strlen(r->rest[i]),
                                        &k) == 0 &&
                           k >= 0
                       ? ra_json_at(node, (size_t)k)
                       : NULL;
        }
        ra_val_json(out, node);
    }
}

static void
eval_term(struct ra_parser *p, const struct ra_term *t, struct ra_val *out)
{
    if (t->kind == RA_TERM_REF)
        get_ref(p, t->ref, out);
    else
        ra_val_str(out, t->lit, t->litn);
}

static int
cond_true(struct ra_parser *p, const struct ra_cond *c)
{
    struct ra_val v;
    const char *s;
    size_t n;
    int hit = 0;

    eval_term(p, &c->lhs, &v);
    if (c->nvals == 0)
        return v.t != RA_V_ABSENT;
    if (v.t != RA_V_ABSENT && as_text(p, &v, &s, &n) == 0)
        for (size_t i = 0; i < c->nvals && !hit; i++)
            hit = strlen(c->vals[i]) == n && !memcmp(c->vals[i], s, n);
    return c->neg ? !hit : hit;
}

static int
hexval(int c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Host or port of a URL, "host:port", "[v6]:port" or a bare host. */
void
ra_split_hostport(const char *s, size_t n, const char **hs, size_t *hn,
               const char **ps, size_t *pn, int *default_port)
{
    const char *end = s + n, *h = s;
    const char *sep = NULL;
    *default_port = 0;
    for (const char *q = s; (q = memchr(q, ':', (size_t)(end - q))); q++)
        if (q + 2 < end && q[1] == '/' && q[2] == '/') {
            sep = q;
            break;
        }
    if (sep) {
        *default_port = (sep - s == 5 && !memcmp(s, "https", 5))  ? 443
                        : (sep - s == 4 && !memcmp(s, "http", 4)) ? 80
                                                                  : 0;
        h = sep + 3;
        const char *slash = memchr(h, '/', (size_t)(end - h));
        const char *q = memchr(h, '?', (size_t)(end - h));
        if (q && (!slash || q < slash))
            slash = q;
        if (slash)
            end = slash;
        /* user:pass@ is never part of the host */
        const char *at = NULL;
        for (const char *x = h; x < end; x++)
            if (*x == '@')
                at = x;
        if (at)
            h = at + 1;
    } else if (n && s[0] == '/') {
        *hs = NULL, *hn = 0, *ps = NULL, *pn = 0;
        return;
    }
    *ps = NULL;
    *pn = 0;
    if (h < end && *h == '[') {
        const char *rb = memchr(h, ']', (size_t)(end - h));
        if (rb) {
            *hs = h + 1;
            *hn = (size_t)(rb - h - 1);
            if (rb + 1 < end && rb[1] == ':') {
                *ps = rb + 2;
                *pn = (size_t)(end - rb - 2);
            }
            return;
        }
    }
    const char *colon = memchr(h, ':', (size_t)(end - h));
    /* A bare IPv6 address has several colons and no port. */
    if (colon && memchr(colon + 1, ':', (size_t)(end - colon - 1)))
        colon = NULL;
    *hs = h;
    *hn = colon ? (size_t)(colon - h) : (size_t)(end - h);
    if (colon) {
        *ps = colon + 1;
        *pn = (size_t)(end - colon - 1);
    }
}

static const char *
find_sub(const char *s, size_t n, const char *sep, size_t sn)
{
    if (sn == 0 || sn > n)
        return NULL;
    for (size_t i = 0; i + sn <= n; i++)
        if (!memcmp(s + i, sep, sn))
            return s + i;
    return NULL;
}

static void
trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t'))
        (*s)++, (*n)--;
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

/* Durations as Proxifier and friends write them: "<1 sec", "05:03",
 * "01:02:03", "1.5s", "200ms", "12". */
static int
parse_dur(const char *s, size_t n, int64_t *ms)
{
    char tmp[64];
    int64_t part[3], v = 0;
    size_t np = 0, start = 0;

    if (n >= sizeof tmp)
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    if (tmp[0] == '<')
        return *ms = 0, 0;
    if (!memchr(tmp, ':', n))
        return ra_parse_duration(tmp, ms);
    /* mm:ss or hh:mm:ss, each part a small non-negative number */
    for (size_t i = 0; i <= n; i++) {
        if (i < n && tmp[i] != ':')
            continue;
        if (np == 3 || ra_parse_i64(tmp + start, i - start, &part[np]) != 0 ||
            part[np] < 0 || part[np] > 1000000)
            return -1;
        np++;
        start = i + 1;
    }
    for (size_t i = 0; i < np; i++)
        v = v * 60 + part[i];
    if (np < 2)
        return -1;
    *ms = v * 1000;
    return 0;
}

static int
apply_op(struct ra_parser *p, const struct ra_op *op, struct ra_val *v,
         const char **reason)
{
    const char *s;
    size_t n;
    double d;
    int is_int;
    int64_t i;

    switch (op->code) {
    case RA_OP_INT:
        if (as_number(v, &d, &is_int, &i) != 0)
            return *reason = "not an integer", -1;
        if (!is_int && !(d > -9e18 && d < 9e18))
            return *reason = "integer out of range", -1;
        v->t = RA_V_INT;
        v->i = is_int ? i : (int64_t)llround(d);
        return 0;
    case RA_OP_NUM:
        if (as_number(v, &d, &is_int, &i) != 0)
            return *reason = "not a number", -1;
        if (is_int)
            v->t = RA_V_INT, v->i = i;
        else
            v->t = RA_V_REAL, v->d = d;
        return 0;
    case RA_OP_TS: {
        int64_t ms;
        if (v->t == RA_V_STR) {
            const char *fmt = op->nargs ? op->args[0].lit : NULL;
            if (ra_parse_ts(v->s, v->n, fmt, p->f->local_time, p->tc, &ms))
                return *reason = "bad timestamp", -1;
        } else if (as_number(v, &d, &is_int, &i) == 0 && fabs(d) < 9e18) {
            double a = fabs(d);
            ms = a < 1e11   ? (int64_t)llround(d * 1000)
                 : a < 1e14 ? (int64_t)llround(d)
                 : a < 1e17 ? (int64_t)llround(d / 1000)
                            : (int64_t)llround(d / 1e6);
        } else {
            return *reason = "bad timestamp", -1;
        }
        v->t = RA_V_INT;
        v->i = ms;
        return 0;
    }
    case RA_OP_MS:
    case RA_OP_MUL:
    case RA_OP_DIV:
        if (as_number(v, &d, &is_int, &i) != 0)
            return *reason = "not a number", -1;
        d = op->code == RA_OP_MS    ? d * 1000
            : op->code == RA_OP_MUL ? d * op->k
                                    : d / op->k;
        if (!isfinite(d))
            return *reason = "number out of range", -1;
        if (d == floor(d) && fabs(d) < 9e18)
            v->t = RA_V_INT, v->i = (int64_t)d;
        else
            v->t = RA_V_REAL, v->d = d;
        return 0;
    case RA_OP_MINUS:
    case RA_OP_PLUS: {
        struct ra_val a;
        double d2;
        int64_t i2;
        int is2;
        eval_term(p, &op->args[0], &a);
        if (a.t == RA_V_ABSENT)
            return 0;
        if (as_number(&a, &d2, &is2, &i2) != 0) {
            /* A duration ("00:05", "<1 sec", "1.5s") counts in ms. */
            if (as_text(p, &a, &s, &n) != 0 || parse_dur(s, n, &i2) != 0)
                return *reason = "not a number or a duration", -1;
            d2 = (double)i2;
            is2 = 1;
        }
        if (as_number(v, &d, &is_int, &i) != 0)
            return *reason = "not a number", -1;
        if (is_int && is2 && op->k == 1) {
            v->t = RA_V_INT;
            v->i = op->code == RA_OP_MINUS ? i - i2 : i + i2;
            return 0;
        }
        d2 *= op->k;
        d = op->code == RA_OP_MINUS ? d - d2 : d + d2;
        if (is_int && d == floor(d) && fabs(d) < 9e18) {
            v->t = RA_V_INT;
            v->i = (int64_t)d;
        } else {
            v->t = RA_V_REAL;
            v->d = d;
        }
        return 0;
    }
    case RA_OP_MAP:
    case RA_OP_ABSENT:
        if (as_text(p, v, &s, &n) != 0)
            return 0;
        for (size_t k = 0; k < op->nargs; k++) {
            const char *a = op->args[k].lit;
            if (!a)
                continue;
            if (op->code == RA_OP_ABSENT) {
                if (op->args[k].litn == n && !memcmp(a, s, n))
                    return v->t = RA_V_ABSENT, 0;
                continue;
            }
            const char *eq = strchr(a, '=');
            if (!eq)
                continue;
            size_t kl = (size_t)(eq - a);
            if ((kl == n && !memcmp(a, s, n)) || (kl == 1 && a[0] == '*')) {
                ra_val_str(v, eq + 1, strlen(eq + 1));
                return 0;
            }
        }
        return 0;
    case RA_OP_URLDECODE: {
        if (as_text(p, v, &s, &n) != 0)
            return 0;
        if (!memchr(s, '%', n))
            return 0;
        char *o = ra_arena_alloc(p->arena, n + 1), *q = o;
        for (size_t k = 0; k < n; k++) {
            int h1, h2;
            if (s[k] == '%' && k + 2 < n && (h1 = hexval(s[k + 1])) >= 0 &&
                (h2 = hexval(s[k + 2])) >= 0) {
                *q++ = (char)(h1 * 16 + h2);
                k += 2;
            } else {
                *q++ = s[k];
            }
        }
        ra_val_str(v, o, (size_t)(q - o));
        return 0;
    }
    case RA_OP_LOWER:
    case RA_OP_UPPER: {
        if (as_text(p, v, &s, &n) != 0)
            return 0;
        char *o = ra_arena_alloc(p->arena, n + 1);
        for (size_t k = 0; k < n; k++) {
            char c = s[k];
            if (op->code == RA_OP_LOWER && c >= 'A' && c <= 'Z')
                c = (char)(c + 32);
            if (op->code == RA_OP_UPPER && c >= 'a' && c <= 'z')
                c = (char)(c - 32);
            o[k] = c;
        }
        ra_val_str(v, o, n);
        return 0;
    }
    case RA_OP_TRIM:
    case RA_OP_UNQUOTE:
        if (as_text(p, v, &s, &n) != 0)
            return 0;
        trim(&s, &n);
        if (op->code == RA_OP_UNQUOTE && n >= 2 && s[0] == '"' &&
            s[n - 1] == '"')
            s++, n -= 2;
        ra_val_str(v, s, n);
        return 0;
    case RA_OP_HOST:
    case RA_OP_PORT: {
        const char *hs, *ps;
        size_t hn, pn;
        int defport;
        if (as_text(p, v, &s, &n) != 0)
            return 0;
        if (p->hp_last.rec == p->rec && p->hp_last.s == s &&
            p->hp_last.n == n) {
            hs = p->hp_last.hs, hn = p->hp_last.hn;
            ps = p->hp_last.ps, pn = p->hp_last.pn;
            defport = p->hp_last.defport;
        } else {
            ra_split_hostport(s, n, &hs, &hn, &ps, &pn, &defport);
            p->hp_last.rec = p->rec;
            p->hp_last.s = s, p->hp_last.n = n;
            p->hp_last.hs = hs, p->hp_last.hn = hn;
            p->hp_last.ps = ps, p->hp_last.pn = pn;
            p->hp_last.defport = defport;
        }
        if (op->code == RA_OP_HOST) {
            if (hs)
                ra_val_str(v, hs, hn);
            else
                v->t = RA_V_ABSENT;
        } else if (ps && ra_parse_i64(ps, pn, &i) == 0) {
            v->t = RA_V_INT;
            v->i = i;
        } else if (defport) {
            v->t = RA_V_INT;
            v->i = defport;
        } else {
            v->t = RA_V_ABSENT;
        }
        return 0;
    }
    case RA_OP_FIRST:
    case RA_OP_LAST:
    case RA_OP_BEFORE:
    case RA_OP_AFTER: {
        const char *sep = op->nargs ? op->args[0].lit : ",";
        size_t sn = op->nargs ? op->args[0].litn : 1;
        const char *hit = NULL;
        if (as_text(p, v, &s, &n) != 0)
            return 0;
        if (op->code == RA_OP_LAST) {
            for (const char *q = s; (q = find_sub(q, (size_t)(s + n - q),
                                                  sep, sn));
                 q += sn)
                hit = q;
        } else {
            hit = find_sub(s, n, sep, sn);
        }
        if (op->code == RA_OP_FIRST || op->code == RA_OP_BEFORE) {
            if (hit)
                n = (size_t)(hit - s);
        } else if (op->code == RA_OP_LAST) {
            if (hit) {
                n -= (size_t)(hit + sn - s);
                s = hit + sn;
            }
        } else {
            if (!hit)
                return v->t = RA_V_ABSENT, 0;
            n -= (size_t)(hit + sn - s);
            s = hit + sn;
        }
        if (op->code == RA_OP_FIRST || op->code == RA_OP_LAST)
            trim(&s, &n);
        ra_val_str(v, s, n);
        return 0;
    }
    case RA_OP_CAT: {
        struct ra_buf b = RA_BUF_INIT;
        if (as_text(p, v, &s, &n) == 0)
            ra_buf_add(&b, s, n);
        for (size_t k = 0; k < op->nargs; k++) {
            struct ra_val a;
            eval_term(p, &op->args[k], &a);
            if (as_text(p, &a, &s, &n) == 0)
                ra_buf_add(&b, s, n);
        }
        if (b.len)
            ra_val_str(v, ra_arena_strndup(p->arena, b.data, b.len), b.len);
        ra_buf_release(&b);
        return 0;
    }
    case RA_OP_RE: {
        const char *lit = op->args[0].lit;
        size_t litn = op->args[0].litn;
        if (as_text(p, v, &s, &n) != 0)
            return 0;
        if (!(p->re_last.rec == p->rec && p->re_last.s == s &&
              p->re_last.n == n && p->re_last.litn == litn &&
              !memcmp(p->re_last.lit, lit, litn))) {
            int rc = ra_re_match(op->re, s, n, 0, p->md);
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(p->md);
            int g = rc > 1 ? 1 : 0;
            p->re_last.rec = p->rec;
            p->re_last.lit = lit, p->re_last.litn = litn;
            p->re_last.s = s, p->re_last.n = n;
            p->re_last.off = p->re_last.len = 0;
            if (rc >= 0 && ov[2 * g] != PCRE2_UNSET) {
                p->re_last.off = ov[2 * g];
                p->re_last.len = ov[2 * g + 1] - ov[2 * g];
            }
        }
        if (!p->re_last.len)
            return v->t = RA_V_ABSENT, 0;
        ra_val_str(v, s + p->re_last.off, p->re_last.len);
        return 0;
    }
    case RA_OP_DUR:
        if (v->t == RA_V_INT)
            return 0;
        if (as_text(p, v, &s, &n) != 0 || parse_dur(s, n, &i) != 0)
            return *reason = "bad duration", -1;
        v->t = RA_V_INT;
        v->i = i;
        return 0;
    }
    return 0;
}

/* Out of line: ra_parser_field's plain references (most fields) then
 * need no frame for the operations. */
static int __attribute__((noinline))
eval_expr(struct ra_parser *p, const struct ra_expr *e, struct ra_val *out,
          const char **reason)
{
    for (size_t a = 0; a < e->nalts; a++) {
        const struct ra_alt *alt = &e->alts[a];
        if (alt->when && !cond_true(p, alt->when))
            continue;
        eval_term(p, &alt->base, out);
        for (size_t k = 0; k < alt->nops && out->t != RA_V_ABSENT; k++)
            if (apply_op(p, &alt->ops[k], out, reason) != 0)
                return -1;
        if (out->t != RA_V_ABSENT)
            return 0;
    }
    out->t = RA_V_ABSENT;
    return 0;
}

/* `engine csv json`: the first non-blank record decides. 0 while blank. */
static int
decide(struct ra_parser *p, const char *rec, size_t len)
{
    size_t i = 0;
    while (i < len && (rec[i] == ' ' || rec[i] == '\t'))
        i++;
    if (i == len)
        return 0;
    p->decided = 1;
    if (rec[i] == '{') {
        p->ops->close(p->st);
        p->ops = &ra_engine_json;
        p->st = p->ops->open(p->f);
    }
    return 1;
}

int
ra_parser_csv_framing(struct ra_parser *p, const char *line, size_t len)
{
    if (p->f->json_too && !p->decided)
        decide(p, line, len);
    return p->ops == &ra_engine_csv;
}

enum ra_frame
ra_parser_csv_frame(struct ra_parser *p, const char *line, size_t len,
                    int cont)
{
    return ra_csv_frame(p->st, line, len, cont);
}

enum ra_parse_rc
ra_parser_parse(struct ra_parser *p, const char *rec, size_t len,
                const char **reason)
{
    /* A byte order mark (a file written on Windows, a spreadsheet's CSV)
     * is not part of the record, whatever the engine: it would fail a
     * regex's first line and rename a CSV header's first column. */
    if (len >= 3 && !memcmp(rec, "\xEF\xBB\xBF", 3)) {
        rec += 3;
        len -= 3;
    }
    clear_record(p);
    if (p->f->json_too && !p->decided && !decide(p, rec, len))
        return RA_SKIP;
    enum ra_parse_rc rc = p->ops->parse(p->st, p->f, rec, len, reason);
    if (rc == RA_REC && p->f->filter && !cond_true(p, p->f->filter))
        rc = RA_SKIP;
    return rc;
}

int
ra_parser_field(struct ra_parser *p, enum ra_field f, struct ra_val *out,
                const char **reason)
{
    const struct ra_expr *e = p->f->field[f];
    if (!e) {
        out->t = RA_V_ABSENT;
        return 0;
    }
    if (e->plain) { /* as eval_expr would, a step shorter */
        p->ops->get(p->st, e->plain, out);
        return 0;
    }
    return eval_expr(p, e, out, reason);
}
