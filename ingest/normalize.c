/* normalize.c -- secrets, headers and proxy usernames, driven by the rules
 * in schemas/ (redact.rules, headers.conf, usernames.rules).
 *
 * Invariant: no text leaves this module with a secret in it. Redaction runs
 * before any truncation, so a cut can never expose half a key.
 */
#include "common/json.h"
#include "ingest/normalize.h"

#include "ingest/regex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct redact_rule {
    char *hint; /* a literal (any case) the text must hold for the rule */
    size_t hintlen;
    pcre2_code *re;
    int secret_group; /* replace only this group, or the match if < 0 */
};

struct uname_rule {
    char *name;
    int optin, qualify;
    pcre2_code *re;
    int g_session, g_country, g_user;
    char *session_key;
    char **country_keys;
    size_t ncountry;
};

struct strlist {
    char **v;
    size_t *len;
    size_t n;
};

/* The lists of headers.conf that name a header. */
enum { H_VOLATILE = 1, H_VARIANT = 2, H_CREDENTIAL = 4 };

/* A header name that headers.conf's lists name (open addressing). */
struct hname {
    uint64_t h; /* 0: empty */
    const char *name;
    size_t len;
    unsigned flags;
};

struct ra_norm {
    struct redact_rule *redact;
    size_t nredact;
    uint32_t hint_first[256]; /* rules whose hint starts with this byte */
    uint32_t hint_next[256];  /* ... whose hint goes on with it (or ends) */
    uint32_t hint_one;        /* rules whose hint is one byte */
    struct strlist volatile_h, variant_h, identity_h, credential_h;
    struct uname_rule *uname;
    size_t nuname;
    uint64_t serial; /* which load: the threads' memos are keyed by it */
    struct hname *hnames; /* the named headers' flags, by lower-case name */
    size_t hmask;
};

/* Match data is per thread: the rules are shared by the parser threads. */
static _Thread_local pcre2_match_data *tl_md;
/* The headers' stored form and fingerprint text are built here, then copied
 * to the record's arena: one buffer per thread, grown once. */
static _Thread_local struct ra_buf tl_hdr_buf;
/* What ra_headers_normalize made of a list of headers it saw before: the
 * stored form, the fingerprint and the user agent, one value (struct
 * hdrs_made, then the texts). Lists repeat (a client sends the same
 * headers each time), and a repeat costs a third of making them again
 * (callgrind, relayaudit-jsonl lines). The key is what the making reads:
 * the lower-case names, a credential's scheme word and the values read
 * (variant headers, the user agent, authorization): other values, such as
 * a request id, neither keep a list from being a repeat nor reach the
 * key, and a credential's secret never does. */
struct hdrs_made {
    uint32_t jlen, ualen; /* ualen + 1: 0 is no user agent */
    char fp[17];
    char text[]; /* the stored form, then the user agent */
};
#define HDRS_VSIZE 1024
static _Thread_local struct ra_memo tl_hdrs = {1024, 768, HDRS_VSIZE, NULL,
                                               NULL};
/* The same, keyed by the list's JSON text as the line wrote it (when the
 * value comes with it: a member of a JSON line, or JSON text), looked up
 * before the list is walked: a client that sends the same headers each
 * time writes the same text, and a hit skips the walk and its key
 * (callgrind, relayaudit-jsonl lines: 1,280 -> 365 instructions a list).
 * Its keys hold a credential's value too, in memory only, as the line
 * does; a list with a value that changes each time (a request id) misses
 * here and is found in tl_hdrs. */
static _Thread_local struct ra_memo tl_hdrs_raw = {1024, 768, HDRS_VSIZE,
                                                   NULL, NULL};
static _Thread_local struct ra_buf tl_hdr_key;
/* What the rules made of the usernames a thread saw last
 * (ra_username_parse), and the clean texts it scanned last (ra_redact):
 * both keyed by the rules' load (ra_norm's serial). */
static _Thread_local struct ra_memo tl_umemo; /* defined with the rules */
static _Thread_local struct ra_memo tl_clean = {4096, 120, 0, NULL, NULL};

static pcre2_match_data *
match_data(void)
{
    if (!tl_md)
        tl_md = pcre2_match_data_create(32, NULL);
    if (!tl_md)
        ra_oom();
    return tl_md;
}

void
ra_norm_thread_done(void)
{
    pcre2_match_data_free(tl_md);
    tl_md = NULL;
    ra_buf_release(&tl_hdr_buf);
    ra_buf_release(&tl_hdr_key);
    ra_memo_free(&tl_hdrs);
    ra_memo_free(&tl_hdrs_raw);
    ra_memo_free(&tl_umemo);
    ra_memo_free(&tl_clean);
    ra_sha256_memo_free();
}

static void
strlist_push(struct strlist *l, const char *s)
{
    l->v = xrealloc(l->v, (l->n + 1) * sizeof *l->v);
    l->len = xrealloc(l->len, (l->n + 1) * sizeof *l->len);
    size_t n = strlen(s);
    char *v = xmalloc(n + 1);
    for (size_t k = 0; k <= n; k++) /* header names: in lower case */
        v[k] = (char)(s[k] >= 'A' && s[k] <= 'Z' ? s[k] + 32 : s[k]);
    l->len[l->n] = n;
    l->v[l->n++] = v;
}

static void
strlist_free(struct strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    free(l->len);
}

struct each {
    struct ra_norm *n;
    int (*fn)(struct ra_norm *, char *, char *, struct ra_err *);
    struct ra_err *err;
    const char *path;
};

static int
each_cb(void *ctx, int lineno, char *key, char *val)
{
    struct each *e = ctx;
    ra_rtrim(val);
    int rc = e->fn(e->n, key, val, e->err);
    if (rc) {
        char msg[sizeof e->err->msg];
        snprintf(msg, sizeof msg, "%s", e->err->msg);
        ra_err_set(e->err, RA_ECONFIG, "%s:%d: %s", e->path, lineno, msg);
    }
    return rc;
}

/* Calls fn(n, key, rest) for each line of the rules file schemas/<file>. */
static int
each_line(const char *file, int (*fn)(struct ra_norm *, char *, char *,
                                      struct ra_err *),
          struct ra_norm *n, struct ra_err *err)
{
    struct ra_buf path = RA_BUF_INIT;
    ra_buf_addf(&path, "%s/schemas/%s", ra_datadir(), file);
    char *text = ra_read_small_file(path.data, NULL, err);
    int rc = RA_ECONFIG;
    if (text) {
        struct each e = {n, fn, err, path.data};
        rc = ra_config_lines(text, each_cb, &e);
    }
    free(text);
    ra_buf_release(&path);
    return rc;
}

static int
on_redact(struct ra_norm *n, char *key, char *rest, struct ra_err *err)
{
    if (strcmp(key, "redact"))
        return ra_err_set(err, RA_ECONFIG, "expected 'redact HINT REGEX'");
    char *re = rest;
    while (*re && *re != ' ' && *re != '\t')
        re++;
    if (!*re)
        return ra_err_set(err, RA_ECONFIG, "expected 'redact HINT REGEX'");
    *re++ = '\0';
    while (*re == ' ' || *re == '\t')
        re++;
    struct redact_rule r = {0};
    r.re = ra_re_compile(re, RA_RE_NUL, err);
    if (!r.re)
        return RA_ECONFIG;
    if (n->nredact >= 32)
        return ra_err_set(err, RA_ECONFIG, "at most 32 redact rules");
    r.hint = xstrdup(rest);
    r.hintlen = strlen(rest);
    for (char *c = r.hint; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c + 32);
    uint32_t bit = 1u << n->nredact;
    unsigned char f0 = (unsigned char)r.hint[0], f1 = (unsigned char)r.hint[1];
    n->hint_first[f0] |= bit;
    if (f0 >= 'a' && f0 <= 'z')
        n->hint_first[f0 - 32] |= bit;
    if (r.hintlen == 1) {
        n->hint_one |= bit;
        for (size_t c = 0; c < 256; c++)
            n->hint_next[c] |= bit;
    } else {
        n->hint_next[f1] |= bit;
        if (f1 >= 'a' && f1 <= 'z')
            n->hint_next[f1 - 32] |= bit;
    }
    r.secret_group =
        pcre2_substring_number_from_name(r.re, (PCRE2_SPTR) "secret");
    n->redact = xrealloc(n->redact, (n->nredact + 1) * sizeof *n->redact);
    n->redact[n->nredact++] = r;
    return 0;
}

static int
on_headers(struct ra_norm *n, char *key, char *rest, struct ra_err *err)
{
    struct strlist *l = !strcmp(key, "volatile")     ? &n->volatile_h
                        : !strcmp(key, "variant")    ? &n->variant_h
                        : !strcmp(key, "identity")   ? &n->identity_h
                        : !strcmp(key, "credential") ? &n->credential_h
                                                     : NULL;
    if (!l)
        return ra_err_set(err, RA_ECONFIG, "unknown list '%s'", key);
    for (char *s = strtok(rest, " \t,"); s; s = strtok(NULL, " \t,"))
        strlist_push(l, s);
    return 0;
}

static int
on_uname(struct ra_norm *n, char *key, char *rest, struct ra_err *err)
{
    struct uname_rule r = {0};
    if (strcmp(key, "rule"))
        return ra_err_set(err, RA_ECONFIG, "expected 'rule NAME ...'");
    if (n->nuname >= 64)
        return ra_err_set(err, RA_ECONFIG, "at most 64 username rules");
    for (char *s = strtok(rest, " \t"); s; s = strtok(NULL, " \t")) {
        if (!r.name)
            r.name = xstrdup(s);
        else if (!strcmp(s, "optin"))
            r.optin = 1;
        else if (!strcmp(s, "qualify"))
            r.qualify = 1;
        else if (!strncmp(s, "match=", 6)) {
            if (!(r.re = ra_re_compile(s + 6, RA_RE_NUL, err)))
                goto fail;
        } else if (!strncmp(s, "session=", 8))
            r.session_key = xstrdup(s + 8);
        else if (!strncmp(s, "country=", 8)) {
            for (char *c = s + 8; c;) {
                char *comma = strchr(c, ',');
                if (comma)
                    *comma = '\0';
                r.country_keys = xrealloc(r.country_keys,
                                          (r.ncountry + 1) * sizeof(char *));
                r.country_keys[r.ncountry++] = xstrdup(c);
                c = comma ? comma + 1 : NULL;
            }
        } else {
            ra_err_set(err, RA_ECONFIG, "unknown rule option '%s'", s);
            goto fail;
        }
    }
    if (!r.name || !r.re) {
        ra_err_set(err, RA_ECONFIG, "a rule needs a name and match=");
        goto fail;
    }
    r.g_session = pcre2_substring_number_from_name(r.re, (PCRE2_SPTR) "session");
    r.g_country = pcre2_substring_number_from_name(r.re, (PCRE2_SPTR) "country");
    r.g_user = pcre2_substring_number_from_name(r.re, (PCRE2_SPTR) "user");
    n->uname = xrealloc(n->uname, (n->nuname + 1) * sizeof *n->uname);
    n->uname[n->nuname++] = r;
    return 0;

fail:
    free(r.name);
    free(r.session_key);
    for (size_t i = 0; i < r.ncountry; i++)
        free(r.country_keys[i]);
    free(r.country_keys);
    pcre2_code_free(r.re);
    return RA_ECONFIG;
}

/* The slot of the header called name[0..len) (lower case) in hnames, or
 * the empty slot where it would go. */
static struct hname *
hname_slot(const struct ra_norm *n, const char *name, size_t len)
{
    uint64_t h = ra_hash64(name, len);
    size_t i = h & n->hmask;
    while (n->hnames[i].h && !(n->hnames[i].h == h &&
                               n->hnames[i].len == len &&
                               !memcmp(n->hnames[i].name, name, len)))
        i = (i + 1) & n->hmask;
    return &n->hnames[i];
}

/* hnames from the volatile, variant and credential lists, once loaded. */
static void
hnames_build(struct ra_norm *n)
{
    const struct strlist *lists[] = {&n->volatile_h, &n->variant_h,
                                     &n->credential_h};
    const unsigned flags[] = {H_VOLATILE, H_VARIANT, H_CREDENTIAL};
    size_t total = 0, size = 16;
    for (size_t l = 0; l < 3; l++)
        total += lists[l]->n;
    while (size < 2 * total)
        size *= 2;
    n->hnames = xcalloc(size, sizeof *n->hnames);
    n->hmask = size - 1;
    for (size_t l = 0; l < 3; l++)
        for (size_t k = 0; k < lists[l]->n; k++) {
            char *name = lists[l]->v[k]; /* lower-cased by strlist_push */
            size_t len = lists[l]->len[k];
            struct hname *e = hname_slot(n, name, len);
            e->h = ra_hash64(name, len);
            e->name = name;
            e->len = len;
            e->flags |= flags[l];
        }
}

struct ra_norm *
ra_norm_load(struct ra_err *err)
{
    static _Atomic uint64_t loads;
    struct ra_norm *n = xcalloc_lines(sizeof *n); /* read by every parser */
    n->serial = ++loads;
    if (each_line("redact.rules", on_redact, n, err) ||
        each_line("headers.conf", on_headers, n, err) ||
        each_line("usernames.rules", on_uname, n, err)) {
        ra_norm_free(n);
        return NULL;
    }
    hnames_build(n);
    return n;
}

void
ra_norm_free(struct ra_norm *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->nredact; i++) {
        free(n->redact[i].hint);
        pcre2_code_free(n->redact[i].re);
    }
    free(n->redact);
    for (size_t i = 0; i < n->nuname; i++) {
        struct uname_rule *r = &n->uname[i];
        free(r->name);
        free(r->session_key);
        for (size_t k = 0; k < r->ncountry; k++)
            free(r->country_keys[k]);
        free(r->country_keys);
        pcre2_code_free(r->re);
    }
    free(n->uname);
    strlist_free(&n->volatile_h);
    strlist_free(&n->variant_h);
    strlist_free(&n->identity_h);
    strlist_free(&n->credential_h);
    free(n->hnames);
    ra_norm_thread_done();
    free(n);
}

/* Which rules' hints occur in s (one pass over s, any case). A byte pair
 * filters the candidates: most letters start some hint, few pairs do. */
static uint32_t
hints_present(const struct ra_norm *n, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    uint32_t found = 0, all = n->nredact >= 32 ? ~0u
                                               : (1u << n->nredact) - 1;
    for (size_t i = 0; i < len; i++) {
        uint32_t m = n->hint_first[u[i]] &
                     (i + 1 < len ? n->hint_next[u[i + 1]] : n->hint_one);
        if (!(m &= ~found))
            continue;
        do {
            int r = __builtin_ctz(m);
            const struct redact_rule *rule = &n->redact[r];
            size_t k = 2;
            m &= m - 1;
            if (i + rule->hintlen > len)
                continue;
            while (k < rule->hintlen) {
                unsigned char c = u[i + k];
                if (c >= 'A' && c <= 'Z')
                    c = (unsigned char)(c + 32);
                if (c != (unsigned char)rule->hint[k])
                    break;
                k++;
            }
            if (k >= rule->hintlen) /* one-byte hints: k = 2 */
                found |= 1u << r;
        } while (m);
        if (found == all)
            break;
    }
    return found;
}

/* Most texts hold no secret and repeat (hosts, usernames, callers, user
 * agents): each thread remembers up to 4,096 clean ones of up to 120
 * bytes it scanned (tl_clean), and does not scan a repeat again (1,024
 * left about one lookup in ten a miss over 400 usernames and a few
 * hosts). Texts under 12 bytes are scanned faster than looked up
 * (callgrind, Squid lines: 10, 9 or 6 cost more, 20 too). */
#define CLEAN_MIN 12

/* ra_redact's scan: s itself when nothing was redacted. */
static const char *
redact_scan(struct ra_norm *n, struct ra_arena *a, const char *s, size_t len,
            size_t *outlen)
{
    static const char mark[] = "[redacted]";
    struct ra_buf cur = RA_BUF_INIT;
    const char *text = s;
    size_t tlen = len;
    uint32_t wanted = hints_present(n, s, len);
    pcre2_match_data *md = wanted ? match_data() : NULL;

    for (size_t r = 0; wanted && r < n->nredact; r++) {
        struct redact_rule *rule = &n->redact[r];
        if (!(wanted & (1u << r)))
            continue;
        struct ra_buf out = RA_BUF_INIT;
        size_t pos = 0;
        int changed = 0;
        while (pos <= tlen) {
            int rc = ra_re_match(rule->re, text, tlen, pos, md);
            if (rc < 0)
                break;
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
            int g = rule->secret_group > 0 && rule->secret_group < rc &&
                            ov[2 * rule->secret_group] != PCRE2_UNSET
                        ? rule->secret_group
                        : 0;
            size_t s0 = ov[2 * g], s1 = ov[2 * g + 1];
            if (s1 == s0 || (s1 - s0 == sizeof mark - 1 &&
                             !memcmp(text + s0, mark, s1 - s0))) {
                /* Empty, or already redacted: move on. */
                pos = ov[1] > pos ? ov[1] : pos + 1;
                continue;
            }
            ra_buf_add(&out, text + pos, s0 - pos);
            ra_buf_add(&out, mark, sizeof mark - 1);
            pos = s1;
            changed = 1;
            if (ov[1] > s1) {
                ra_buf_add(&out, text + s1, ov[1] - s1);
                pos = ov[1];
            }
        }
        if (!changed) {
            ra_buf_release(&out);
            continue;
        }
        if (pos < tlen)
            ra_buf_add(&out, text + pos, tlen - pos);
        ra_buf_release(&cur);
        cur = out;
        text = cur.data;
        tlen = cur.len;
    }
    if (text == s) {
        *outlen = len;
        return s;
    }
    const char *res = ra_arena_strndup(a, text, tlen);
    *outlen = tlen;
    ra_buf_release(&cur);
    return res;
}

const char *
ra_redact(struct ra_norm *n, struct ra_arena *a, const char *s, size_t len,
          size_t *outlen)
{
    uint64_t h = 0;
    if (len >= CLEAN_MIN && ra_memo_get(&tl_clean, n->serial, s, len, &h)) {
        *outlen = len;
        return s;
    }
    const char *r = redact_scan(n, a, s, len, outlen);
    if (r == s && len >= CLEAN_MIN)
        ra_memo_put(&tl_clean, n->serial, s, len, h);
    return r;
}

/* ---- headers ----------------------------------------------------------- */

/* A header as the fingerprint and the stored list see it: its name in
 * lower case, its value (a credential's scheme word only, anything else
 * redacted), and which lists of headers.conf name it, looked up once. */
struct hdr {
    const char *name;
    size_t nlen;
    const char *value; /* NULL: not a string */
    size_t vlen;
    unsigned flags;
};

/* Which lists name the header called name[0..nl) (in lower case). */
static unsigned
hdr_flags(const struct ra_norm *n, const char *name, size_t nl)
{
    return hname_slot(n, name, nl)->flags; /* an empty slot's are 0 */
}

static int
hdr_is(const struct hdr *h, const char *name, size_t nl)
{
    return h->nlen == nl && !memcmp(h->name, name, nl);
}

/* Whether h's value is kept (stored, and in the fingerprint): a variant
 * header's, unless it is a credential. */
static int
hdr_keeps_value(const struct hdr *h)
{
    return h->value && (h->flags & (H_VARIANT | H_CREDENTIAL)) == H_VARIANT;
}

static void
finish_fp(const struct hdr *h, size_t count, char fp[17],
          struct ra_buf *fpbuf)
{
    char scheme[32] = "";
    size_t kept = 0;

    ra_buf_reset(fpbuf);
    for (size_t i = 0; i < count; i++) {
        if (h[i].flags & H_VOLATILE)
            continue;
        if (kept++)
            ra_buf_addc(fpbuf, '\n');
        ra_buf_add(fpbuf, h[i].name, h[i].nlen);
    }
    ra_buf_adds(fpbuf, "\n--\n");
    kept = 0;
    for (size_t i = 0; i < count; i++) {
        if (!scheme[0] && h[i].value &&
            hdr_is(&h[i], "authorization", 13)) {
            size_t k = 0;
            while (k < h[i].vlen && k < sizeof scheme - 1 &&
                   h[i].value[k] != ' ') {
                char c = h[i].value[k];
                scheme[k++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
            }
            scheme[k] = '\0';
        } else if (!scheme[0] && hdr_is(&h[i], "x-api-key", 9)) {
            strcpy(scheme, "x-api-key");
        }
        if (!hdr_keeps_value(&h[i]))
            continue;
        if (kept++)
            ra_buf_addc(fpbuf, '\n');
        ra_buf_add(fpbuf, h[i].name, h[i].nlen);
        ra_buf_addc(fpbuf, '=');
        ra_buf_add(fpbuf, h[i].value, h[i].vlen);
    }
    ra_buf_adds(fpbuf, "\nauth=");
    ra_buf_adds(fpbuf, scheme);
    char full[65];
    ra_sha256_hex_memo(fpbuf->data, fpbuf->len, full);
    memcpy(fp, full, 16);
    fp[16] = '\0';
}

/* name lower-cased into dst (nl bytes and a NUL). */
static void
lower(char *dst, const char *name, size_t nl)
{
    for (size_t k = 0; k < nl; k++) {
        char c = name[k];
        dst[k] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    dst[nl] = '\0';
}

void
ra_headers_fingerprint(struct ra_norm *n, const char *const *names,
                       const char *const *values, size_t count, char fp[17])
{
    struct hdr *h = xcalloc(count + 1, sizeof *h);
    struct ra_buf b = RA_BUF_INIT;
    for (size_t i = 0; i < count; i++) {
        size_t nl = strlen(names[i]);
        char *name = xmalloc(nl + 1);
        lower(name, names[i], nl);
        h[i].name = name;
        h[i].nlen = nl;
        h[i].flags = hdr_flags(n, name, nl);
        h[i].value = values[i];
        h[i].vlen = values[i] ? strlen(values[i]) : 0;
    }
    finish_fp(h, count, fp, &b);
    for (size_t i = 0; i < count; i++)
        free((char *)h[i].name);
    free(h);
    ra_buf_release(&b);
}

/* What m remembers, copied to arena a. */
static void
made_get(const struct hdrs_made *m, struct ra_arena *a, const char **json,
         size_t *jlen, char fp[17], const char **ua, size_t *ualen)
{
    *jlen = m->jlen;
    *json = ra_arena_strndup(a, m->text, m->jlen);
    if (m->ualen) {
        *ualen = m->ualen - 1;
        *ua = ra_arena_strndup(a, m->text + m->jlen, *ualen);
    }
    memcpy(fp, m->fp, 17);
}

/* Remember what was made of key[0..klen) (h its hash) in memo. */
static void
made_put(struct ra_memo *memo, uint64_t tag, const char *key, size_t klen,
         uint64_t h, const char *json, size_t jlen, const char fp[17],
         const char *ua, size_t ualen)
{
    if (sizeof(struct hdrs_made) + jlen + ualen > HDRS_VSIZE)
        return;
    struct hdrs_made *put = ra_memo_put(memo, tag, key, klen, h);
    if (!put)
        return;
    put->jlen = (uint32_t)jlen;
    put->ualen = ua ? (uint32_t)ualen + 1 : 0;
    memcpy(put->fp, fp, 17);
    memcpy(put->text, json, jlen);
    if (ua)
        memcpy(put->text + jlen, ua, ualen);
}

/* ra_headers_normalize once the text has missed: the list walked (*ua
 * and *ualen come set to none). */
static int
headers_make(struct ra_norm *n, struct ra_arena *a, const struct ra_val *v,
             const char **json, size_t *jlen, char fp[17], const char **ua,
             size_t *ualen)
{
    yajl_val root;
    struct hdr local[16], *h = local;
    size_t count = 0, cap = sizeof local / sizeof local[0];
    struct ra_buf *b = &tl_hdr_buf, *key = &tl_hdr_key;
    int rc = -1;

    if (v->t == RA_V_JSON && v->j)
        root = (yajl_val)v->j;
    else if (v->t == RA_V_STR || v->t == RA_V_JSON) /* a tree not made */
        root = ra_json_parse(a, v->s, v->n);
    else
        return -1;
    int obj = YAJL_IS_OBJECT(root);
    if (!obj && !YAJL_IS_ARRAY(root))
        goto out;
    size_t len = obj ? root->u.object.len : root->u.array.len;
    ra_buf_reset(key);
    for (size_t j = 0; j < len; j++) {
        const char *name, *val = NULL;
        yajl_val it = obj ? root->u.object.values[j] : root->u.array.values[j];
        if (obj) {
            name = root->u.object.keys[j];
            if (YAJL_IS_STRING(it))
                val = it->u.string;
        } else {
            /* [name, value] pairs */
            yajl_val k = YAJL_IS_ARRAY(it) && it->u.array.len > 0
                             ? it->u.array.values[0]
                             : NULL;
            yajl_val x = k && it->u.array.len > 1 ? it->u.array.values[1]
                                                  : NULL;
            if (!YAJL_IS_STRING(k))
                goto out;
            name = k->u.string;
            if (YAJL_IS_STRING(x))
                val = x->u.string;
        }
        if (count == cap) {
            cap *= 2;
            if (h == local) {
                h = xmalloc(cap * sizeof *h);
                memcpy(h, local, sizeof local);
            } else {
                h = xrealloc(h, cap * sizeof *h);
            }
        }
        struct hdr *e = &h[count++];
        size_t nl = strlen(name);
        char *lname = ra_arena_alloc(a, nl + 1);
        lower(lname, name, nl);
        e->name = lname;
        e->nlen = nl;
        e->flags = hdr_flags(n, lname, nl);
        e->value = NULL;
        e->vlen = 0;
        /* the values read below, redacted once the memo has missed: the
         * stored and fingerprinted ones, the user agent, the scheme
         * (whatever the lists say) */
        char kind = '-';
        if (val && (e->flags & H_CREDENTIAL)) {
            /* Only the scheme word survives, for the fingerprint. */
            const char *sp = strchr(val, ' ');
            size_t k = sp ? (size_t)(sp - val) : strlen(val);
            e->value = ra_arena_strndup(a, val, k);
            e->vlen = k;
            kind = 'c';
        } else if (val && ((e->flags & H_VARIANT) ||
                           hdr_is(e, "user-agent", 10) ||
                           hdr_is(e, "authorization", 13))) {
            e->value = val;
            e->vlen = strlen(val);
            kind = 'v';
        }
        ra_buf_add(key, lname, nl + 1);
        ra_buf_addc(key, kind);
        ra_buf_add(key, e->value ? e->value : "", e->vlen);
        ra_buf_addc(key, '\0');
    }

    uint64_t hk = 0;
    const struct hdrs_made *m =
        key->len ? ra_memo_get(&tl_hdrs, n->serial, key->data, key->len, &hk)
                 : NULL; /* no headers: nothing worth remembering */
    if (m) {
        made_get(m, a, json, jlen, fp, ua, ualen);
        rc = 0;
        goto out;
    }
    for (size_t i = 0; i < count; i++)
        if (h[i].value && !(h[i].flags & H_CREDENTIAL))
            h[i].value = ra_redact(n, a, h[i].value, h[i].vlen, &h[i].vlen);

    /* The stored form: [[name, value-or-null], ...], variant values only. */
    ra_buf_reset(b);
    ra_buf_addc(b, '[');
    for (size_t i = 0; i < count; i++) {
        int keep = hdr_keeps_value(&h[i]);
        if (i)
            ra_buf_addc(b, ',');
        ra_buf_addc(b, '[');
        ra_buf_add_json_str(b, h[i].name, h[i].nlen);
        ra_buf_addc(b, ',');
        if (keep)
            ra_buf_add_json_str(b, h[i].value, h[i].vlen);
        else
            ra_buf_adds(b, "null");
        ra_buf_addc(b, ']');
        if (h[i].value && hdr_is(&h[i], "user-agent", 10)) {
            *ua = h[i].value;
            *ualen = h[i].vlen;
        }
    }
    ra_buf_addc(b, ']');
    *json = ra_arena_strndup(a, b->data, b->len);
    *jlen = b->len;
    finish_fp(h, count, fp, b);
    rc = 0;
    if (key->len)
        made_put(&tl_hdrs, n->serial, key->data, key->len, hk, *json, *jlen,
                 fp, *ua, *ualen);
out:
    if (h != local)
        free(h);
    return rc;
}

int
ra_headers_normalize(struct ra_norm *n, struct ra_arena *a,
                     const struct ra_val *v, const char **json, size_t *jlen,
                     char fp[17], const char **ua, size_t *ualen)
{
    /* the text of the list, when the value comes with it */
    const char *text = v->t == RA_V_STR || v->t == RA_V_JSON ? v->s : NULL;
    size_t tn = text ? v->n : 0;
    uint64_t h = 0;

    *ua = NULL;
    *ualen = 0;
    if (text) {
        const struct hdrs_made *m =
            ra_memo_get(&tl_hdrs_raw, n->serial, text, tn, &h);
        if (m) {
            made_get(m, a, json, jlen, fp, ua, ualen);
            return 0;
        }
    }
    if (headers_make(n, a, v, json, jlen, fp, ua, ualen) != 0)
        return -1;
    if (text)
        made_put(&tl_hdrs_raw, n->serial, text, tn, h, *json, *jlen, fp, *ua,
                 *ualen);
    return 0;
}

/* ---- usernames ------------------------------------------------------- */

/* The value after the `-key-` token of a dash-separated username: the
 * token after the first one equal to key (any case) that is followed by a
 * non-empty one. */
static int
key_value(const char *s, size_t n, const char *key, const char **v,
          size_t *vl)
{
    size_t kl = strlen(key), i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && s[j] != '-')
            j++;
        if (j - i == kl && !strncasecmp(s + i, key, kl) && j < n) {
            size_t k = j + 1, e = k;
            while (e < n && s[e] != '-')
                e++;
            if (e > k) {
                *v = s + k;
                *vl = e - k;
                return 1;
            }
        }
        i = j + 1;
    }
    return 0;
}

/* The rules that apply: every prefixed one, the opt-in ones named. */
static uint64_t
rules_on(const struct ra_norm *n, char *const *rules, size_t nrules)
{
    uint64_t on = 0;
    for (size_t r = 0; r < n->nuname; r++) {
        size_t k = 0;
        if (n->uname[r].optin)
            while (k < nrules && strcmp(rules[k], n->uname[r].name))
                k++;
        if (k < nrules || !n->uname[r].optin)
            on |= 1ull << r;
    }
    return on;
}

/* What the first rule that matches a username makes of it, as offsets
 * into the username (a qualified session is the user, '-', the session). */
struct uname_hit {
    const char *rule; /* NULL: no rule matched */
    uint32_t uoff, ulen, soff, slen, coff, clen;
    unsigned char has_s, has_c, qualify;
};

/* Named group g of a match, when it matched something: 1. */
static int
group(const PCRE2_SIZE *ov, int rc, int g, uint32_t *off, uint32_t *len)
{
    if (g <= 0 || g >= rc || ov[2 * g] == PCRE2_UNSET ||
        ov[2 * g + 1] <= ov[2 * g])
        return 0;
    *off = (uint32_t)ov[2 * g];
    *len = (uint32_t)(ov[2 * g + 1] - ov[2 * g]);
    return 1;
}

static void
username_rules(struct ra_norm *n, const char *user, size_t len, uint64_t on,
               struct uname_hit *o)
{
    pcre2_match_data *md = match_data();
    memset(o, 0, sizeof *o);
    for (size_t r = 0; r < n->nuname; r++) {
        struct uname_rule *u = &n->uname[r];
        if (!(on >> r & 1))
            continue;
        int rc = ra_re_match(u->re, user, len, 0, md);
        if (rc < 0)
            continue;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        const char *v;
        size_t vl;
        while (o->ulen < len && user[o->ulen] != '-')
            o->ulen++;
        group(ov, rc, u->g_user, &o->uoff, &o->ulen);
        o->has_s = group(ov, rc, u->g_session, &o->soff, &o->slen);
        o->has_c = group(ov, rc, u->g_country, &o->coff, &o->clen);
        if (!o->has_s && u->session_key &&
            key_value(user, len, u->session_key, &v, &vl)) {
            o->has_s = 1;
            o->soff = (uint32_t)(v - user);
            o->slen = (uint32_t)vl;
        }
        for (size_t k = 0; !o->has_c && k < u->ncountry; k++)
            if (key_value(user, len, u->country_keys[k], &v, &vl)) {
                o->has_c = 1;
                o->coff = (uint32_t)(v - user);
                o->clen = (uint32_t)vl;
            }
        o->qualify = (unsigned char)u->qualify;
        o->rule = u->name;
        return;
    }
}

/* A proxy sends every request of a sticky session with the same username,
 * so each parser thread remembers what the rules made of its last 2,048
 * usernames of up to 96 bytes, with which rules applied. */
struct uname_memo {
    uint64_t on;
    struct uname_hit hit;
};
static _Thread_local struct ra_memo tl_umemo = {
    2048, 96, sizeof(struct uname_memo), NULL, NULL};

void
ra_username_parse(struct ra_norm *n, struct ra_arena *a, const char *user,
                  size_t len, char *const *rules, size_t nrules,
                  const char **session, size_t *slen, const char **country,
                  size_t *clen, const char **rule_name)
{
    uint64_t on = rules_on(n, rules, nrules), h;
    struct uname_memo one, *m = ra_memo_get(&tl_umemo, n->serial, user, len,
                                            &h);
    if (!m || m->on != on) {
        m = ra_memo_put(&tl_umemo, n->serial, user, len, h);
        if (!m)
            m = &one; /* too long to keep */
        m->on = on;
        username_rules(n, user, len, on, &m->hit);
    }
    const struct uname_hit *o = &m->hit;
    *session = *country = NULL;
    *slen = *clen = 0;
    if (o->has_s && o->qualify) {
        char *q = ra_arena_alloc(a, o->ulen + 1 + o->slen + 1);
        memcpy(q, user + o->uoff, o->ulen);
        q[o->ulen] = '-';
        memcpy(q + o->ulen + 1, user + o->soff, o->slen);
        q[o->ulen + 1 + o->slen] = '\0';
        *session = q;
        *slen = o->ulen + 1 + o->slen;
    } else if (o->has_s) {
        *session = user + o->soff;
        *slen = o->slen;
    }
    if (o->has_c) {
        *country = user + o->coff;
        *clen = o->clen;
    }
    if (rule_name)
        *rule_name = o->rule;
}

int
ra_username_rule_known(const struct ra_norm *n, const char *name,
                       struct ra_buf *names)
{
    int known = 0;
    for (size_t r = 0; r < n->nuname; r++) {
        known |= !strcmp(n->uname[r].name, name);
        ra_buf_addf(names, "%s%s", r ? ", " : "", n->uname[r].name);
    }
    return known;
}

size_t
ra_norm_identity_headers(struct ra_norm *n, const char *const **out)
{
    *out = (const char *const *)n->identity_h.v;
    return n->identity_h.n;
}
