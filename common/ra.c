/* ra.c -- errors, allocation wrappers, growable buffers, the arena and a few
 * number, time and file helpers every module needs.
 *
 * SHA-256 comes from nettle; nothing here reimplements a library.
 */
#define _XOPEN_SOURCE 700 /* wcwidth */
#include "common/ra.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

int
ra_err_set(struct ra_err *err, int code, const char *fmt, ...)
{
    va_list ap;

    if (err) {
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

_Noreturn void
ra_oom(void)
{
    fputs("relayaudit: out of memory\n", stderr);
    exit(1);
}

void *
xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        ra_oom();
    return p;
}

void *
xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        ra_oom();
    return p;
}

void *
xcalloc_lines(size_t size)
{
    size_t n = (size + RA_CACHE_LINE - 1) / RA_CACHE_LINE * RA_CACHE_LINE;
    void *p = aligned_alloc(RA_CACHE_LINE, n ? n : RA_CACHE_LINE);
    if (!p)
        ra_oom();
    return memset(p, 0, n ? n : RA_CACHE_LINE);
}

void *
xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        ra_oom();
    return q;
}

void
ra_room(void **v, size_t *cap, size_t n, size_t size)
{
    if (*cap >= n)
        return;
    free(*v);
    *cap = n;
    *v = xmalloc(n * size);
}

char *
xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void
ra_buf_grow(struct ra_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
}

void
ra_buf_addf(struct ra_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    ra_buf_grow(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void
ra_buf_reset(struct ra_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void
ra_buf_release(struct ra_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 if invalid. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
    size_t need;
    uint32_t cp;

    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xC2 && p[0] <= 0xDF)
        need = 2, cp = p[0] & 0x1Fu;
    else if (p[0] >= 0xE0 && p[0] <= 0xEF)
        need = 3, cp = p[0] & 0x0Fu;
    else if (p[0] >= 0xF0 && p[0] <= 0xF4)
        need = 4, cp = p[0] & 0x07u;
    else
        return 0;
    if (n < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3Fu);
    }
    if ((need == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (need == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return need;
}

void
ra_buf_add_json_str(struct ra_buf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    /* 1: printable ASCII that needs no escape (not '"' 0x22, '\\' 0x5C) */
    static const unsigned char plain[256] = {
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    };

    ra_buf_addc(b, '"');
    while (i < n) {
        /* A run of printable ASCII needing no escape goes in one copy. */
        size_t r = i;
        while (r < n && plain[p[r]])
            r++;
        if (r > i) {
            ra_buf_add(b, p + i, r - i);
            i = r;
            continue;
        }
        unsigned char c = p[i];
        size_t l;
        if (c == '"' || c == '\\') {
            ra_buf_addc(b, '\\');
            ra_buf_addc(b, (char)c);
            i++;
        } else if (c < 0x20) {
            ra_buf_addf(b, "\\u%04x", c);
            i++;
        } else if ((l = utf8_len(p + i, n - i)) == 0) {
            /* Not UTF-8: keep the byte, visibly escaped. */
            ra_buf_addf(b, "\\\\x%02x", c);
            i++;
        } else {
            ra_buf_add(b, p + i, l);
            i += l;
        }
    }
    ra_buf_addc(b, '"');
}

struct arena_block {
    struct arena_block *next;
    size_t cap;
    max_align_t data[];
};

struct ra_arena *
ra_arena_new(void)
{
    return xcalloc_lines(sizeof(struct ra_arena));
}

void *
ra_arena_more(struct ra_arena *a, size_t n)
{
    size_t cap = n > 16384 ? n : 16384;
    struct arena_block *b = xmalloc(sizeof *b + cap);
    b->cap = cap;
    b->next = a->head;
    a->head = b;
    a->cur = (char *)b->data + n;
    a->left = cap - n;
    return b->data;
}

char *
ra_arena_strndup(struct ra_arena *a, const char *s, size_t n)
{
    char *p = ra_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void
ra_arena_reset(struct ra_arena *a)
{
    /* Keep the newest block (usually the only one) to avoid churn. */
    struct arena_block *b = a->head;
    if (!b)
        return;
    struct arena_block *rest = b->next;
    while (rest) {
        struct arena_block *n = rest->next;
        free(rest);
        rest = n;
    }
    b->next = NULL;
    a->cur = (char *)b->data;
    a->left = b->cap;
}

void
ra_arena_free(struct ra_arena *a)
{
    if (!a)
        return;
    ra_arena_reset(a);
    free(a->head);
    free(a);
}

void
ra_sha256_hex(const void *p, size_t n, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    struct sha256_ctx ctx;
    uint8_t d[SHA256_DIGEST_SIZE];

    sha256_init(&ctx);
    sha256_update(&ctx, n, p);
    sha256_digest(&ctx, sizeof d, d);
    for (size_t i = 0; i < sizeof d; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[64] = '\0';
}

double
ra_clock_s(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int64_t
ra_now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void *
ra_memo_put(struct ra_memo *m, uint64_t tag, const void *s, size_t n,
            uint64_t h)
{
    size_t vs = m->vsize ? m->vsize : 1;
    if (n > m->max)
        return NULL;
    if (!m->slot) {
        m->slot = xcalloc(m->slots, sizeof *m->slot);
        m->val = xcalloc(m->slots, vs);
    }
    size_t i = h & (m->slots - 2); /* the pair's first slot */
    int w = ra_memo_way(m, i, h, tag, s, n); /* there already: replaced */
    if (w < 0)
        w = !m->slot[i].h ? 0 : !m->slot[i + 1].h ? 1 : !m->slot[i].mru;
    m->slot[i].mru = (unsigned char)w;
    i += (size_t)w;
    struct ra_memo_slot *e = &m->slot[i];
    if (!e->text || e->cap < n) { /* short texts, or room for the longest */
        e->cap = n <= 64 ? 64 : m->max;
        free(e->text);
        e->text = xmalloc(e->cap);
    }
    if (n)
        memcpy(e->text, s, n);
    e->h = h;
    e->tag = tag;
    e->len = n;
    return m->val + i * vs;
}

void
ra_memo_free(struct ra_memo *m)
{
    if (!m->slot)
        return;
    for (size_t i = 0; i < m->slots; i++)
        free(m->slot[i].text);
    free(m->slot);
    free(m->val);
    m->slot = NULL;
    m->val = NULL;
}

/* ---- ra_imap ------------------------------------------------------- */

/* m's keys into slots new slots: empty ones, a power of two. */
static void
imap_rehash(struct ra_imap *m, size_t slots)
{
    struct ra_imap was = *m;
    m->k = xmalloc(slots * sizeof *m->k);
    m->v = xcalloc(slots, sizeof *m->v);
    m->mask = slots - 1;
    for (m->shift = 64; slots > 1; slots >>= 1)
        m->shift--;
    for (size_t i = 0; was.v && i <= was.mask; i++)
        if (was.v[i]) {
            size_t j = ra_imap_slot(m, was.k[i]);
            m->k[j] = was.k[i];
            m->v[j] = was.v[i];
        }
    free(was.k);
    free(was.v);
}

void
ra_imap_put(struct ra_imap *m, int64_t k, uint32_t v)
{
    if (!m->v || 2 * (m->n + 1) > m->mask + 1)
        imap_rehash(m, m->v ? 2 * (m->mask + 1) : 64);
    size_t i = ra_imap_slot(m, k);
    m->n += !m->v[i];
    m->k[i] = k;
    m->v[i] = v;
}

void
ra_imap_clear(struct ra_imap *m)
{
    if (m->v)
        memset(m->v, 0, (m->mask + 1) * sizeof *m->v);
    m->n = 0;
}

void
ra_imap_free(struct ra_imap *m)
{
    free(m->k);
    free(m->v);
    *m = (struct ra_imap){0};
}

/* Most texts hashed while parsing repeat (one fingerprint text per client
 * and gateway, one key per caller): each thread keeps the digests of its
 * last 256 texts of up to 1 KiB. */
static _Thread_local struct ra_memo tl_sha = {256, 1024, 65, NULL, NULL};

void
ra_sha256_hex_memo(const void *p, size_t n, char out[65])
{
    uint64_t h;
    const char *hex = ra_memo_get(&tl_sha, 0, p, n, &h);
    if (hex) {
        memcpy(out, hex, 65);
        return;
    }
    ra_sha256_hex(p, n, out);
    char *v = ra_memo_put(&tl_sha, 0, p, n, h);
    if (v)
        memcpy(v, out, 65);
}

void
ra_sha256_memo_free(void)
{
    ra_memo_free(&tl_sha);
}

int
ra_parse_i64(const char *p, size_t n, int64_t *out)
{
    uint64_t v = 0, lim = INT64_MAX;
    size_t i = 0;

    if (n - 1 < 18) { /* 1-18 digits and nothing else: cannot overflow */
        while (i < n && (unsigned)((unsigned char)p[i] - '0') <= 9)
            v = v * 10 + (unsigned)((unsigned char)p[i++] - '0');
        if (i == n) {
            *out = (int64_t)v;
            return 0;
        }
        v = 0, i = 0;
    }
    while (n && (*p == ' ' || *p == '\t'))
        p++, n--;
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    if (n == 0 || n >= 32)
        return -1;
    if (p[0] == '-' || p[0] == '+') {
        lim += p[0] == '-'; /* |INT64_MIN| */
        i = 1;
    }
    if (i == n)
        return -1;
    /* below 10^18 (the first 18 digits) no digit can overflow: the range
     * is checked only past them */
    for (size_t safe = i + 18; i < n; i++) {
        unsigned d = (unsigned)((unsigned char)p[i] - '0');
        if (d > 9 || (i >= safe && v > (lim - d) / 10))
            return -1; /* not a digit, or out of range */
        v = v * 10 + d;
    }
    *out = lim > INT64_MAX ? (v ? -(int64_t)(v - 1) - 1 : 0) : (int64_t)v;
    return 0;
}

/* Exact without strtod: up to 15 digits (below 2^53) over a power of ten
 * up to 10^15, both exact doubles, so the one division rounds correctly,
 * as strtod does. Returns -1 for any other shape. */
static int
f64_short(const char *p, size_t n, double *out)
{
    static const double pow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,
                                   1e6, 1e7, 1e8,  1e9,  1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15};
    uint64_t m = 0;
    size_t i = 0, digits = 0, frac = 0;
    int neg = 0, dot = 0;

    if (p[0] == '-' || p[0] == '+')
        neg = p[i++] == '-';
    for (; i < n; i++) {
        if (p[i] == '.' && !dot) {
            dot = 1;
            continue;
        }
        if (p[i] < '0' || p[i] > '9' || ++digits > 15)
            return -1;
        m = m * 10 + (uint64_t)(p[i] - '0');
        frac += dot;
    }
    if (!digits)
        return -1;
    double v = (double)m / pow10[frac];
    *out = neg ? -v : v;
    return 0;
}

int
ra_parse_f64(const char *p, size_t n, double *out)
{
    char tmp[64], *end;
    double v;

    while (n && (*p == ' ' || *p == '\t'))
        p++, n--;
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    if (n == 0 || n >= sizeof tmp)
        return -1;
    if (f64_short(p, n, out) == 0)
        return 0;
    memcpy(tmp, p, n);
    tmp[n] = '\0';
    if (!(tmp[0] == '-' || tmp[0] == '+' || tmp[0] == '.' ||
          (tmp[0] >= '0' && tmp[0] <= '9')))
        return -1;
    errno = 0;
    v = strtod(tmp, &end);
    if (errno || *end || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

int
ra_parse_duration(const char *s, int64_t *ms)
{
    static const struct {
        const char *name;
        double ms;
    } unit[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000},
                {"d", 86400000}};
    double sum = 0;
    const char *p = s;

    do { /* terms: "90s", "1h30m"; a bare number is seconds, alone */
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        if (errno || end == p || v < 0 || !isfinite(v))
            return -1;
        size_t u = 0, nu = sizeof unit / sizeof *unit; /* "ms" before "m" */
        while (u < nu && strncmp(end, unit[u].name, strlen(unit[u].name)))
            u++;
        if (u < nu) {
            sum += v * unit[u].ms;
            p = end + strlen(unit[u].name);
        } else if (!*end && p == s) {
            sum = v * 1000;
            p = end;
        } else {
            return -1;
        }
        if (sum > 9e15)
            return -1;
    } while (*p);
    *ms = (int64_t)llround(sum);
    return 0;
}

void
ra_format_ts(int64_t ms, char *out, size_t outsz)
{
    int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    int frac = (int)(ms - secs * 1000);
    time_t t = (time_t)secs;
    struct tm tm;

    if (!gmtime_r(&t, &tm)) {
        snprintf(out, outsz, "%lld", (long long)ms);
        return;
    }
    if (frac)
        snprintf(out, outsz, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                 tm.tm_min, tm.tm_sec, frac);
    else
        snprintf(out, outsz, "%04d-%02d-%02dT%02d:%02d:%02dZ",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                 tm.tm_min, tm.tm_sec);
}

void
ra_rtrim(char *s)
{
    size_t l = strlen(s);
    while (l && (s[l - 1] == ' ' || s[l - 1] == '\t'))
        s[--l] = '\0';
}

int
ra_config_lines(char *text,
                int (*fn)(void *ctx, int lineno, char *key, char *val),
                void *ctx)
{
    int lineno = 0, rc = 0;
    for (char *line = text, *next; line && rc == 0; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        lineno++;
        size_t l = strlen(line);
        if (l && line[l - 1] == '\r')
            line[--l] = '\0';
        while (*line == ' ' || *line == '\t')
            line++;
        if (!*line || *line == '#')
            continue;
        char *val = line;
        while (*val && *val != ' ' && *val != '\t')
            val++;
        if (*val)
            *val++ = '\0';
        while (*val == ' ' || *val == '\t')
            val++;
        rc = fn(ctx, lineno, line, val);
    }
    return rc;
}

char *
ra_read_small_file(const char *path, size_t *len, struct ra_err *err)
{
    FILE *f = fopen(path, "rb");
    struct ra_buf b = RA_BUF_INIT;
    char chunk[8192];
    size_t n;

    if (!f) {
        ra_err_set(err, RA_EIO, "cannot open '%s': %s", path,
                   strerror(errno));
        return NULL;
    }
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        ra_buf_add(&b, chunk, n);
        if (b.len > (16u << 20)) {
            ra_err_set(err, RA_ECONFIG, "'%s' is too large", path);
            goto fail;
        }
    }
    if (ferror(f)) {
        ra_err_set(err, RA_EIO, "cannot read '%s': %s", path,
                   strerror(errno));
        goto fail;
    }
    fclose(f);
    ra_buf_add(&b, "", 0);
    if (len)
        *len = b.len;
    return b.data;

fail:
    fclose(f);
    ra_buf_release(&b);
    return NULL;
}

double
ra_env_number(const char *name, double lo, double hi, double dflt)
{
    const char *e = getenv(name);
    char *end;
    if (!e || !*e)
        return dflt;
    double v = strtod(e, &end);
    return !*end && v >= lo && v <= hi ? v : dflt;
}

const char *
ra_datadir(void)
{
    const char *d = getenv("RELAYAUDIT_DATADIR");
    if (d && *d)
        return d;
#ifdef RA_DATADIR
    return RA_DATADIR;
#else
    return ".";
#endif
}

size_t
ra_ctl_escape(const char *s, size_t n, char out[8])
{
    const unsigned char *u = (const unsigned char *)s;
    if (n && (u[0] < 0x20 || u[0] == 0x7f)) {
        const char *e = u[0] == '\n'   ? "\\n"
                        : u[0] == '\r' ? "\\r"
                        : u[0] == '\t' ? "\\t"
                                       : NULL;
        if (e)
            memcpy(out, e, 3);
        else
            snprintf(out, 8, "\\x%02x", u[0]);
        return 1;
    }
    if (n >= 2 && u[0] == 0xc2 && u[1] >= 0x80 && u[1] <= 0x9f) {
        snprintf(out, 8, "\\u%04x", u[1]);
        return 2;
    }
    return 0;
}

void
ra_text_put(FILE *f, const char *s)
{
    size_t n = strlen(s), run = 0;
    char e[8];
    while (run < n) {
        size_t k = ra_ctl_escape(s + run, n - run, e);
        if (!k) {
            run++;
            continue;
        }
        fwrite(s, 1, run, f);
        fputs(e, f);
        s += run + k;
        n -= run + k;
        run = 0;
    }
    fwrite(s, 1, n, f);
}

size_t
ra_text_width(const char *s)
{
    /* Set once, by the thread that prints; uselocale is per thread. */
    static locale_t utf8;
    if (!utf8)
        utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    locale_t was = utf8 ? uselocale(utf8) : (locale_t)0;
    mbstate_t st;
    size_t n = strlen(s), w = 0;
    memset(&st, 0, sizeof st);
    while (n) {
        wchar_t wc;
        char e[8];
        size_t k = ra_ctl_escape(s, n, e);
        int cw;
        if (k) {
            cw = (int)strlen(e);
        } else if ((k = utf8 ? mbrtowc(&wc, s, n, &st) : (size_t)-1) ==
                       (size_t)-1 ||
                   k == (size_t)-2) {
            memset(&st, 0, sizeof st);
            k = 1;
            cw = 1;
        } else {
            cw = wcwidth(wc);
            cw = cw < 0 ? 1 : cw;
        }
        w += (size_t)cw;
        s += k;
        n -= k;
    }
    if (utf8)
        uselocale(was);
    return w;
}

void
ra_text_pad(FILE *f, const char *s, size_t width)
{
    for (size_t l = ra_text_width(s); l < width; l++)
        fputc(' ', f);
}
