/* ingest.c -- the ingest pipeline for a list of paths.
 *
 * For each file: the ledger decides what is new (by content, not by name),
 * the format is the one given, the one the ledger knows, or the best fit on
 * the file's first lines; then every record goes reader -> parser ->
 * normalizer -> writer, committed in batches together with the ledger
 * position. Bad lines are rejects, counted and kept; a broken file is
 * reported and the run goes on with the next one.
 */
#include "ingest/ingest.h"
#include "ingest/format.h"
#include "ingest/framer.h"
#include "ingest/normalize.h"
#include "ingest/reader.h"
#include "ingest/walk.h"
#include "ingest/writer.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RA_FP_PREFIX 65536
#define RA_BATCH 50000
#define RA_SHOW_REJECTS 10

struct ctx { /* read by every thread: no line shared with what one writes */
    _Alignas(RA_CACHE_LINE) const struct ra_ingest_opts *o;
    struct ra_format **fmts;
    size_t nfmts;
    struct ra_norm *norm;
    struct ra_writer *w;
    struct ra_timectx tzbase;
    struct stat db;          /* the database file, once open */
    struct ra_format *given; /* --format's; NULL: auto */
    unsigned source;         /* --source, or the given format's; 0: any */
};

static void
note(struct ctx *c, const char *fmt, ...) RA_PRINTF(2, 3);

static void
note(struct ctx *c, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    if (!c->o->note)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->o->note(c->o->note_ctx, msg);
}

int
ra_tz_parse(const char *tz, struct ra_timectx *tc)
{
    tc->tz_fixed = 1;
    tc->tz_offset_min = 0;
    tc->tz_name = NULL;
    if (!tz || !strcmp(tz, "UTC") || !strcmp(tz, "Z"))
        return 0;
    if (tz[0] == '+' || tz[0] == '-') {
        int h, m = 0;
        char extra;
        if ((sscanf(tz + 1, "%2d:%2d%c", &h, &m, &extra) == 2 ||
             (strlen(tz) == 5 && sscanf(tz + 1, "%2d%2d%c", &h, &m, &extra) ==
                                     2) ||
             (strlen(tz) == 3 && sscanf(tz + 1, "%2d%c", &h, &extra) == 1)) &&
            h <= 14 && m < 60) {
            tc->tz_offset_min = (tz[0] == '-' ? -1 : 1) * (h * 60 + m);
            return 0;
        }
        return -1;
    }
    /* An IANA name must exist in the zone database. */
    struct ra_buf p = RA_BUF_INIT;
    struct stat st;
    ra_buf_addf(&p, "/usr/share/zoneinfo/%s", tz);
    int ok = !strstr(tz, "..") && stat(p.data, &st) == 0 &&
             S_ISREG(st.st_mode);
    ra_buf_release(&p);
    if (!ok)
        return -1;
    setenv("TZ", tz, 1);
    tzset();
    tc->tz_fixed = 0;
    tc->tz_name = tz;
    return 0;
}

/* s[0..n) cut to at most max bytes, at a character boundary. */
static size_t
utf8_cut(const char *s, size_t n, size_t max)
{
    if (n <= max)
        return n;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

/* ---- records ---------------------------------------------------------- */

/* Whether no byte of s[0..n) is high or zero: 8 at a time, the last 8
 * (overlapping) for a tail. */
static inline int
plain_ascii(const char *s, size_t n)
{
    const uint64_t ones = 0x0101010101010101u, highs = ones << 7;
    uint64_t w;
    if (n < 8) {
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)s[i] >= 0x80 || s[i] == '\0')
                return 0;
        return 1;
    }
    for (size_t i = 0;; i += 8) {
        memcpy(&w, s + (i + 8 <= n ? i : n - 8), 8);
        if ((w | ((w - ones) & ~w)) & highs)
            return 0;
        if (i + 8 >= n)
            return 1;
    }
}

/* out_text's text when some byte is high or zero: valid UTF-8 is kept,
 * other bytes become \xHH. */
static void __attribute__((noinline))
escape_text(struct ra_arena *a, struct ra_out *o, const char *s, size_t n)
{
    struct ra_buf r = RA_BUF_INIT;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t l = 0;
        if (c < 0x80)
            l = 1;
        else if (c >= 0xC2 && c <= 0xDF)
            l = 2;
        else if (c >= 0xE0 && c <= 0xEF)
            l = 3;
        else if (c >= 0xF0 && c <= 0xF4)
            l = 4;
        int ok = l > 0 && i + l <= n;
        for (size_t k = 1; ok && k < l; k++)
            ok = ((unsigned char)s[i + k] & 0xC0) == 0x80;
        if (ok && l == 3) {
            unsigned c1 = (unsigned char)s[i + 1];
            ok = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0);
        }
        if (ok && l == 4) {
            unsigned c1 = (unsigned char)s[i + 1];
            ok = !(c == 0xF0 && c1 < 0x90) && !(c == 0xF4 && c1 >= 0x90);
        }
        if (ok && c != 0) {
            ra_buf_add(&r, s + i, l);
            i += l;
        } else {
            ra_buf_addf(&r, "\\x%02x", c);
            i++;
        }
    }
    o->s = ra_arena_strndup(a, r.data, r.len);
    o->n = r.len;
    ra_buf_release(&r);
}

/* s[0..n) as stored text: valid UTF-8 is kept, other bytes become \xHH. */
static inline void
out_text(struct ra_arena *a, struct ra_out *o, const char *s, size_t n)
{
    o->t = RA_O_TEXT;
    o->s = s;
    o->n = (uint32_t)n;
    if (!plain_ascii(s, n))
        escape_text(a, o, s, n);
}

static int
is_hex64(const char *s, size_t n)
{
    if (n != 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
              (s[i] >= 'A' && s[i] <= 'F')))
            return 0;
    return 1;
}

/* Text form of a parsed value (numbers printed into the arena). */
static int
val_text(struct ra_arena *a, const struct ra_val *v, const char **s,
         size_t *n)
{
    char tmp[40];
    int k;
    if (v->t == RA_V_STR) {
        *s = v->s;
        *n = v->n;
        return 0;
    }
    if (v->t == RA_V_INT)
        k = snprintf(tmp, sizeof tmp, "%lld", (long long)v->i);
    else if (v->t == RA_V_REAL)
        k = snprintf(tmp, sizeof tmp, "%.17g", v->d);
    else
        return -1;
    *s = ra_arena_strndup(a, tmp, (size_t)k);
    *n = (size_t)k;
    return 0;
}

struct record {
    struct ra_out out[RA_F_COUNT];
    struct ra_out fp[2]; /* a gateway's header fingerprints: in, out */
    char fp_text[2][17];
    uint64_t as_read; /* bit f: field f's text is read[f] (a header
                         list's: as read, not as stored) */
    int user_derived; /* USER_*: what the username rules stored */
    int ua_from;      /* UA_*: the user agent headers_in gave */
    /* last, not cleared: read[f] is set where as_read says so */
    struct {
        const char *s;
        size_t n;
        uint64_t h;
    } read[RA_F_COUNT];
};
_Static_assert(RA_F_COUNT <= 64, "as_read has a bit for each field");
enum { USER_KNOWN = 1, USER_SESSION = 2, USER_COUNTRY = 4 };
/* The user agent headers_in gave: none, stored as the line's, or not used
 * (the line has one of its own). */
enum { UA_NONE, UA_STORED, UA_UNUSED };

/* Each parser thread remembers the string ids its dictionary fields came
 * to (ra_memo tl_ids). A field that reads a text it read before is stored
 * as the id found then, and its text is neither redacted, lowered,
 * checked for ASCII nor looked up again; a proxy user's session and
 * country are the ids its username rules gave, without the rules. Only
 * texts that normalizing left as they were are kept, so never a secret,
 * but for a caller key, whose text is kept with the id of its hash (in
 * the thread's memory only, as ra_sha256_hex_memo keeps it); all with ids
 * the shared lookup found, never more than the ids of the thread's one
 * pipeline (ra_writer_shared; a rollback ends it). Tagged by field: a
 * text is lowered in one field and not in another. */
struct field_ids {
    int64_t id, session, country; /* session, country: 0 for none */
};
static _Thread_local struct ra_memo tl_ids = {4096, 96,
                                              sizeof(struct field_ids),
                                              NULL, NULL};

/* A header list's text, as read, is remembered the same way: with the
 * ids of the list as stored (names lowered, secrets out), of its
 * fingerprint and, for headers_in, of the user agent it gives (0: none).
 * Normalizing the same text gives the same list, so the text may hold a
 * secret: it is kept here, in the thread's memory, and nowhere else. */
struct list_ids {
    int64_t id, fp, ua;
};
static _Thread_local struct ra_memo tl_list_ids = {256, 4096,
                                                   sizeof(struct list_ids),
                                                   NULL, NULL};

/* What memo m remembers for field i's text s[0..n), or NULL: then r notes
 * the text, for remember_ids to put what it is stored as. */
static const void *
recall(struct ra_memo *m, struct record *r, int i, const char *s, size_t n)
{
    uint64_t h;
    const void *e = ra_memo_get(m, (uint64_t)i, s, n, &h);
    if (!e) {
        r->read[i].s = s, r->read[i].n = n, r->read[i].h = h;
        r->as_read |= (uint64_t)1 << i;
    }
    return e;
}

/* Whether a byte of w is a capital letter, 'A' to 'Z' (the Bit Twiddling
 * Hacks' "hasbetween", exact for any byte value). */
static inline int
has_capital(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101u, low7 = ones * 127;
    return ((ones * (127 + 'Z' + 1) - (w & low7)) & ~w &
            ((w & low7) + ones * (127 - ('A' - 1))) & (ones << 7)) != 0;
}

/* s[0..n) in lower case: s itself when it has no capital (hosts and
 * countries mostly), else a copy in the arena. Eight bytes at a time, the
 * last 8 (overlapping) for a tail. */
static const char *
lower(struct ra_arena *a, const char *s, size_t n)
{
    size_t k = 0;
    uint64_t w;
    if (n < 8) {
        while (k < n && !(s[k] >= 'A' && s[k] <= 'Z'))
            k++;
        if (k == n)
            return s;
    } else {
        for (;; k += 8) {
            size_t at = k + 8 <= n ? k : n - 8;
            memcpy(&w, s + at, 8);
            if (has_capital(w)) {
                k = at;
                break;
            }
            if (k + 8 >= n)
                return s;
        }
    }
    char *l = ra_arena_strndup(a, s, n);
    for (; k < n; k++)
        if (l[k] >= 'A' && l[k] <= 'Z')
            l[k] = (char)(l[k] + 32);
    return l;
}

/* The fields a record of f can hold, in field order: those with an
 * expression, and those build_record derives from them (a gateway's user
 * agent from its headers, a proxy's egress session and country from its
 * username). Their number. The parsers encode only these, and the
 * writer's insert names only their columns (ra_writer_fields). */
static int
record_fields(const struct ra_format *f, unsigned char *out)
{
    int n = 0;
    for (int i = 0; i < RA_F_COUNT; i++)
        if (f->field[i] ||
            (f->source == RA_SRC_GATEWAY && i == RA_F_USER_AGENT) ||
            (f->source == RA_SRC_PROXY &&
             (i == RA_F_EGRESS_SESSION || i == RA_F_COUNTRY)))
            out[n++] = (unsigned char)i;
    return n;
}

/* Evaluate and normalize every field of the current record. Returns 0, or
 * -1 with *reason (a static string or one in the arena) to reject it. */
static int
build_record(struct ctx *c, struct ra_parser *p, struct ra_format *f,
             uint64_t ids, struct record *r, const char **reason)
{
    struct ra_arena *a = ra_parser_arena(p);
    const char *ua = NULL;
    size_t ualen = 0;
    const struct field_ids *user_ids = NULL;
    int64_t ua_id = 0;

    memset(r, 0, offsetof(struct record, read));
    for (int li = 0; li < f->nlive; li++) {
        int i = f->live[li];
        struct ra_val v;
        struct ra_out *o = &r->out[i];
        const char *why = NULL;
        const char *s;
        size_t n;

        if (ra_parser_field(p, (enum ra_field)i, &v, &why) != 0)
            goto bad;
        if (v.t == RA_V_ABSENT)
            continue;
        switch (ra_field_info[i].type) {
        case RA_T_TS:
            if (v.t == RA_V_INT) {
                o->i = v.i;
            } else if (v.t != RA_V_STR ||
                       ra_parse_ts(v.s, v.n, NULL, f->local_time,
                                   &c->tzbase, &o->i) != 0 ||
                       o->i < -62135596800000LL || o->i > 253402300799999LL) {
                why = "bad timestamp";
                goto bad;
            }
            o->t = RA_O_INT;
            break;
        case RA_T_INT:
            if (v.t == RA_V_INT) {
                o->i = v.i;
            } else if (v.t == RA_V_REAL) {
                if (!(v.d > -9e18 && v.d < 9e18)) {
                    why = "integer out of range";
                    goto bad;
                }
                o->i = (int64_t)v.d;
            } else if (v.t != RA_V_STR || ra_parse_i64(v.s, v.n, &o->i)) {
                double d;
                if (v.t != RA_V_STR || ra_parse_f64(v.s, v.n, &d) ||
                    d > 9e18 || d < -9e18) {
                    why = "not an integer";
                    goto bad;
                }
                o->i = (int64_t)d;
            }
            o->t = RA_O_INT;
            break;
        case RA_T_REAL:
            if (v.t == RA_V_INT)
                o->d = (double)v.i;
            else if (v.t == RA_V_REAL)
                o->d = v.d;
            else if (v.t != RA_V_STR || ra_parse_f64(v.s, v.n, &o->d)) {
                why = "not a number";
                goto bad;
            }
            o->t = RA_O_REAL;
            break;
        case RA_T_KEY: {
            char *h;
            if (val_text(a, &v, &s, &n) != 0)
                break;
            const struct field_ids *key; /* its text: the id of its hash */
            if ((ids >> i & 1) && (key = recall(&tl_ids, r, i, s, n))) {
                *o = (struct ra_out){.t = RA_O_INT, .i = key->id};
                break;
            }
            h = ra_arena_alloc(a, 65);
            if (is_hex64(s, n)) {
                for (size_t k = 0; k < 64; k++)
                    h[k] = (char)(s[k] >= 'A' && s[k] <= 'F' ? s[k] + 32
                                                             : s[k]);
                h[64] = '\0';
            } else {
                ra_sha256_hex_memo(s, n, h);
            }
            o->t = RA_O_TEXT;
            o->s = h;
            o->n = 64;
            break;
        }
        case RA_T_HDRS: {
            const char *json, *u;
            size_t jl, ul;
            int in = i == RA_F_HEADERS_IN;
            const struct list_ids *list;
            if ((ids >> i & 1) && v.s &&
                (list = recall(&tl_list_ids, r, i, v.s, v.n))) {
                *o = (struct ra_out){.t = RA_O_INT, .i = list->id};
                r->fp[!in] = (struct ra_out){.t = RA_O_INT, .i = list->fp};
                if (in)
                    ua_id = list->ua;
                break;
            }
            char *fp = r->fp_text[!in];
            if (ra_headers_normalize(c->norm, a, &v, &json, &jl, fp, &u,
                                     &ul) != 0) {
                why = "headers are not an object or a list of pairs";
                goto bad;
            }
            out_text(a, o, json, jl);
            r->fp[!in] = (struct ra_out){.t = RA_O_TEXT, .s = fp, .n = 16};
            if (in)
                ua = u, ualen = ul;
            break;
        }
        default: /* text kinds */
            if (val_text(a, &v, &s, &n) != 0) {
                why = "expected text, got a JSON object";
                goto bad;
            }
            const struct field_ids *text;
            if ((ids >> i & 1) && (text = recall(&tl_ids, r, i, s, n))) {
                *o = (struct ra_out){.t = RA_O_INT, .i = text->id};
                if (i == RA_F_PROXY_USER)
                    user_ids = text;
                break;
            }
            s = ra_redact(c->norm, a, s, n, &n);
            if (ra_field_info[i].type == RA_T_LOWER)
                s = lower(a, s, n);
            if (ra_field_info[i].type == RA_T_MSG)
                n = utf8_cut(s, n, 512);
            if (i == RA_F_PROXY_USER) {
                /* user:password -- the password never goes further. */
                const char *colon = memchr(s, ':', n);
                if (colon)
                    n = (size_t)(colon - s);
            }
            out_text(a, o, s, n);
            if ((r->as_read >> i & 1) &&
                (o->s != r->read[i].s || o->n != r->read[i].n))
                r->as_read &= ~((uint64_t)1 << i); /* changed: not kept */
            break;
        }
        continue;
bad:
        {
            size_t l = strlen(ra_field_info[i].name) + strlen(why) + 3;
            char *m = ra_arena_alloc(a, l);
            snprintf(m, l, "%s: %s", ra_field_info[i].name, why);
            *reason = m;
        }
        return -1;
    }
    if (f->source == RA_SRC_GATEWAY && (ua || ua_id)) {
        struct ra_out *o = &r->out[RA_F_USER_AGENT];
        r->ua_from = o->t == RA_O_NULL ? UA_STORED : UA_UNUSED;
        if (o->t == RA_O_NULL && ua_id)
            *o = (struct ra_out){.t = RA_O_INT, .i = ua_id};
        else if (o->t == RA_O_NULL)
            out_text(a, o, ua, ualen);
    }
    if (f->source == RA_SRC_PROXY && r->out[RA_F_PROXY_USER].t == RA_O_TEXT) {
        const char *ss, *cc, *rule;
        size_t sl, cl;
        ra_username_parse(c->norm, a, r->out[RA_F_PROXY_USER].s,
                          r->out[RA_F_PROXY_USER].n, f->urules, f->nurules,
                          &ss, &sl, &cc, &cl, &rule);
        /* known when what the rules gave is what is stored: no field of
         * the format's own is there before it */
        int taken = (!ss || r->out[RA_F_EGRESS_SESSION].t == RA_O_NULL) &&
                    (!cc || r->out[RA_F_COUNTRY].t == RA_O_NULL);
        if (taken)
            r->user_derived = USER_KNOWN | (ss ? USER_SESSION : 0) |
                              (cc ? USER_COUNTRY : 0);
        if (ss && r->out[RA_F_EGRESS_SESSION].t == RA_O_NULL)
            out_text(a, &r->out[RA_F_EGRESS_SESSION], ss, sl);
        if (cc && r->out[RA_F_COUNTRY].t == RA_O_NULL)
            out_text(a, &r->out[RA_F_COUNTRY], lower(a, cc, cl), cl);
    } else if (user_ids) { /* as the rules would, from tl_ids */
        if (user_ids->session && r->out[RA_F_EGRESS_SESSION].t == RA_O_NULL)
            r->out[RA_F_EGRESS_SESSION] =
                (struct ra_out){.t = RA_O_INT, .i = user_ids->session};
        if (user_ids->country && r->out[RA_F_COUNTRY].t == RA_O_NULL)
            r->out[RA_F_COUNTRY] =
                (struct ra_out){.t = RA_O_INT, .i = user_ids->country};
    }
    for (int ri = 0; ri < f->nrequired; ri++)
        if (r->out[f->required[ri]].t == RA_O_NULL) {
            int i = f->required[ri];
            size_t l = strlen(ra_field_info[i].name) + 16;
            char *m = ra_arena_alloc(a, l);
            snprintf(m, l, "missing %s", ra_field_info[i].name);
            *reason = m;
            return -1;
        }
    if ((f->source & (RA_SRC_GATEWAY | RA_SRC_PROXY)) &&
        r->out[RA_F_TS].t == RA_O_NULL) {
        *reason = "missing ts";
        return -1;
    }
    return 0;
}

/* ---- format choice ------------------------------------------------------ */

struct fit {
    struct ra_format *f;
    int records, rejects, filled;
};

/* How well f reads the first lines of prefix. */
static void
try_format(struct ctx *c, struct ra_format *f, const char *p, size_t n,
           struct fit *fit)
{
    struct ra_timectx tc = c->tzbase;
    struct ra_parser *ps = ra_parser_new(f, &tc);
    struct ra_reader *r = ra_reader_open_mem(p, n, 1u << 20);
    struct ra_line l;
    struct ra_err e = {0};
    int lines = 0;
    struct ra_buf rec = RA_BUF_INIT;

    memset(fit, 0, sizeof *fit);
    fit->f = f;
    while (lines < 200 && ra_reader_next(r, &l, &e) == 1) {
        const char *reason;
        struct record out;
        lines++;
        if (!l.terminated && n == RA_FP_PREFIX)
            break; /* cut by the prefix, not by the file */
        ra_buf_reset(&rec);
        ra_buf_add(&rec, l.p, l.len);
        enum ra_parse_rc rc = ra_parser_parse(ps, rec.data, rec.len, &reason);
        if (rc == RA_REC) {
            if (build_record(c, ps, f, 0, &out, &reason) == 0) {
                fit->records++;
                for (int i = 0; i < RA_F_COUNT; i++)
                    fit->filled += out.out[i].t != RA_O_NULL;
            } else {
                fit->rejects++;
            }
        } else if (rc == RA_REJECT) {
            fit->rejects++;
        }
    }
    ra_buf_release(&rec);
    ra_reader_close(r);
    ra_parser_free(ps);
}

static struct ra_format *
detect(struct ctx *c, const char *path, const char *p, size_t n,
       struct ra_err *err)
{
    struct fit best = {0}, second = {0};
    struct ra_buf cands = RA_BUF_INIT;
    struct fit *all = xcalloc(c->nfmts + 1, sizeof *all);
    size_t nall = 0;

    for (size_t i = 0; i < c->nfmts; i++) {
        struct ra_format *f = c->fmts[i];
        if (c->source && f->source != c->source)
            continue;
        if (!c->source && f->source == RA_SRC_MAP)
            continue; /* a map is always named with --source map */
        struct fit fit;
        try_format(c, f, p, n, &fit);
        all[nall++] = fit;
        /* Rank: match rate, then fields filled per record. */
        double rate = fit.records ? (double)fit.records /
                                        (fit.records + fit.rejects)
                                  : 0;
        double brate = best.records ? (double)best.records /
                                          (best.records + best.rejects)
                                    : 0;
        double fill = fit.records ? (double)fit.filled / fit.records : 0;
        double bfill = best.records ? (double)best.filled / best.records : 0;
        if (!best.f || rate > brate || (rate == brate && fill > bfill)) {
            second = best;
            best = fit;
        } else {
            double srate = second.records ? (double)second.records /
                                                (second.records +
                                                 second.rejects)
                                          : 0;
            double sfill = second.records ? (double)second.filled /
                                                second.records
                                          : 0;
            if (!second.f || rate > srate || (rate == srate && fill > sfill))
                second = fit;
        }
    }
    double brate = best.records ? (double)best.records /
                                      (best.records + best.rejects)
                                : 0;
    double srate = second.records ? (double)second.records /
                                        (second.records + second.rejects)
                                  : 0;
    int tie = second.f && brate == srate && best.records &&
              best.filled * second.records == second.filled * best.records;
    if (best.f && brate >= 0.5 && !tie) {
        free(all);
        return best.f;
    }
    for (size_t i = 0; i < nall; i++) {
        struct fit *x = &all[i];
        if (!x->records)
            continue;
        ra_buf_addf(&cands, "%s%s %.0f%%", cands.len ? ", " : "", x->f->name,
                    100.0 * x->records / (x->records + x->rejects));
    }
    if (n == 0)
        ra_err_set(err, RA_EPARSE, "'%s' is empty: no format to detect",
                   path);
    else if (tie)
        ra_err_set(err, RA_EPARSE, "'%s': %s and %s fit equally well; choose "
                                   "one with --format (matches: %s)",
                   path, best.f->name, second.f->name, cands.data);
    else
        ra_err_set(err, RA_EPARSE, "'%s': no known format fits; give "
                                   "--format (best matches: %s)",
                   path, cands.len ? cands.data : "none");
    ra_buf_release(&cands);
    free(all);
    return NULL;
}

/* ---- one file ----------------------------------------------------------- */

struct filestate {
    const char *path; /* display name */
    struct ra_format *f;
    struct ra_parser *ps; /* the reader's: CSV framing decisions */
    struct ra_ledger l;
    int64_t new_records, new_rejected, new_skipped, shown;
    int is_plain; /* a regular uncompressed file: tails wait for growth */
    unsigned char fields[RA_F_COUNT]; /* record_fields: what is encoded */
    int nfields;
    int width; /* a row's values (ra_writer_width) */
    const unsigned char *dict; /* ra_writer_dict_columns */
    const struct ra_shared_ids *ids; /* ra_writer_shared */
    uint64_t dict_fields; /* bit f: field f is stored as a string id */
};

/* ---- the pipeline ---------------------------------------------------------
 *
 * A reader thread decompresses and frames lines; parser threads parse and
 * normalize them; the calling thread owns SQLite and the ledger. Work
 * travels in slots of up to RA_BATCH_ITEMS lines: the reader fills a
 * slot's raw lines, a parser turns its records into the writer's rows
 * (ra_writer_rows: no per-field allocation, and the writer inserts them
 * where they lie), and the writer applies slots strictly in the
 * order they were read. RA_SLOTS bounds memory whatever the input. Each
 * slot carries the stream position after its last line: the writer
 * commits rows and that position together.
 */
#define RA_WORKERS 2 /* parser threads for stateless engines (regex, json) */
#define RA_SLOTS (RA_WORKERS + 4)
#define RA_BATCH_ITEMS 4096
#define RA_BATCH_BYTES (1u << 20)

enum { L_LINE = 1, L_TAIL, L_DAMAGED, L_TOO_LONG, L_UNCLOSED }; /* raw lines */

struct batch { /* one thread's at a time: cache lines of its own */
    /* [kind u8][line i64][len u32][bytes] per line */
    _Alignas(RA_CACHE_LINE) struct ra_buf raw;
    size_t nraw;
    /* the parsers' work: the writer's rows (ra_writer_rows), their texts
     * as offsets in `text`; a tail is the last row. Rejects are encoded
     * in `rej`: [line i64][len u32][reason][len u32][excerpt]. */
    struct ra_buf rows, text, rej;
    size_t nrows, nrej;
    int tail;
    uint64_t seq;
    int64_t offset, line_no, size_read, skipped;
    int last, broken, unread_tail;
    char errmsg[512];
};

/* Each side waits on a condition of its own and is woken only for what
 * it waits for: one condition broadcast to all woke the reader and both
 * parsers for each slot written, and a thread woken on a busy core can
 * take it from the writer, the stage everything waits for. */
struct queue {
    _Alignas(RA_CACHE_LINE) pthread_mutex_t mu;
    pthread_cond_t freed;  /* the reader's: a slot to fill */
    pthread_cond_t queued; /* the parsers': a slot to parse, or the end */
    pthread_cond_t parsed; /* the writer's: slot `want` is parsed */
    struct batch *free_[RA_SLOTS], *raw[RA_SLOTS], *done[RA_SLOTS];
    int nfree, nraw, ndone; /* raw[] is in reading order */
    uint64_t want;          /* the slot the writer waits for */
    int read_all;           /* the reader queued its last slot */
    int stop;               /* the writer gave up: everyone ends */
};

static void
put_bytes(struct ra_buf *b, const void *p, size_t n)
{
    ra_buf_add(b, p, n);
}

static void
put_i64(struct ra_buf *b, int64_t v)
{
    put_bytes(b, &v, sizeof v);
}

static void
put_str(struct ra_buf *b, const char *s, size_t n)
{
    uint32_t l = (uint32_t)n;
    put_bytes(b, &l, sizeof l);
    put_bytes(b, s, n);
}

struct cursor {
    const char *p, *end;
};

static void
get_bytes(struct cursor *c, void *dst, size_t n)
{
    memcpy(dst, c->p, n);
    c->p += n;
}

static int64_t
get_i64(struct cursor *c)
{
    int64_t v;
    get_bytes(c, &v, sizeof v);
    return v;
}

static const char *
get_str(struct cursor *c, size_t *n)
{
    uint32_t l;
    get_bytes(c, &l, sizeof l);
    const char *s = c->p;
    c->p += l;
    *n = l;
    return s;
}

/* The id stored for field f (0 when f is not stored) into *id; 0 when it
 * is a text the shared lookup did not find. */
static int
stored_id(const struct ra_out *v, const struct filestate *fs, int f,
          int64_t *id)
{
    *id = 0;
    for (int k = 0; k < fs->nfields; k++)
        if (fs->fields[k] == f)
            return v[2 + k].t == RA_O_INT ? (*id = v[2 + k].i, 1)
                                          : v[2 + k].t == RA_O_NULL;
    return 1;
}

/* Into tl_list_ids: header list f's ids as stored, if all are found. */
static void
remember_list(const struct record *r, const struct ra_out *v,
              const struct filestate *fs, int k)
{
    int f = fs->fields[k], in = f == RA_F_HEADERS_IN;
    const struct ra_out *fp = &v[fs->width - 2 + !in];
    struct list_ids ids = {v[2 + k].i, fp->i, 0};
    if (fp->t != RA_O_INT ||
        (in && r->ua_from == UA_UNUSED) || /* its user agent: not known */
        (in && r->ua_from == UA_STORED &&
         (!stored_id(v, fs, RA_F_USER_AGENT, &ids.ua) || !ids.ua)))
        return;
    struct list_ids *m = ra_memo_put(&tl_list_ids, (uint64_t)f, r->read[f].s,
                                     r->read[f].n, r->read[f].h);
    if (m)
        *m = ids;
}

/* Into tl_ids and tl_list_ids: the ids stored for the fields whose text
 * is as read. */
static void
remember_ids(const struct record *r, const struct ra_out *v,
             const struct filestate *fs)
{
    for (int k = 0; k < fs->nfields; k++) {
        int f = fs->fields[k];
        struct field_ids ids = {v[2 + k].i, 0, 0};
        if (!(r->as_read >> f & 1) || v[2 + k].t != RA_O_INT)
            continue;
        if (ra_field_info[f].type == RA_T_HDRS) {
            remember_list(r, v, fs, k);
            continue;
        }
        if (f == RA_F_PROXY_USER &&
            (!(r->user_derived & USER_KNOWN) ||
             ((r->user_derived & USER_SESSION) &&
              !stored_id(v, fs, RA_F_EGRESS_SESSION, &ids.session)) ||
             ((r->user_derived & USER_COUNTRY) &&
              !stored_id(v, fs, RA_F_COUNTRY, &ids.country))))
            continue;
        struct field_ids *m = ra_memo_put(&tl_ids, (uint64_t)f, r->read[f].s,
                                          r->read[f].n, r->read[f].h);
        if (m)
            *m = ids;
    }
}

/* A normalized record as the writer's row (ra_writer_rows): its line, the
 * value of each of the format's fields (record_fields) in that order, the
 * order of the writer's insert, then a gateway's fingerprints; its texts
 * copied to the batch's text, by offset (the buffer may move as it
 * grows). The file id is the writer's to set. */
static void
emit_record(struct batch *b, int tail, int64_t line_no,
            const struct record *r, const struct filestate *fs)
{
    int width = fs->width;
#ifndef NDEBUG /* build_record fills no field that record_fields leaves out */
    for (int i = 0; i < RA_F_COUNT; i++)
        assert(r->out[i].t == RA_O_NULL ||
               memchr(fs->fields, i, (size_t)fs->nfields));
#endif
    size_t need = (size_t)width * sizeof(struct ra_out);
    if (b->rows.len + need + 1 > b->rows.cap)
        ra_buf_grow(&b->rows, need);
    struct ra_out *v = (struct ra_out *)(void *)(b->rows.data + b->rows.len);
    b->rows.len += need;
    v[0] = (struct ra_out){.t = RA_O_NULL};
    v[1] = (struct ra_out){.t = RA_O_INT, .i = line_no};
    for (int k = 0; k < fs->nfields; k++)
        v[2 + k] = r->out[fs->fields[k]];
    if (fs->f->source == RA_SRC_GATEWAY) { /* the last two: fingerprints */
        v[width - 2] = r->fp[0];
        v[width - 1] = r->fp[1];
    }
    for (int c = 2; c < width; c++)
        if (v[c].t == RA_O_TEXT) {
            if (fs->dict[c] &&
                ra_writer_shared_id(fs->ids, v[c].s, v[c].n, &v[c].i)) {
                v[c].t = RA_O_INT;
                continue;
            }
            int64_t off = (int64_t)b->text.len;
            ra_buf_add(&b->text, v[c].s, v[c].n);
            v[c].i = off;
        }
    if (r->as_read)
        remember_ids(r, v, fs);
    b->nrows++;
    b->tail = tail;
}

static void
emit_reject(struct batch *b, int64_t line_no, const char *reason,
            const char *ex, size_t n)
{
    put_i64(&b->rej, line_no);
    put_str(&b->rej, reason, strlen(reason));
    put_str(&b->rej, ex, n);
    b->nrej++;
}

/* The reader thread's state. */
struct reader {
    _Alignas(RA_CACHE_LINE) struct ctx *c;
    struct filestate *fs;
    struct ra_reader *r;
    struct queue *q;
    struct batch *b;
    uint64_t seq;
    int64_t line_no, offset, size_read, lines;
    uint64_t zpos; /* compressed bytes read (gzip): for the progress ETA */
    int broken;
    struct ra_err rerr;
    double cpu; /* CPU seconds of the thread (RELAYAUDIT_TIMINGS) */
};

/* A parser thread's state: its own parser (arena, match data, engine). */
struct worker {
    _Alignas(RA_CACHE_LINE) struct ctx *c;
    struct filestate *fs;
    struct queue *q;
    struct ra_parser *p; /* made by the thread: its memory is the thread's */
    const char *first;   /* the CSV framing's line, or NULL */
    size_t firstn;
    int header; /* first is the header of a CSV read on from mid-file */
    struct ra_timectx tc;
    struct batch *b;
    pthread_t th;
    double cpu;
};

static struct batch *
take_free(struct reader *rd)
{
    struct queue *q = rd->q;
    pthread_mutex_lock(&q->mu);
    while (q->nfree == 0 && !q->stop)
        pthread_cond_wait(&q->freed, &q->mu);
    struct batch *b = q->stop ? NULL : q->free_[--q->nfree];
    pthread_mutex_unlock(&q->mu);
    if (b) {
        ra_buf_reset(&b->raw);
        b->nraw = 0;
        b->seq = rd->seq++;
        b->last = b->broken = 0;
        b->errmsg[0] = '\0';
    }
    return b;
}

/* Queue the current slot for the parsers with the position after it. */
static int
ship(struct reader *rd, int last)
{
    struct batch *b = rd->b;
    b->offset = rd->offset;
    b->line_no = rd->line_no;
    b->size_read = rd->size_read;
    b->last = last;
    b->broken = rd->broken;
    if (rd->broken)
        snprintf(b->errmsg, sizeof b->errmsg, "%s", rd->rerr.msg);
    __atomic_store_n(&rd->zpos, ra_reader_zpos(rd->r), __ATOMIC_RELAXED);
    pthread_mutex_lock(&rd->q->mu);
    int stop = rd->q->stop;
    if (!stop) {
        rd->q->raw[rd->q->nraw++] = b;
        rd->q->read_all = last;
    } else {
        rd->q->free_[rd->q->nfree++] = b;
    }
    if (last)
        pthread_cond_broadcast(&rd->q->queued);
    else
        pthread_cond_signal(&rd->q->queued);
    pthread_mutex_unlock(&rd->q->mu);
    rd->b = NULL;
    if (stop || last)
        return -1;
    rd->b = take_free(rd);
    return rd->b ? 0 : -1;
}

static void
put_line(struct batch *b, int kind, int64_t line_no, const char *p, size_t n)
{
    unsigned char k = (unsigned char)kind;
    put_bytes(&b->raw, &k, 1);
    put_i64(&b->raw, line_no);
    put_str(&b->raw, p, n);
    b->nraw++;
}

/* The reader thread: the whole stream, line by line, into slots. */
static void *
read_stream(void *arg)
{
    struct reader *rd = arg;
    struct filestate *fs = rd->fs;
    struct ra_framer fr;
    struct ra_lines f;
    int got;

    ra_framer_init(&fr, rd->r, fs->ps, rd->c->o->max_line, fs->is_plain);
    if (!(rd->b = take_free(rd)))
        goto out;
    while (!rd->broken && (got = ra_framer_next(&fr, &f, &rd->rerr)) != 0) {
        if (got < 0) {
            rd->broken = 1; /* the writer says why, after the lines before */
            break;
        }
        int64_t rec_line = rd->line_no + 1;
        rd->line_no += f.nlines;
        __atomic_add_fetch(&rd->lines, f.nlines, __ATOMIC_RELAXED);
        rd->broken = f.broken;
        if (f.damaged) {
            /* The part of a record before the damage: kept as a reject, and
             * the ledger stays before it so a repaired file reads it. */
            put_line(rd->b, L_DAMAGED, rec_line, f.p, f.n);
            rd->line_no = rec_line - 1;
            continue;
        } else if (f.too_long) {
            put_line(rd->b, L_TOO_LONG, rec_line, f.p, f.n);
            rd->offset = rd->size_read = (int64_t)f.end;
        } else if (f.kind == RA_LINES_TAIL) {
            /* It may be still being written: taken only as a replaceable
             * tail, and the ledger stays before it, so that it is read
             * again once the file grows (and its record then replaced). */
            put_line(rd->b, L_TAIL, rec_line, f.p, f.n);
            rd->size_read = (int64_t)f.end;
            rd->line_no = rec_line - 1;
        } else {
            put_line(rd->b, f.kind == RA_LINES_UNCLOSED ? L_UNCLOSED : L_LINE,
                     rec_line, f.p, f.n);
            rd->offset = rd->size_read = (int64_t)f.end;
        }
        if ((rd->b->nraw >= RA_BATCH_ITEMS ||
             rd->b->raw.len >= RA_BATCH_BYTES) &&
            ship(rd, 0) != 0)
            break;
    }
    if (rd->b)
        ship(rd, 1);
out:
    ra_framer_free(&fr);
    rd->cpu = ra_clock_s(CLOCK_THREAD_CPUTIME_ID);
    return NULL;
}

static void
reject(struct worker *w, int64_t line_no, const char *reason, const char *p,
       size_t n)
{
    struct ra_arena *a = ra_parser_arena(w->p);
    size_t rn;
    const char *red = ra_redact(w->c->norm, a, p, n, &rn);
    struct ra_out ex;
    out_text(a, &ex, red, utf8_cut(red, rn, 200));
    emit_reject(w->b, line_no, reason, ex.s, ex.n);
}

/* One record (a line or a CSV record). A tail is marked for a later
 * replacement, and one that does not parse is left unread rather than
 * rejected. */
static void
handle(struct worker *w, int64_t line_no, const char *p, size_t n, int tail)
{
    const char *reason = NULL;
    struct record r;
    enum ra_parse_rc rc = ra_parser_parse(w->p, p, n, &reason);

    if (rc == RA_SKIP) {
        w->b->skipped++;
        return;
    }
    if (rc == RA_HEADER)
        return;
    if (rc == RA_REC &&
        build_record(w->c, w->p, w->fs->f, w->fs->dict_fields, &r,
                     &reason) == 0) {
        emit_record(w->b, tail, line_no, &r, w->fs);
        return;
    }
    if (tail) {
        w->b->unread_tail = 1;
        return;
    }
    reject(w, line_no, reason, p, n);
}

/* Parser threads run RA_PARSER_NICE below the reader and the writer, the
 * stages nobody else can do, so that a serial stage with work is not left
 * waiting for a core a parser holds: the parsers then take what CPU is
 * left, and there is always some, as their work comes in slots. Linux
 * sets a nice value per thread; where it cannot, nothing changes. 1 M
 * lines, six alternating runs, the median: Squid .gz 0.99 -> 0.89 s (the
 * cores busy 172% -> 186% of the time), relayaudit-jsonl 1.91 -> 1.81 s
 * (187% -> 193%); nice 3 and 5 gained less. */
#define RA_PARSER_NICE 10

static void
lower_priority(void)
{
    errno = 0;
    int nice = getpriority(PRIO_PROCESS, 0); /* this thread's */
    if (nice != -1 || errno == 0)
        (void)setpriority(PRIO_PROCESS, 0, nice + RA_PARSER_NICE);
}

/* A parser thread: slots in reading order, parsed into encoded items. */
static void *
parse_slots(void *arg)
{
    struct worker *w = arg;
    struct queue *q = w->q;

    lower_priority();
    w->p = ra_parser_new(w->fs->f, &w->tc);
    if (w->first)
        ra_parser_csv_framing(w->p, w->first, w->firstn);
    if (w->header) {
        const char *why;
        (void)ra_parser_parse(w->p, w->first, w->firstn, &why);
    }
    for (;;) {
        pthread_mutex_lock(&q->mu);
        while (q->nraw == 0 && !q->read_all && !q->stop)
            pthread_cond_wait(&q->queued, &q->mu);
        if (q->stop || q->nraw == 0) {
            pthread_mutex_unlock(&q->mu);
            break;
        }
        struct batch *b = q->raw[0];
        memmove(q->raw, q->raw + 1, (size_t)--q->nraw * sizeof *q->raw);
        pthread_mutex_unlock(&q->mu);

        w->b = b;
        ra_buf_reset(&b->rows);
        ra_buf_reset(&b->text);
        ra_buf_reset(&b->rej);
        b->nrows = b->nrej = 0;
        b->tail = 0;
        b->skipped = 0;
        b->unread_tail = 0;
        struct cursor cur = {b->raw.data, b->raw.data + b->raw.len};
        for (size_t i = 0; i < b->nraw; i++) {
            unsigned char kind;
            size_t n;
            get_bytes(&cur, &kind, 1);
            int64_t line_no = get_i64(&cur);
            const char *p = get_str(&cur, &n);
            if (kind == L_DAMAGED)
                reject(w, line_no, "cut off by the damage", p, n);
            else if (kind == L_TOO_LONG)
                reject(w, line_no, "too_long", p, n);
            else if (kind == L_UNCLOSED)
                reject(w, line_no, "unclosed quote", p, n);
            else
                handle(w, line_no, p, n, kind == L_TAIL);
        }

        pthread_mutex_lock(&q->mu);
        q->done[q->ndone++] = b;
        if (b->seq == q->want)
            pthread_cond_signal(&q->parsed);
        pthread_mutex_unlock(&q->mu);
    }
    ra_norm_thread_done();
    ra_memo_free(&tl_ids);
    ra_memo_free(&tl_list_ids);
    w->cpu = ra_clock_s(CLOCK_THREAD_CPUTIME_ID);
    return NULL;
}

/* ---- the writer's side of the queue ---------------------------------- */

static void
queue_stop(struct queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->stop = 1;
    pthread_cond_broadcast(&q->freed);
    pthread_cond_broadcast(&q->queued);
    pthread_cond_broadcast(&q->parsed);
    pthread_mutex_unlock(&q->mu);
}

/* The slot read as number next, once a parser has done it. */
static struct batch *
take_done(struct queue *q, uint64_t next)
{
    struct batch *b = NULL;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        for (int i = 0; i < q->ndone && !b; i++)
            if (q->done[i]->seq == next) {
                b = q->done[i];
                q->done[i] = q->done[--q->ndone];
            }
        if (b)
            break;
        q->want = next;
        pthread_cond_wait(&q->parsed, &q->mu);
    }
    pthread_mutex_unlock(&q->mu);
    return b;
}

/* A written slot goes back to the reader; stop: everyone ends. */
static void
give_back(struct queue *q, struct batch *b, int stop)
{
    pthread_mutex_lock(&q->mu);
    q->free_[q->nfree++] = b;
    pthread_mutex_unlock(&q->mu);
    pthread_cond_signal(&q->freed);
    if (stop)
        queue_stop(q);
}

/* A copy of the first non-blank whole line of a file's prefix, or NULL.
 * A copy: the prefix is the reader's buffer, which its thread refills
 * while the parser threads start. */
static char *
first_line(const char *prefix, size_t plen, size_t *n)
{
    struct ra_reader *r = ra_reader_open_mem(prefix, plen, 1u << 20);
    struct ra_line l;
    struct ra_err e = {0};
    char *found = NULL;
    while (!found && ra_reader_next(r, &l, &e) == 1 && l.terminated) {
        size_t k = 0;
        while (k < l.len && (l.p[k] == ' ' || l.p[k] == '\t'))
            k++;
        if (k < l.len) {
            found = xstrndup(prefix + l.offset, l.len);
            *n = l.len;
        }
    }
    ra_reader_close(r);
    return found;
}

/* Write one batch; returns 0 or RA_EDB. */
static int
apply_batch(struct ctx *c, struct filestate *fs, struct batch *b,
            struct ra_err *err)
{
    struct cursor cur = {b->rej.data, b->rej.data + b->rej.len};
    for (size_t k = 0; k < b->nrej; k++) {
        int64_t line_no = get_i64(&cur);
        size_t rn, en;
        const char *reason = get_str(&cur, &rn);
        const char *ex = get_str(&cur, &en);
        char rbuf[256];
        snprintf(rbuf, sizeof rbuf, "%.*s", (int)rn, reason);
        if (fs->shown++ < RA_SHOW_REJECTS)
            note(c, "%s:%lld: %s", fs->path, (long long)line_no, rbuf);
        if (ra_writer_reject(c->w, fs->path, line_no, rbuf, ex, en, err))
            return RA_EDB;
        fs->l.rejected++;
        fs->new_rejected++;
    }
    int64_t id = 0;
    if (ra_writer_rows(c->w, fs->f->source, (struct ra_out *)(void *)b->rows.data,
                       b->nrows, b->text.data, b->tail ? &id : NULL, err))
        return RA_EDB;
    fs->l.records += (int64_t)b->nrows;
    fs->new_records += (int64_t)b->nrows;
    if (b->tail) {
        fs->l.tail_id = id;
        snprintf(fs->l.tail_table, sizeof fs->l.tail_table, "%s",
                 ra_writer_table(fs->f->source));
    }
    fs->l.skipped += b->skipped;
    fs->new_skipped += b->skipped;
    fs->l.offset = b->offset;
    fs->l.line_no = b->line_no;
    fs->l.size_read = b->size_read;
    return 0;
}

/* A run's progress over its files (the calling thread's alone), for its
 * ETA: the bytes on disk of the files not begun yet, plain and gzip; the
 * lines' bytes read (a gzip file's as inflated) and the seconds they
 * took; and the bytes gzip files inflated to against their own, to count
 * the gzip bytes ahead as the lines' bytes they hold. A file skipped as
 * unchanged, or the part of one an earlier run read, takes no time. And
 * when progress was last shown, so that a run of files each read in less
 * than the interval shows it too. */
struct run {
    size_t nfiles, at;      /* at: the file being read, from 1 */
    int64_t ahead[2];       /* [1]: gzip */
    int64_t read, gz_in, gz_out;
    double busy, shown;
    /* the file being read: gzip or not, where it started, since when */
    int gz;
    int64_t from;
    double t0;
};

static void
run_begin(struct run *run, int gz, int64_t offset)
{
    run->gz = gz;
    run->from = offset;
    run->t0 = ra_mono_s();
}

/* The file being read is at offset (its lines' bytes) and, gzip, at zpos
 * of its own: into the run's counts. */
static void
run_end(struct run *run, int64_t offset, int64_t zpos)
{
    run->read += offset - run->from;
    run->busy += ra_mono_s() - run->t0;
    if (run->gz)
        run->gz_in += zpos, run->gz_out += offset;
}

/* The run's part of a progress line, into out: "; file 3 of 8" and, once
 * the pace is known (and the gzip files' ratio, when some are ahead), ",
 * ETA n s for all": what is ahead in lines' bytes, the file being read
 * counted in (left: its bytes on disk ahead; offset, zpos as run_end's),
 * at the pace of the lines' bytes read so far. */
static void
run_note(const struct run *run, char *out, size_t cap, double left,
         int64_t offset, int64_t zpos)
{
    struct run now = *run;
    run_end(&now, offset, zpos);
    int k = snprintf(out, cap, "; file %zu of %zu", run->at, run->nfiles);
    double ratio = now.gz_in > 0 ? (double)now.gz_out / (double)now.gz_in : 0;
    if (now.read <= 0 || now.busy <= 0 ||
        ((run->ahead[1] || run->gz) && !ratio))
        return;
    left = (run->gz ? left * ratio : left) + (double)run->ahead[0] +
           (double)run->ahead[1] * ratio;
    snprintf(out + k, cap - (size_t)k, ", ETA %.0f s for all",
             left * now.busy / (double)now.read);
}

/* 1 when the file st (at path) is the database, 2 when one of its
 * companions (SQLite's -wal, -shm, -journal, the writer's -claims): a
 * directory walked may hold them, and read as logs they would put the
 * database's bytes into itself as rejects, more every night. */
static int
own_file(const struct ctx *c, const char *path, const struct stat *st)
{
    static const char *const sfx[] = {"-wal", "-shm", "-journal", "-claims"};
    size_t n = strlen(path);
    struct stat base;

    if (st->st_dev == c->db.st_dev && st->st_ino == c->db.st_ino)
        return 1;
    for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
        size_t k = strlen(sfx[i]);
        if (n > k && !strcmp(path + n - k, sfx[i])) {
            char *b = xstrndup(path, n - k);
            int same = stat(b, &base) == 0 && base.st_dev == c->db.st_dev &&
                       base.st_ino == c->db.st_ino;
            free(b);
            return same ? 2 : 0;
        }
    }
    return 0;
}

/* A file whose text (peeked) follows a hole of `hole` NUL bytes, looked up
 * as earlier relayaudits fingerprinted it: by its first bytes, the NULs
 * included. The ledger row found takes the fingerprint of its text when
 * it is claimed. */
static int
find_by_hole(struct ra_writer *w, uint64_t hole, const char *text, size_t n,
             struct ra_ledger *l, struct ra_err *err)
{
    size_t nul = hole < RA_FP_PREFIX ? (size_t)hole : RA_FP_PREFIX;
    size_t keep = n < RA_FP_PREFIX - nul ? n : RA_FP_PREFIX - nul;
    char *raw = xcalloc(1, nul + keep);
    memcpy(raw + nul, text, keep);
    int found = ra_ledger_find(w, raw, nul + keep, l, err);
    free(raw);
    return found;
}

static int
process_file(struct ctx *c, const char *path, struct ra_ingest_totals *t,
             struct run *run, struct ra_err *err)
{
    const struct ra_ingest_opts *o = c->o;
    int is_stdin = !strcmp(path, "-");
    struct stat st;
    struct ra_reader *r = NULL;
    struct filestate fs;
    struct ra_timectx tc = c->tzbase;
    struct ra_fileinfo fi;
    const char *prefix;
    long plen;
    char *first = NULL; /* first_line's */
    size_t firstn = 0;
    int rc = 0, found = 0, broken = 0;
    const char *given = c->given ? c->given->name : NULL;
    struct ra_err rerr = {0};
    double t0 = ra_mono_s();
    int64_t lines = 0;

    memset(&fs, 0, sizeof fs);
    memset(&fi, 0, sizeof fi);
    fs.path = is_stdin ? "(stdin)" : path;
    if (!is_stdin) {
        if (stat(path, &st) != 0) {
            note(c, "cannot open '%s'", path);
            t->failed++;
            return RA_EIO;
        }
        switch (own_file(c, path, &st)) {
        case 1: /* one note for it and its companions, in every walk */
            note(c, "'%s' is this database: skipped, with its -wal, -shm, "
                    "-journal and -claims files",
                 path);
            return 0;
        case 2:
            return 0;
        }
        if (c->source != RA_SRC_MAP &&
            ra_ledger_unchanged(c->w, path, given, (int64_t)st.st_dev,
                                (int64_t)st.st_ino, (int64_t)st.st_size,
                                (int64_t)st.st_mtime)) {
            note(c, "'%s': unchanged since it was read; nothing new", path);
            t->skipped_files++;
            return 0;
        }
        struct tm tm;
        time_t mt = st.st_mtime;
        if (gmtime_r(&mt, &tm)) {
            tc.mtime_year = tm.tm_year + 1900;
            tc.ref_month = tm.tm_mon + 1;
        }
    }
    if (ra_reader_open(&r, path, o->max_line, err) != 0) {
        note(c, "%s", err->msg);
        t->failed++;
        return RA_EIO;
    }
    plen = ra_reader_peek(r, RA_FP_PREFIX, &prefix, err);
    if (plen == 0 && !is_stdin) {
        /* Nothing to read (an empty file, or a stream broken at once). */
        struct ra_line l0;
        struct ra_err e0 = {0};
        if (ra_reader_next(r, &l0, &e0) < 0) {
            note(c, "%s", e0.msg);
            t->failed++;
            rc = RA_EIO;
        } else {
            note(c, ra_reader_tell(r) ? "'%s' holds only NUL bytes; nothing "
                                        "to read"
                                      : "'%s' is empty; nothing to read",
                 fs.path);
            t->skipped_files++;
        }
        goto out;
    }
    fs.is_plain = !is_stdin && !ra_reader_is_gzip(r) && S_ISREG(st.st_mode);

    if (!is_stdin) {
        /* Lookup and claim are one step: hold the write lock from here. */
        if (ra_writer_lock(c->w, err)) {
            rc = RA_EDB;
            goto out;
        }
        found = ra_ledger_find(c->w, prefix, (size_t)plen, &fs.l, err);
        if (!found && ra_reader_tell(r)) /* peek skipped a hole */
            found = find_by_hole(c->w, ra_reader_tell(r), prefix,
                                 (size_t)plen, &fs.l, err);
        if (found < 0) {
            rc = RA_EDB;
            goto out;
        }
    }
    /* The format: given, known from the ledger, or detected. */
    if (given) {
        fs.f = c->given;
    } else if (found) {
        fs.f = ra_formats_find(c->fmts, c->nfmts, fs.l.format);
    }
    if (!fs.f) {
        struct ra_err derr = {0};
        fs.f = detect(c, fs.path, prefix, (size_t)plen, &derr);
        if (!fs.f) {
            note(c, "%s", derr.msg);
            t->failed++;
            rc = RA_EIO;
            goto out;
        }
        note(c, "'%s': format %s (detected)", fs.path, fs.f->name);
    }
    if (found && fs.f->source == RA_SRC_MAP) {
        /* A map is loaded whole each time, under its ledger row: its
         * rejects are those of its last load. Content read before as
         * events gets a row of its own. */
        const struct ra_format *was =
            ra_formats_find(c->fmts, c->nfmts, fs.l.format);
        found = was && was->source == RA_SRC_MAP;
    }
    fi.path = path;
    fi.format = fs.f->name;
    fi.source = fs.f->source;
    fi.gzip = ra_reader_is_gzip(r);
    fi.prefix = prefix;
    fi.plen = (size_t)plen;
    if (!is_stdin) {
        fi.dev = (int64_t)st.st_dev;
        fi.inode = (int64_t)st.st_ino;
        fi.size = (int64_t)st.st_size;
        fi.mtime = (int64_t)st.st_mtime;
    }
    if (!found)
        memset(&fs.l, 0, sizeof fs.l);
    if ((rc = ra_writer_begin_file(c->w, is_stdin ? NULL : &fi, &fs.l,
                                   err))) {
        if (rc == RA_EBUSY) {
            note(c, "%s", err->msg);
            t->skipped_files++;
            rc = 0;
        }
        goto out;
    }
    if (fs.f->source == RA_SRC_MAP && ra_writer_clear_map(c->w, err)) {
        rc = RA_EDB;
        goto out;
    }
    /* `engine csv json`: the file's first non-blank line decides, for the
     * reader's parser and every worker's alike; JSON lines are stateless
     * and get every worker. A CSV read on from where a run stopped has
     * that line, its header, parsed first: it names the columns. (Taken
     * before the skip refills the buffer prefix is in.) */
    if (fs.f->json_too || (fs.f->engine == RA_ENG_CSV && found))
        first = first_line(prefix, (size_t)plen, &firstn);
    if (found) {
        int map = fs.f->source == RA_SRC_MAP;
        int anew = ra_writer_resume(c->w, &fs.l, fs.f->name, map, err);
        if (anew < 0) {
            rc = RA_EDB;
            goto out;
        }
        if (anew && !map)
            note(c, "'%s': read before as %s, no line of it taken; read again "
                    "as %s",
                 fs.path, fs.l.format, fs.f->name);
        if (ra_reader_skip(r, (uint64_t)fs.l.offset, &rerr) != 0) {
            note(c, "%s", rerr.msg);
            broken = 1;
        } else if (fs.l.offset) {
            note(c, "'%s': known as '%s', resuming at line %lld", fs.path,
                 fs.l.path, (long long)fs.l.line_no + 1);
        }
    }
    fs.ps = ra_parser_new(fs.f, &tc);
    /* The fields this format can fill: the parsers encode those, and the
     * writer's insert names only their columns. */
    fs.nfields = record_fields(fs.f, fs.fields);
    if ((rc = ra_writer_fields(c->w, fs.f->source, fs.fields, fs.nfields,
                               err)))
        goto out;
    fs.width = ra_writer_width(c->w, fs.f->source);
    fs.dict = ra_writer_dict_columns(c->w, fs.f->source);
    fs.ids = ra_writer_shared(c->w);
    for (int k = 0; k < fs.nfields; k++)
        if (fs.dict[2 + k])
            fs.dict_fields |= (uint64_t)1 << fs.fields[k];

    /* Read on one thread and parse on RA_WORKERS (one for CSV, whose
     * header names the columns of the lines after it) while this one
     * writes. */
    struct queue q;
    struct batch slots[RA_SLOTS];
    struct worker wk[RA_WORKERS];
    struct reader rd;
    pthread_t th;
    int csv = first ? ra_parser_csv_framing(fs.ps, first, firstn)
                    : fs.f->engine == RA_ENG_CSV;
    int header = csv && first && fs.l.offset > 0 && !fs.f->ncolumns;
    int nwk = csv ? 1 : RA_WORKERS, started = 0;
    int nrun = 0; /* parser threads started */
    memset(&q, 0, sizeof q);
    memset(slots, 0, sizeof slots);
    memset(wk, 0, sizeof wk);
    memset(&rd, 0, sizeof rd);
    pthread_mutex_init(&q.mu, NULL);
    pthread_cond_init(&q.freed, NULL);
    pthread_cond_init(&q.queued, NULL);
    pthread_cond_init(&q.parsed, NULL);
    for (int i = 0; i < RA_SLOTS; i++)
        q.free_[q.nfree++] = &slots[i];
    rd.c = c;
    rd.fs = &fs;
    rd.r = r;
    rd.q = &q;
    rd.line_no = fs.l.line_no;
    rd.offset = fs.l.offset;
    rd.size_read = fs.l.size_read > fs.l.offset ? fs.l.offset
                                                : fs.l.size_read;
    int dberr = 0, shown = 0;
    /* seconds between two progress lines; 0: after every batch, as the
     * tests want (git's GIT_PROGRESS_DELAY) */
    double every = ra_env_number("RELAYAUDIT_PROGRESS_SECONDS", 0, 3600, 1);
    run_begin(run, ra_reader_is_gzip(r), fs.l.offset);
    double wcpu = ra_clock_s(CLOCK_THREAD_CPUTIME_ID);
    double wwait = 0;
    for (int i = 0; i < nwk; i++) {
        wk[i].c = c;
        wk[i].fs = &fs;
        wk[i].q = &q;
        wk[i].tc = tc;
        wk[i].first = first;
        wk[i].firstn = firstn;
        wk[i].header = header;
    }
    if (pthread_create(&th, NULL, read_stream, &rd) != 0) {
        rc = ra_err_set(err, RA_EIO, "cannot start a thread");
        goto threads_out;
    }
    started = 1;
    for (; nrun < nwk; nrun++)
        if (pthread_create(&wk[nrun].th, NULL, parse_slots, &wk[nrun]) != 0) {
            rc = ra_err_set(err, RA_EIO, "cannot start a thread");
            queue_stop(&q);
            goto threads_out;
        }
    for (uint64_t next = 0;; next++) {
        double w0 = ra_mono_s();
        struct batch *b = take_done(&q, next);
        wwait += ra_mono_s() - w0;
        int last = b->last;
        if (!dberr && apply_batch(c, &fs, b, err))
            dberr = 1;
        if (b->unread_tail)
            note(c, "'%s': last line has no newline and does not parse yet; "
                    "left for the next run",
                 fs.path);
        if (last) {
            broken = b->broken;
            if (broken) {
                snprintf(rerr.msg, sizeof rerr.msg, "%s", b->errmsg);
                note(c, "%s", rerr.msg);
            }
        }
        give_back(&q, b, dberr);
        if (last || dberr)
            break;
        if (ra_writer_pending(c->w) >= RA_BATCH &&
            fs.f->source != RA_SRC_MAP &&
            ra_writer_commit(c->w, &fs.l, NULL, 1, err)) {
            dberr = 1;
            queue_stop(&q);
            break;
        }
        if (o->progress && ra_mono_s() - run->shown >= every) {
            double el = ra_mono_s() - t0;
            int64_t nl = __atomic_load_n(&rd.lines, __ATOMIC_RELAXED);
            run->shown = ra_mono_s();
            char eta[48] = "", all[64] = "";
            /* An ETA where the total is known: plain files by the bytes
             * stored, .gz files by the compressed bytes read. */
            uint64_t zpos = __atomic_load_n(&rd.zpos, __ATOMIC_RELAXED);
            double done = fs.is_plain ? (double)fs.l.offset : (double)zpos,
                   size = (double)fi.size;
            if ((fs.is_plain || ra_reader_is_gzip(r)) && done > 0 &&
                size > done)
                snprintf(eta, sizeof eta, ", ETA %.0f s",
                         el * (size - done) / done);
            if (run->nfiles > 1)
                run_note(run, all, sizeof all, size > done ? size - done : 0,
                         fs.l.offset, (int64_t)zpos);
            fprintf(stderr, "\rrelayaudit: '%s': %lld lines, %.1f MB, "
                            "%.0f lines/s%s%s   ",
                    fs.path, (long long)nl, (double)fs.l.offset / 1e6,
                    (double)nl / el, eta, all);
            shown = 1;
        }
    }
threads_out:
    if (started)
        pthread_join(th, NULL);
    double pcpu = 0;
    for (int i = 0; i < nrun; i++) {
        pthread_join(wk[i].th, NULL);
        pcpu += wk[i].cpu;
    }
    run_end(run, fs.l.offset, (int64_t)rd.zpos);
    for (int i = 0; i < nwk; i++) {
        if (wk[i].tc.used_year)
            tc.used_year = wk[i].tc.used_year;
        ra_parser_free(wk[i].p);
    }
    if (getenv("RELAYAUDIT_TIMINGS"))
        fprintf(stderr, "relayaudit: '%s': reader %.2f s CPU, %d parser(s) "
                        "%.2f s CPU, writer %.2f s CPU (waited %.2f s), wall "
                        "%.2f s\n",
                fs.path, rd.cpu, nwk, pcpu,
                ra_clock_s(CLOCK_THREAD_CPUTIME_ID) - wcpu, wwait,
                ra_mono_s() - t0);
    pthread_mutex_destroy(&q.mu);
    pthread_cond_destroy(&q.freed);
    pthread_cond_destroy(&q.queued);
    pthread_cond_destroy(&q.parsed);
    for (int i = 0; i < RA_SLOTS; i++) {
        ra_buf_release(&slots[i].raw);
        ra_buf_release(&slots[i].rows);
        ra_buf_release(&slots[i].text);
        ra_buf_release(&slots[i].rej);
    }
    if (rc)
        goto out;
    if (shown)
        fputs("\r\033[K", stderr);
    lines = rd.lines;
    if (dberr) {
        rc = RA_EDB;
        goto out;
    }
    fs.l.complete = !broken;
    if (ra_writer_commit(c->w, &fs.l, broken ? rerr.msg : NULL, 0, err)) {
        rc = RA_EDB;
        goto out;
    }
    if (broken) {
        t->failed++;
        rc = RA_EIO;
    }
    {
        double dt = ra_mono_s() - t0;
        char year[64] = "";
        if (tc.used_year && !o->year)
            snprintf(year, sizeof year, ", year %d from the file's mtime",
                     tc.used_year);
        else if (tc.used_year)
            snprintf(year, sizeof year, ", year %d", tc.used_year);
        if (fs.shown > RA_SHOW_REJECTS)
            note(c, "%s: %lld more rejected lines not shown", fs.path,
                 (long long)(fs.shown - RA_SHOW_REJECTS));
        uint64_t hole_at, holes = ra_reader_holes(r, &hole_at);
        if (holes)
            note(c, "'%s': %llu NUL bytes skipped, from offset %llu (a hole: "
                    "the file was truncated under a writer that went on at "
                    "its old offset, as with copytruncate)",
                 fs.path, (unsigned long long)holes,
                 (unsigned long long)hole_at);
        note(c,
             "'%s': %s, %lld records, %lld rejected, %lld skipped, %.2f s "
             "(%.0f lines/s)%s%s",
             fs.path, fs.f->name, (long long)fs.new_records,
             (long long)fs.new_rejected, (long long)fs.new_skipped, dt,
             dt > 0 ? (double)lines / dt : 0.0, year,
             broken ? ", INCOMPLETE" : "");
    }
    t->files++;
    t->records += fs.new_records;
    t->rejected += fs.new_rejected;
    t->skipped += fs.new_skipped;
    if (given && fs.l.records == 0 && fs.new_rejected > 0 && rc == 0) {
        note(c, "'%s' is not in format %s: %lld lines rejected, none read",
             fs.path, fs.f->name, (long long)fs.new_rejected);
        t->failed++;
        rc = RA_EIO;
    }

out:
    ra_writer_rollback(c->w); /* a no-op unless something was left open */
    ra_parser_free(fs.ps);
    ra_reader_close(r);
    free(first);
    return rc;
}

/* --username-rule: every proxy format applies these rules too. */
static int
opt_in_username_rules(struct ctx *c, const char *list, struct ra_err *err)
{
    char *names = xstrdup(list), *save = NULL;
    int rc = 0;
    for (char *s = strtok_r(names, ", ", &save); s && !rc;
         s = strtok_r(NULL, ", ", &save)) {
        struct ra_buf known = RA_BUF_INIT;
        if (!ra_username_rule_known(c->norm, s, &known))
            rc = ra_err_set(err, RA_EUSAGE, "unknown username rule '%s' (%s)",
                            s, known.data);
        ra_buf_release(&known);
        for (size_t i = 0; !rc && i < c->nfmts; i++)
            if (c->fmts[i]->source == RA_SRC_PROXY)
                ra_format_add_username_rule(c->fmts[i], s);
    }
    free(names);
    return rc;
}

/* What every file's reading needs from the options, checked before any
 * is read: the zone, the formats and the one named, the username rules.
 * 0 or the error; c's parts are freed by teardown either way. */
static int
setup(struct ctx *c, const struct ra_ingest_opts *o, struct ra_err *err)
{
    memset(c, 0, sizeof *c);
    c->o = o;
    c->tzbase.year = o->year;
    if (ra_tz_parse(o->tz, &c->tzbase) != 0)
        return ra_err_set(err, RA_EUSAGE, "unknown time zone '%s'", o->tz);
    if (ra_formats_load_all(&c->fmts, &c->nfmts, o->formats_dir, err))
        return RA_ECONFIG;
    if (o->format && strcmp(o->format, "auto")) {
        struct ra_format *f = ra_formats_find(c->fmts, c->nfmts, o->format);
        if (!f)
            return ra_err_set(err, RA_EUSAGE, "unknown format '%s' (see "
                                              "'relayaudit formats')",
                              o->format);
        if (o->source && f->source != o->source)
            return ra_err_set(err, RA_EUSAGE, "format %s is a %s format, "
                                              "not %s",
                              f->name, ra_source_name(f->source),
                              ra_source_name((enum ra_source)o->source));
        c->given = f;
    }
    c->source = c->given ? c->given->source : o->source;
    if (!(c->norm = ra_norm_load(err)))
        return RA_ECONFIG;
    if (o->username_rules)
        return opt_in_username_rules(c, o->username_rules, err);
    return 0;
}

static void
teardown(struct ctx *c)
{
    ra_writer_close(c->w);
    ra_norm_free(c->norm);
    ra_formats_free(c->fmts, c->nfmts);
}

int
ra_ingest_options_ok(const struct ra_ingest_opts *o, struct ra_err *err)
{
    struct ctx c;
    int rc = setup(&c, o, err);
    teardown(&c);
    return rc;
}

int
ra_ingest_run(const struct ra_ingest_opts *o, char *const *paths,
              size_t npaths, struct ra_ingest_totals *t, struct ra_err *err)
{
    struct ctx c;
    struct ra_walk w;
    int rc;

    memset(t, 0, sizeof *t);
    if ((rc = setup(&c, o, err)))
        goto out;
    if (!(c.w = ra_writer_open(o->db_path, err)) ||
        stat(o->db_path, &c.db) != 0) {
        rc = RA_EDB;
        goto out;
    }
    ra_walk_paths(&w, paths, npaths);
    for (size_t i = 0; i < w.nwarn; i++)
        note(&c, "%s", w.warnings[i]);
    struct run run = {.nfiles = w.n, .shown = ra_mono_s()};
    int64_t *size = xcalloc(w.n ? w.n : 1, sizeof *size);
    int *gz = xcalloc(w.n ? w.n : 1, sizeof *gz);
    for (size_t i = 0; i < w.n && o->progress && w.n > 1; i++) {
        if (!w.items[i].error && strcmp(w.items[i].path, "-"))
            size[i] = ra_reader_probe(w.items[i].path, &gz[i]);
        run.ahead[gz[i]] += size[i];
    }
    for (size_t i = 0; i < w.n && rc != RA_EDB; i++) {
        run.at = i + 1;
        run.ahead[gz[i]] -= size[i];
        if (w.items[i].error) {
            note(&c, "%s", w.items[i].error);
            t->failed++;
            rc = RA_EIO;
        } else {
            int frc = process_file(&c, w.items[i].path, t, &run, err);
            if (frc == RA_EDB)
                rc = RA_EDB;
            else if (frc)
                rc = RA_EIO;
        }
    }
    free(size);
    free(gz);
    ra_walk_release(&w);
out:
    teardown(&c);
    return rc;
}

int
ra_ingest_preview(struct ra_format *f, const char *header, const char *line,
                  struct ra_buf *out, struct ra_err *err)
{
    struct ctx c;
    struct ra_ingest_opts o = {0};
    struct record r;
    const char *reason = "does not parse";
    int rc = -1;

    memset(&c, 0, sizeof c);
    c.o = &o;
    ra_tz_parse(NULL, &c.tzbase);
    c.tzbase.year = 2026;
    if (!(c.norm = ra_norm_load(err)))
        return -1;
    struct ra_parser *p = ra_parser_new(f, &c.tzbase);
    if (header)
        (void)ra_parser_parse(p, header, strlen(header), &reason);
    enum ra_parse_rc prc = ra_parser_parse(p, line, strlen(line), &reason);
    if (prc == RA_SKIP) {
        ra_buf_adds(out, "(a known non-record line: skipped)\n");
        rc = 0;
    } else if (prc == RA_REC && build_record(&c, p, f, 0, &r, &reason) == 0) {
        for (int i = 0; i < RA_F_COUNT; i++) {
            const struct ra_out *v = &r.out[i];
            if (!(ra_field_info[i].sources & f->source) || v->t == RA_O_NULL)
                continue;
            ra_buf_addf(out, "  %-15s ", ra_field_info[i].name);
            if (v->t == RA_O_INT && ra_field_info[i].type == RA_T_TS) {
                char ts[40];
                ra_format_ts(v->i, ts, sizeof ts);
                ra_buf_addf(out, "%s (%lld)", ts, (long long)v->i);
            } else if (v->t == RA_O_INT) {
                ra_buf_addf(out, "%lld", (long long)v->i);
            } else if (v->t == RA_O_REAL) {
                ra_buf_addf(out, "%g", v->d);
            } else {
                ra_buf_add(out, v->s, v->n);
            }
            ra_buf_addc(out, '\n');
        }
        for (int k = 0; k < 2; k++) /* texts: no ids here */
            if (r.fp[k].t == RA_O_TEXT)
                ra_buf_addf(out, "  %-15s %s\n",
                            k ? "hdr_out_fp" : "hdr_in_fp", r.fp_text[k]);
        rc = 0;
    } else {
        ra_buf_addf(out, "  rejected: %s\n", reason);
    }
    ra_parser_free(p);
    ra_norm_free(c.norm);
    return rc;
}

/* formats --check: counts, and the first failing records. */
struct check {
    struct ctx *c;
    struct ra_parser *p;
    struct ra_format *f;
    struct ra_buf *out;
    int64_t lines, recs, rejs, skips, shown;
};

/* One record from line_no on; reason, when given, rejects it unparsed. */
static void
check_one(struct check *k, int64_t line_no, const char *s, size_t n,
          const char *reason)
{
    enum ra_parse_rc prc = RA_REJECT;
    struct record rr;

    if (!reason) {
        reason = "does not parse";
        prc = ra_parser_parse(k->p, s, n, &reason);
    }
    if (prc == RA_SKIP) {
        k->skips++;
    } else if (prc == RA_REC &&
               build_record(k->c, k->p, k->f, 0, &rr, &reason) == 0) {
        k->recs++;
    } else if (prc != RA_HEADER) {
        k->rejs++;
        if (k->shown++ < 5) {
            size_t rn;
            const char *red =
                ra_redact(k->c->norm, ra_parser_arena(k->p), s, n, &rn);
            ra_buf_addf(k->out, "  line %lld: %s\n    %.*s%s\n",
                        (long long)line_no, reason,
                        (int)utf8_cut(red, rn, 160), red,
                        rn > 160 ? "..." : "");
        }
    }
}

int
ra_ingest_check(struct ra_format *f, const char *path, const char *tz,
                int year, struct ra_buf *out, struct ra_err *err)
{
    struct ctx c;
    struct ra_ingest_opts o = {0};
    struct ra_reader *r = NULL;
    struct ra_parser *p = NULL;
    struct ra_framer fr;
    struct ra_lines fm;
    struct check k = {&c, NULL, f, out, 0, 0, 0, 0, 0};
    int got, rc = 0;

    memset(&c, 0, sizeof c);
    c.o = &o;
    c.tzbase.year = year;
    if (ra_tz_parse(tz, &c.tzbase) != 0)
        return ra_err_set(err, RA_EUSAGE, "unknown time zone '%s'", tz);
    if (!(c.norm = ra_norm_load(err)))
        return RA_ECONFIG;
    if (ra_reader_open(&r, path, 1u << 20, err) != 0) {
        ra_norm_free(c.norm);
        return RA_EIO;
    }
    k.p = p = ra_parser_new(f, &c.tzbase);
    ra_framer_init(&fr, r, p, 1u << 20, 0);
    while ((got = ra_framer_next(&fr, &fm, err)) == 1) {
        int64_t first = k.lines + 1;
        k.lines += fm.nlines;
        check_one(&k, first, fm.p, fm.n,
                  fm.damaged                ? "cut off by the damage"
                  : fm.too_long             ? "too_long"
                  : fm.kind == RA_LINES_UNCLOSED   ? "unclosed quote"
                                            : NULL);
        if (fm.broken) {
            got = -1;
            break;
        }
    }
    if (got < 0)
        rc = RA_EIO;
    {
        struct ra_buf head = RA_BUF_INIT;
        ra_buf_addf(&head, "%s on '%s': %lld lines, %lld records, %lld "
                           "rejected, %lld skipped: match rate %.1f%%\n",
                    f->name, path, (long long)k.lines, (long long)k.recs,
                    (long long)k.rejs, (long long)k.skips,
                    k.recs + k.rejs
                        ? 100.0 * (double)k.recs / (double)(k.recs + k.rejs)
                        : 0.0);
        if (k.rejs)
            ra_buf_adds(&head, "first failing lines:\n");
        ra_buf_add(&head, out->data ? out->data : "", out->len);
        ra_buf_reset(out);
        ra_buf_add(out, head.data, head.len);
        ra_buf_release(&head);
    }
    ra_framer_free(&fr);
    ra_parser_free(p);
    ra_reader_close(r);
    ra_norm_free(c.norm);
    return rc;
}
