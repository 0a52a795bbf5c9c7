/* reader.c -- plain, gzip and in-memory byte sources, split into lines.
 *
 * gzip is inflated by our own loop rather than gzread(): zlib's gz* layer
 * silently ignores trailing garbage after a member, so a damaged second
 * member would be dropped without a word. Here every member is inflated in
 * turn and a truncated or corrupt stream is reported with the compressed
 * offset where it broke, after every complete line before it was delivered.
 */
#include "ingest/reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define RA_CHUNK (256u * 1024u)

/* Whether p[0..n) starts as a gzip member does. */
static int
gzip_magic(const void *p, size_t n)
{
    const unsigned char *u = p;
    return n >= 2 && u[0] == 0x1f && u[1] == 0x8b;
}

struct ra_reader {
    int fd;            /* -1 for memory */
    int own_fd;
    const char *name;  /* for messages */
    char *mem;         /* memory source */
    size_t mem_len, mem_pos;

    int gzip;
    z_stream zs;
    int zinit;
    unsigned char *zin; /* compressed input buffer */
    uint64_t zin_total; /* compressed bytes consumed before zin */
    int zdone;          /* end of compressed input */

    char *buf; /* decompressed bytes not yet returned as lines */
    size_t start, end, cap;
    uint64_t base;    /* stream offset of buf[start] */
    int eof;          /* no more decompressed bytes will come */
    int failed;       /* a read/inflate error happened */
    struct ra_err fail;
    int fail_reported;
    size_t max_line;
    char excerpt[256]; /* the start of a too-long line */
    size_t chunk;      /* read size: RA_CHUNK, smaller for memory */
    uint64_t hole_at, hole_bytes; /* NUL runs skipped (ra_reader_holes) */
};

static int
raw_read(struct ra_reader *r, void *dst, size_t n, size_t *got)
{
    if (r->fd < 0) {
        size_t left = r->mem_len - r->mem_pos;
        *got = n < left ? n : left;
        memcpy(dst, r->mem + r->mem_pos, *got);
        r->mem_pos += *got;
        return 0;
    }
    for (;;) {
        ssize_t k = read(r->fd, dst, n);
        if (k >= 0) {
            *got = (size_t)k;
            return 0;
        }
        if (errno != EINTR)
            return -1;
    }
}

static void
set_fail(struct ra_reader *r, const char *fmt, const char *detail,
         unsigned long long at)
{
    r->failed = 1;
    r->eof = 1;
    ra_err_set(&r->fail, RA_EIO, fmt, r->name, detail, at);
}

/* Append up to `want` decompressed bytes at buf+end. Returns bytes added;
 * 0 means end of stream or failure (r->eof set). */
static size_t
fill_plain(struct ra_reader *r, size_t want)
{
    size_t got;
    if (raw_read(r, r->buf + r->end, want, &got) != 0) {
        set_fail(r, "cannot read '%s': %s (at byte %llu)", strerror(errno),
                 (unsigned long long)(r->base + (r->end - r->start)));
        return 0;
    }
    if (got == 0)
        r->eof = 1;
    r->end += got;
    return got;
}

static size_t
fill_gzip(struct ra_reader *r, size_t want)
{
    z_stream *zs = &r->zs;
    size_t before = r->end;

    zs->next_out = (unsigned char *)r->buf + r->end;
    zs->avail_out = (uInt)want;
    while (zs->avail_out > 0) {
        if (zs->avail_in == 0 && !r->zdone) {
            size_t got;
            r->zin_total += (uint64_t)(zs->next_in - r->zin);
            if (raw_read(r, r->zin, r->chunk, &got) != 0) {
                set_fail(r, "cannot read '%s': %s (at compressed byte %llu)",
                         strerror(errno), (unsigned long long)r->zin_total);
                break;
            }
            zs->next_in = r->zin;
            zs->avail_in = (uInt)got;
            if (got == 0)
                r->zdone = 1;
        }
        if (zs->avail_in == 0 && r->zdone) {
            if (r->zinit == 2) { /* between members: a clean end */
                r->eof = 1;
                break;
            }
            set_fail(r, "'%s': truncated gzip data%s at compressed byte %llu",
                     "", (unsigned long long)(r->zin_total +
                                              (uint64_t)(zs->next_in -
                                                         r->zin)));
            break;
        }
        if (r->zinit == 2) {
            /* A new member must start with the gzip magic. */
            if (zs->avail_in < 2 && !r->zdone) {
                /* Need more bytes: move the byte down and read on. */
                unsigned char c = zs->next_in[0];
                size_t got;
                r->zin_total += (uint64_t)(zs->next_in - r->zin);
                r->zin[0] = c;
                if (raw_read(r, r->zin + 1, r->chunk - 1, &got) != 0) {
                    set_fail(r, "cannot read '%s': %s (at compressed byte "
                                "%llu)",
                             strerror(errno),
                             (unsigned long long)r->zin_total);
                    break;
                }
                zs->next_in = r->zin;
                zs->avail_in = (uInt)(got + 1);
                if (got == 0)
                    r->zdone = 1;
                continue;
            }
            if (!gzip_magic(zs->next_in, zs->avail_in)) {
                set_fail(r, "'%s': %sgarbage after gzip member at compressed "
                            "byte %llu",
                         "",
                         (unsigned long long)(r->zin_total +
                                              (uint64_t)(zs->next_in -
                                                         r->zin)));
                break;
            }
            inflateReset(zs);
            r->zinit = 1;
        }
        int rc = inflate(zs, Z_NO_FLUSH);
        if (rc == Z_STREAM_END) {
            r->zinit = 2;
            continue;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            set_fail(r, "'%s': corrupt gzip data (%s) at compressed byte %llu",
                     zs->msg ? zs->msg : "inflate error",
                     (unsigned long long)(r->zin_total +
                                          (uint64_t)(zs->next_in - r->zin)));
            break;
        }
        if (rc == Z_BUF_ERROR && zs->avail_in > 0)
            break; /* output full */
    }
    r->end = (size_t)((char *)zs->next_out - r->buf);
    return r->end - before;
}

/* Make room and read more bytes into buf. Returns bytes added. */
static size_t
fill(struct ra_reader *r)
{
    if (r->eof)
        return 0;
    if (r->start > 0 && r->start == r->end) {
        r->start = r->end = 0;
    } else if (r->start > r->cap / 2) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
    }
    if (r->cap - r->end < r->chunk) {
        r->cap = r->end + r->chunk;
        r->buf = xrealloc(r->buf, r->cap);
    }
    size_t want = r->cap - r->end;
    return r->gzip ? fill_gzip(r, want) : fill_plain(r, want);
}

static void
init_common(struct ra_reader *r, size_t max_line, size_t chunk)
{
    r->max_line = max_line ? max_line : (1u << 20);
    r->chunk = chunk;
    r->cap = chunk;
    r->buf = xmalloc(r->cap);
}

/* Files a log directory may hold that are not logs: compressions
 * logrotate's compresscmd may use that zlib does not read, and SQLite
 * databases. Known by their magic bytes, so that such a file is one clear
 * error, not lines of binary rejected. */
static const struct {
    const char *magic;
    size_t len;
    int level; /* the magic is followed by a digit 1-9 (bzip2's block size) */
    const char *what;
} foreign[] = {
    {"\xfd" "7zXZ\0", 6, 0, "xz-compressed: decompress it (xz -d)"},
    {"\x28\xb5\x2f\xfd", 4, 0, "zstd-compressed: decompress it (zstd -d)"},
    {"BZh", 3, 1, "bzip2-compressed: decompress it (bzip2 -d)"},
    {"\x04\x22\x4d\x18", 4, 0, "lz4-compressed: decompress it (lz4 -d)"},
    {"PK\x03\x04", 4, 0, "a zip archive: unpack it (unzip)"},
    {"SQLite format 3", 16, 0, "an SQLite database, not a log"},
};

/* Look at the first bytes to decide gzip or not (or a compression that
 * is not read: an error). */
static int
detect(struct ra_reader *r)
{
    while (r->end - r->start < 16 && !r->eof) {
        r->gzip = 0;
        if (fill(r) == 0 && r->failed)
            return -1;
    }
    const unsigned char *b = (const unsigned char *)r->buf + r->start;
    size_t have = r->end - r->start;
    for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++)
        if (have >= foreign[i].len + (size_t)foreign[i].level &&
            !memcmp(b, foreign[i].magic, foreign[i].len) &&
            (!foreign[i].level || (b[foreign[i].len] >= '1' &&
                                   b[foreign[i].len] <= '9'))) {
            ra_err_set(&r->fail, RA_EIO,
                       "'%s' is %s; relayaudit reads plain and gzip files",
                       r->name, foreign[i].what);
            return -1;
        }
    if (gzip_magic(r->buf + r->start, r->end - r->start)) {
        /* Hand the bytes already read to zlib as the first input. */
        r->gzip = 1;
        r->zin = xmalloc(r->chunk);
        have = r->end - r->start;
        memcpy(r->zin, r->buf + r->start, have);
        memset(&r->zs, 0, sizeof r->zs);
        r->zs.next_in = r->zin;
        r->zs.avail_in = (uInt)have;
        r->zdone = r->eof && !r->failed;
        r->eof = 0;
        r->start = r->end = 0;
        if (inflateInit2(&r->zs, 15 + 16) != Z_OK)
            return -1;
        r->zinit = 1;
    }
    return 0;
}

int64_t
ra_reader_probe(const char *path, int *gzip)
{
    struct stat st;
    unsigned char m[2];
    *gzip = 0;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        *gzip = gzip_magic(m, read(fd, m, 2) == 2 ? 2 : 0);
        close(fd);
    }
    return (int64_t)st.st_size;
}

int
ra_reader_open(struct ra_reader **out, const char *path, size_t max_line,
               struct ra_err *err)
{
    struct ra_reader *r = xcalloc(1, sizeof *r);
    init_common(r, max_line, RA_CHUNK);
    r->name = path;
    if (!strcmp(path, "-")) {
        r->fd = 0;
        r->name = "(stdin)";
    } else {
        r->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (r->fd < 0) {
            ra_err_set(err, RA_EIO, "cannot open '%s': %s", path,
                       strerror(errno));
            ra_reader_close(r);
            return RA_EIO;
        }
        r->own_fd = 1;
    }
    if (detect(r) != 0) {
        ra_err_set(err, RA_EIO, "%s", r->fail.msg);
        ra_reader_close(r);
        return RA_EIO;
    }
    *out = r;
    return 0;
}

struct ra_reader *
ra_reader_open_mem(const void *buf, size_t len, size_t max_line)
{
    struct ra_reader *r = xcalloc(1, sizeof *r);
    /* Small reads for memory: tests and fuzzing open many small inputs. */
    init_common(r, max_line, 4096);
    r->fd = -1;
    r->name = "(memory)";
    r->mem = xmalloc(len ? len : 1);
    if (len)
        memcpy(r->mem, buf, len);
    r->mem_len = len;
    (void)detect(r); /* failure is kept in r->fail and reported by next */
    return r;
}

void
ra_reader_close(struct ra_reader *r)
{
    if (!r)
        return;
    if (r->zinit)
        inflateEnd(&r->zs);
    if (r->own_fd)
        close(r->fd);
    free(r->zin);
    free(r->buf);
    free(r->mem);
    free(r);
}

int
ra_reader_is_gzip(const struct ra_reader *r)
{
    return r->gzip;
}

/* Discard the run of NUL bytes at buf[start]: a hole, not text. */
static void
skip_hole(struct ra_reader *r)
{
    if (!r->hole_bytes)
        r->hole_at = r->base;
    for (;;) {
        const char *s = r->buf + r->start;
        size_t have = r->end - r->start, n = 0;
        while (n < have && !s[n])
            n++;
        r->start += n;
        r->base += n;
        r->hole_bytes += n;
        if (n < have || fill(r) == 0)
            return;
    }
}

long
ra_reader_peek(struct ra_reader *r, size_t n, const char **p,
               struct ra_err *err)
{
    if (r->start == r->end)
        fill(r);
    if (r->start < r->end && !r->buf[r->start])
        skip_hole(r);
    while (r->end - r->start < n && !r->eof)
        if (fill(r) == 0 && r->failed)
            break;
    (void)err; /* a failure is reported by the line reader, in order */
    *p = r->buf + r->start;
    size_t have = r->end - r->start;
    return (long)(have < n ? have : n);
}

int
ra_reader_skip(struct ra_reader *r, uint64_t n, struct ra_err *err)
{
    if (r->hole_bytes && n > r->hole_at) { /* peek's hole, before n: read */
        uint64_t to = n < r->base ? n : r->base;
        r->hole_bytes -= to - r->hole_at;
        r->hole_at = to;
    }
    n = n > r->base ? n - r->base : 0;
    while (n > 0) {
        size_t have = r->end - r->start;
        if (have >= n) {
            r->start += (size_t)n;
            r->base += n;
            return 0;
        }
        r->start += have;
        r->base += have;
        n -= have;
        if (!r->gzip && r->fd >= 0 && r->fd != 0) {
            off_t at = lseek(r->fd, 0, SEEK_CUR);
            off_t size = lseek(r->fd, 0, SEEK_END);
            if (at >= 0 && size >= 0 && (uint64_t)(size - at) >= n &&
                lseek(r->fd, at + (off_t)n, SEEK_SET) >= 0) {
                r->base += n;
                return 0;
            }
            if (at >= 0)
                lseek(r->fd, at, SEEK_SET);
        }
        if (fill(r) == 0) {
            if (r->failed)
                return ra_err_set(err, RA_EIO, "%s", r->fail.msg);
            return ra_err_set(err, RA_EIO,
                              "'%s' is shorter than the %llu bytes already "
                              "read from it",
                              r->name, (unsigned long long)(r->base + n));
        }
    }
    return 0;
}

uint64_t
ra_reader_tell(const struct ra_reader *r)
{
    return r->base;
}

uint64_t
ra_reader_holes(const struct ra_reader *r, uint64_t *first_at)
{
    *first_at = r->hole_at;
    return r->hole_bytes;
}

uint64_t
ra_reader_zpos(const struct ra_reader *r)
{
    return r->gzip ? r->zin_total + (uint64_t)(r->zs.next_in - r->zin) : 0;
}

/* Discard bytes up to and including the next '\n' (or to the end). */
static void
skip_rest_of_line(struct ra_reader *r)
{
    for (;;) {
        char *s = r->buf + r->start;
        size_t have = r->end - r->start;
        char *nl = memchr(s, '\n', have);
        size_t drop = nl ? (size_t)(nl - s) + 1 : have;
        r->start += drop;
        r->base += drop;
        if (nl || fill(r) == 0)
            return;
    }
}

int
ra_reader_next(struct ra_reader *r, struct ra_line *l, struct ra_err *err)
{
    size_t scanned = 0;

    for (;;) {
        char *s = r->buf + r->start;
        size_t have = r->end - r->start;
        if (!scanned && have && !*s) {
            skip_hole(r);
            continue;
        }
        char *nl = memchr(s + scanned, '\n', have - scanned);
        if (nl) {
            size_t len = (size_t)(nl - s);
            if (len > r->max_line)
                goto too_long;
            l->p = s;
            l->offset = r->base;
            l->terminated = 1;
            l->too_long = 0;
            l->damaged = 0;
            r->start += len + 1;
            r->base += len + 1;
            l->end = r->base;
            if (len && s[len - 1] == '\r')
                len--;
            l->len = len;
            return 1;
        }
        scanned = have;
        if (have > r->max_line)
            goto too_long;
        if (fill(r) == 0) {
            have = r->end - r->start;
            if (have == 0)
                break;
            /* A last line without a newline (or before damage). */
            l->p = r->buf + r->start;
            l->offset = r->base;
            l->terminated = 0;
            l->too_long = 0;
            l->damaged = r->failed;
            r->start += have;
            r->base += have;
            l->end = r->base;
            l->len = have;
            if (have && l->p[have - 1] == '\r')
                l->len--;
            return 1;
        }
    }
    if (r->failed && !r->fail_reported) {
        r->fail_reported = 1;
        ra_err_set(err, RA_EIO, "%s", r->fail.msg);
        return RA_EIO;
    }
    return 0;

too_long:
    /* Keep an excerpt, then drop the line without buffering it whole. */
    memcpy(r->excerpt, r->buf + r->start, sizeof r->excerpt);
    l->p = r->excerpt;
    l->len = sizeof r->excerpt;
    l->offset = r->base;
    l->too_long = 1;
    l->damaged = 0;
    skip_rest_of_line(r);
    l->terminated = 1;
    l->end = r->base;
    return 1;
}
