/* ra.h -- what every relayaudit module shares: errors, allocation, buffers.
 *
 * Library code never prints and never exits; it returns an RA_E* code and
 * fills a struct ra_err that main.c turns into a message and an exit code.
 * The one exception is running out of memory: the x* wrappers print
 * "relayaudit: out of memory" and exit 1, as tmux and git do.
 */
#ifndef RA_H
#define RA_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <time.h>

#define RA_VERSION "0.1.0"
/* --max-line at most (256 MiB): a text made from a line -- its bytes
 * escaped as \xHH, or as JSON's \u00XX -- still has a length that fits in
 * 32 bits */
#define RA_MAX_LINE_LIMIT (1u << 28)
#define RA_MAX_LINE_DEFAULT (1u << 20) /* --max-line's default */

#if defined(__GNUC__)
#define RA_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define RA_WUR __attribute__((warn_unused_result))
#else
#define RA_PRINTF(a, b)
#define RA_WUR
#endif

enum {
    RA_OK = 0,
    RA_EIO = -1,     /* a file or stream could not be read or written */
    RA_EPARSE = -2,  /* input does not fit (a record-level failure) */
    RA_EDB = -3,     /* SQLite said no */
    RA_ECONFIG = -4, /* a definition file or option is wrong */
    RA_EUSAGE = -5,  /* the command line is wrong */
    RA_EBUSY = -6,   /* another process holds what was asked for */
};

struct ra_err {
    int code;
    char msg[512];
};

/* Set err (when not NULL) and return code, so callers write
 * `return ra_err_set(err, RA_EIO, "cannot open '%s'", path);`. */
int ra_err_set(struct ra_err *err, int code, const char *fmt, ...)
    RA_PRINTF(3, 4);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
/* Zeroed memory of whole cache lines of its own, freed with free(): for
 * what one thread writes while others read or write their own. Two parser
 * threads' objects sharing a line made each wait on the other's writes
 * (false sharing): a fifth of the headers' normalization went on one load. */
#define RA_CACHE_LINE 64
void *xcalloc_lines(size_t size);
void *xrealloc(void *p, size_t n);
/* *v with room for n items of size bytes, *cap its room in items: made
 * anew when it has less, what it held not kept (a buffer refilled whole
 * each time). */
void ra_room(void **v, size_t *cap, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* A growable byte buffer. `data` is always NUL-terminated once anything was
 * added; len excludes the NUL. ra_buf_release leaves it empty and reusable. */
struct ra_buf {
    char *data;
    size_t len, cap;
};
#define RA_BUF_INIT {NULL, 0, 0}
_Noreturn void ra_oom(void); /* "out of memory", exit 1 */
void ra_buf_grow(struct ra_buf *b, size_t extra); /* room for extra + NUL */
/* The appends are inline: they run per field in the ingest hot path. */
static inline void
ra_buf_add(struct ra_buf *b, const void *p, size_t n)
{
    if (b->len + n + 1 > b->cap)
        ra_buf_grow(b, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}
static inline void
ra_buf_adds(struct ra_buf *b, const char *s)
{
    ra_buf_add(b, s, strlen(s));
}
static inline void
ra_buf_addc(struct ra_buf *b, char c)
{
    if (b->len + 2 > b->cap)
        ra_buf_grow(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}
void ra_buf_addf(struct ra_buf *b, const char *fmt, ...) RA_PRINTF(2, 3);
void ra_buf_reset(struct ra_buf *b); /* len = 0, keeps the storage */
void ra_buf_release(struct ra_buf *b);
/* JSON string literal of p[0..n), quotes included; invalid UTF-8 and control
 * bytes are escaped as \u00XX so the output is always valid JSON. */
void ra_buf_add_json_str(struct ra_buf *b, const char *p, size_t n);
/* Text for a terminal. A value from a log may hold control characters;
 * printed as they are, they would move the cursor, recolour or clear the
 * screen of whoever reads the table. ra_text_put prints them as escapes:
 * \n, \r, \t, \xHH for the rest of C0 and DEL, \u0080-\u009f for C1.
 * ra_ctl_escape gives the escape of the character at s[0..n) in out and
 * returns its bytes, or 0 when it is not a control character. */
size_t ra_ctl_escape(const char *s, size_t n, char out[8]);
void ra_text_put(FILE *f, const char *s);
/* The columns s takes on a terminal as ra_text_put prints it, for aligned
 * tables: each character's wcwidth in C.UTF-8 (two for East Asian wide
 * ones, none for combining marks), a control character its escape's, a byte
 * of invalid UTF-8 one. */
size_t ra_text_width(const char *s);
/* Spaces after s, printed on f, up to width terminal columns. */
void ra_text_pad(FILE *f, const char *s, size_t width);

/* A bump allocator for per-record scratch: everything is freed at once by
 * ra_arena_reset. Memory stays bounded by the largest record seen. */
struct ra_arena {
    struct arena_block *head; /* the block allocated from, then older ones */
    char *cur;                /* its free space: cur[0..left) */
    size_t left;
};
struct ra_arena *ra_arena_new(void);
/* ra_arena_alloc past the free space: a new block. */
void *ra_arena_more(struct ra_arena *a, size_t n);
/* n bytes, 16-aligned, until the next reset. (Inline: a parser asks for
 * dozens a record.) */
static inline void *
ra_arena_alloc(struct ra_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (a->left < n)
        return ra_arena_more(a, n);
    void *p = a->cur;
    a->cur += n;
    a->left -= n;
    return p;
}
char *ra_arena_strndup(struct ra_arena *a, const char *s, size_t n);
void ra_arena_reset(struct ra_arena *a);
void ra_arena_free(struct ra_arena *a);

/* SHA-256 of p[0..n) as 64 lower-case hex digits plus NUL in out. */
void ra_sha256_hex(const void *p, size_t n, char out[65]);
/* The same, remembered per thread for texts that repeat (fingerprints, keys);
 * ra_sha256_memo_free() drops the calling thread's memory of them. */
void ra_sha256_hex_memo(const void *p, size_t n, char out[65]);
void ra_sha256_memo_free(void);
/* Seconds on clock id (CLOCK_MONOTONIC for elapsed time, a thread's CPU
 * clock for its CPU time); the UTC time in milliseconds. */
double ra_clock_s(clockid_t id);
int64_t ra_now_ms(void);
/* Seconds on the monotonic clock: elapsed time is a difference of two. */
static inline double
ra_mono_s(void)
{
    return ra_clock_s(CLOCK_MONOTONIC);
}

/* A fast non-cryptographic hash of p[0..n) for hash tables; never 0 (a
 * hash table's empty slot). Eight bytes at a time, multiply and fold, then
 * a final mix (murmur3's fmix64) so that the low bits, the slot, depend on
 * every byte: without it strings sharing a tail probed ten slots a lookup.
 * Bit 0 is always set (`| 1`), so a table indexed by the low bits starts
 * each probe at an odd slot; spreading it too (`h + !h`) cost no fewer
 * instructions in ingest or analyze (bench/RESULTS.md).
 * Inline: it is asked per field, and per dictionary column. */
static inline uint64_t
ra_hash64(const void *p, size_t n)
{
    const char *s = p;
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ n, w;
    for (; n >= 8; s += 8, n -= 8) {
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
    }
    if (n) { /* the tail in at most two loads (bytes copied one by one
                into a word stalled the load that read it back) */
        uint32_t a, b;
        if (n >= 4) {
            memcpy(&a, s, 4);
            memcpy(&b, s + n - 4, 4);
            w = (uint64_t)a << 32 | b;
        } else {
            const unsigned char *u = (const unsigned char *)s;
            w = (uint64_t)u[0] << 16 | (uint64_t)u[n / 2] << 8 | u[n - 1];
        }
        h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h | 1;
}

/* Whether a[0..n) and b[0..n) are the same bytes. Texts of up to 16
 * bytes (dictionary texts, JSON member names) in two loads each rather
 * than a call to memcmp. */
static inline int
ra_same_bytes(const char *a, const char *b, size_t n)
{
    uint64_t x0, x1, y0, y1;
    uint32_t u0, u1, v0, v1;
    if (n > 16)
        return !memcmp(a, b, n);
    if (n >= 8) {
        memcpy(&x0, a, 8), memcpy(&x1, a + n - 8, 8);
        memcpy(&y0, b, 8), memcpy(&y1, b + n - 8, 8);
        return ((x0 ^ y0) | (x1 ^ y1)) == 0;
    }
    if (n >= 4) {
        memcpy(&u0, a, 4), memcpy(&u1, a + n - 4, 4);
        memcpy(&v0, b, 4), memcpy(&v1, b + n - 4, 4);
        return ((u0 ^ v0) | (u1 ^ v1)) == 0;
    }
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

/* Integers and a value for each (never 0): open addressing, at most half
 * full, twice the slots when it would be more. Zeroed, it is empty and
 * holds nothing; ra_imap_put makes its slots. */
struct ra_imap {
    int64_t *k;
    uint32_t *v;     /* 0: an empty slot */
    size_t mask, n;  /* slots - 1 (slots a power of two), keys held */
    int shift;       /* 64 - log2(slots) */
};
/* k's slot: its own, or the empty one where it would go. The top bits of
 * k's product with 2^64 / phi (Fibonacci hashing), which every bit of k
 * moves: keys 1, 2, 3... spread, and so do keys in steps of 2^40. */
static inline size_t
ra_imap_slot(const struct ra_imap *m, int64_t k)
{
    size_t i = (size_t)(((uint64_t)k * 0x9E3779B97F4A7C15u) >> m->shift);
    while (m->v[i] && m->k[i] != k)
        i = (i + 1) & m->mask;
    return i;
}
/* k's value, or 0. */
static inline uint32_t
ra_imap_get(const struct ra_imap *m, int64_t k)
{
    return m->v ? m->v[ra_imap_slot(m, k)] : 0;
}
void ra_imap_put(struct ra_imap *m, int64_t k, uint32_t v); /* v != 0 */
void ra_imap_clear(struct ra_imap *m); /* empty, its slots kept */
void ra_imap_free(struct ra_imap *m);

/* A memory of texts worked on before and what was made of each (vsize
 * bytes), for texts that repeat: two-way set-associative by hash (a text
 * put evicts the one of its pair used less lately), the text compared
 * byte for byte (a hash alone never answers), tag telling apart what the
 * same text means in different settings. Texts longer than max are not
 * kept. One per thread: `static _Thread_local struct ra_memo m = {slots,
 * max, vsize};` (slots a power of two, at least 2), ra_memo_free() at the
 * thread's end. Direct-mapped, 400 usernames in 2,048 slots had one in
 * five sharing a slot with another, and the two evicted each other. */
struct ra_memo_slot {
    uint64_t h, tag; /* h 0: empty (ra_hash64 is never 0) */
    size_t len, cap;
    char *text;
    unsigned char mru; /* the pair's first slot: which of the two was used
                          last */
};
struct ra_memo {
    size_t slots, max, vsize;
    struct ra_memo_slot *slot; /* made at the first ra_memo_put */
    unsigned char *val;
};
/* The slot of (tag, s[0..n)) in the pair at i (h its hash), or -1. */
static inline int
ra_memo_way(const struct ra_memo *m, size_t i, uint64_t h, uint64_t tag,
            const void *s, size_t n)
{
    for (int w = 0; w < 2; w++) {
        const struct ra_memo_slot *e = &m->slot[i + (size_t)w];
        if (e->h == h && e->tag == tag && e->len == n &&
            ra_same_bytes(e->text, s, n))
            return w;
    }
    return -1;
}
/* The value remembered for (tag, s[0..n)), or NULL; *h is for the
 * ra_memo_put that follows a miss. (Inline: it is asked per field.) */
static inline void *
ra_memo_get(struct ra_memo *m, uint64_t tag, const void *s, size_t n,
            uint64_t *h)
{
    if (n > m->max)
        return *h = 0, NULL;
    *h = ra_hash64(s, n);
    if (!m->slot)
        return NULL;
    size_t i = *h & (m->slots - 2); /* the pair's first slot */
    int w = ra_memo_way(m, i, *h, tag, s, n);
    if (w < 0)
        return NULL;
    m->slot[i].mru = (unsigned char)w;
    return m->val + (i + (size_t)w) * (m->vsize ? m->vsize : 1);
}
/* Remember (tag, s[0..n)) in place of what its slot held: where its value
 * goes, or NULL when the text is longer than max. */
void *ra_memo_put(struct ra_memo *m, uint64_t tag, const void *s, size_t n,
                  uint64_t h);
void ra_memo_free(struct ra_memo *m);

/* Parse a base-10 int64 from exactly p[0..n) (surrounding spaces allowed).
 * Returns 0 and sets *out, or -1 when it is not a number or out of range. */
int ra_parse_i64(const char *p, size_t n, int64_t *out);
/* The same for a double (finite only). */
int ra_parse_f64(const char *p, size_t n, double *out);

/* Durations for thresholds: "90s", "15m", "1h", "2d", "500ms", terms
 * together ("1h30m") or seconds alone ("90"). Returns 0 and sets *ms, or
 * -1. */
int ra_parse_duration(const char *s, int64_t *ms);

/* Format UTC milliseconds as ISO-8601 "2026-11-24T10:15:02.113Z" (the
 * fraction only when non-zero) into out (at least 32 bytes). */
void ra_format_ts(int64_t ms, char *out, size_t outsz);

/* Each line of a configuration text (changed in place): blank lines and
 * '#' comments skipped, leading blanks and a trailing '\r' dropped, then
 * split at the first blank into key and value (the value's leading blanks
 * dropped, its trailing ones kept: callers decide). Stops at fn's first
 * non-zero return and returns it. */
int ra_config_lines(char *text,
                    int (*fn)(void *ctx, int lineno, char *key, char *val),
                    void *ctx);
/* Drop trailing blanks of s in place. */
void ra_rtrim(char *s);

/* Read a whole small file (definitions, SQL). Caller owns; free with free.
 * Returns NULL and fills err when it cannot be read. */
char *ra_read_small_file(const char *path, size_t *len, struct ra_err *err);

/* $name as a number in [lo, hi], else dflt (unset, empty, not a number,
 * out of range): the RELAYAUDIT_* settings read from the environment. */
double ra_env_number(const char *name, double lo, double hi, double dflt);

/* The directory holding schemas/ and analyze/sql/: $RELAYAUDIT_DATADIR, else
 * the one compiled in. Borrowed, static. */
const char *ra_datadir(void);

#endif
