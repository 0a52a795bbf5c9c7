/* test_reader.c -- the line reader over plain, gzip (multi-member,
 * truncated, corrupt) and memory sources. */
#include "check.h"
#include "ingest/reader.h"

#include <stdlib.h>
#include <zlib.h>

/* One gzip member of s. */
static size_t
gz(const char *s, unsigned char *out, size_t cap)
{
    z_stream z = {0};
    deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    z.next_in = (unsigned char *)(uintptr_t)s;
    z.avail_in = (uInt)strlen(s);
    z.next_out = out;
    z.avail_out = (uInt)cap;
    deflate(&z, Z_FINISH);
    size_t n = z.total_out;
    deflateEnd(&z);
    return n;
}

/* All lines of buf joined by '|', terminated flags as '$' after each. */
static int
read_all(const void *buf, size_t n, size_t max_line, char *out, size_t cap,
         struct ra_err *err)
{
    struct ra_reader *r = ra_reader_open_mem(buf, n, max_line);
    struct ra_line l;
    int rc;
    size_t o = 0;
    out[0] = '\0';
    while ((rc = ra_reader_next(r, &l, err)) == 1) {
        o += (size_t)snprintf(out + o, cap - o, "%s%.*s%s", o ? "|" : "",
                              (int)(l.too_long ? 5 : l.len), l.p,
                              l.too_long ? "[long]" : l.terminated ? "" : "$");
    }
    ra_reader_close(r);
    return rc;
}

static void
test_plain(void)
{
    char out[256];
    struct ra_err err = {0};
    CHECK_INT(read_all("a\nbb\r\n\nccc", 10, 100, out, sizeof out, &err), 0);
    CHECK_STR(out, "a|bb||ccc$");
    CHECK_INT(read_all("", 0, 100, out, sizeof out, &err), 0);
    CHECK_STR(out, "");
    CHECK_INT(read_all("x\n", 2, 100, out, sizeof out, &err), 0);
    CHECK_STR(out, "x");
}

static void
test_too_long(void)
{
    char out[256], big[5000];
    struct ra_err err = {0};
    memset(big, 'z', sizeof big);
    memcpy(big, "ok\n", 3);
    big[4000] = '\n';
    memcpy(big + 4001, "end\n", 4);
    CHECK_INT(read_all(big, 4005, 1000, out, sizeof out, &err), 0);
    CHECK_STR(out, "ok|zzzzz[long]|end");
}

static void
test_offsets(void)
{
    struct ra_reader *r = ra_reader_open_mem("ab\ncd\nef", 8, 100);
    struct ra_line l;
    struct ra_err err = {0};
    CHECK_INT(ra_reader_next(r, &l, &err), 1);
    CHECK_INT(l.offset, 0);
    CHECK_INT(l.end, 3);
    CHECK_INT(ra_reader_next(r, &l, &err), 1);
    CHECK_INT(l.offset, 3);
    CHECK_INT(l.end, 6);
    CHECK_INT(ra_reader_next(r, &l, &err), 1);
    CHECK_INT(l.end, 8);
    CHECK_INT(l.terminated, 0);
    ra_reader_close(r);

    const char *p;
    r = ra_reader_open_mem("ab\ncd\nef\n", 9, 100);
    CHECK_INT(ra_reader_peek(r, 4, &p, &err), 4);
    CHECK(!memcmp(p, "ab\nc", 4));
    CHECK_INT(ra_reader_skip(r, 3, &err), 0);
    CHECK_INT(ra_reader_next(r, &l, &err), 1);
    CHECK(l.len == 2 && !memcmp(l.p, "cd", 2));
    CHECK_INT(l.offset, 3);
    ra_reader_close(r);
}

/* NUL runs where lines start are holes: skipped by peek and next, counted;
 * a NUL inside a line is the line's. Resuming past the leading hole does
 * not count it again. */
static void
test_holes(void)
{
    static const char text[] = "\0\0\0ab\n\0\0c\0d\n\0";
    struct ra_err err = {0};
    struct ra_line l;
    const char *p;
    uint64_t at;
    struct ra_reader *r = ra_reader_open_mem(text, sizeof text - 1, 100);
    CHECK_INT(ra_reader_peek(r, 4, &p, &err), 4);
    CHECK(!memcmp(p, "ab\n\0", 4));
    CHECK_INT(ra_reader_tell(r), 3);
    CHECK_INT(ra_reader_next(r, &l, &err), 1);
    CHECK(l.len == 2 && !memcmp(l.p, "ab", 2));
    CHECK_INT(l.offset, 3);
    CHECK_INT(ra_reader_next(r, &l, &err), 1);
    CHECK(l.len == 3 && !memcmp(l.p, "c\0d", 3));
    CHECK_INT(l.offset, 8);
    CHECK_INT(ra_reader_next(r, &l, &err), 0);
    CHECK_INT(ra_reader_holes(r, &at), 6);
    CHECK_INT(at, 0);
    ra_reader_close(r);

    r = ra_reader_open_mem(text, sizeof text - 1, 100);
    CHECK_INT(ra_reader_peek(r, 4, &p, &err), 4);
    CHECK_INT(ra_reader_skip(r, 6, &err), 0);
    CHECK_INT(ra_reader_next(r, &l, &err), 1);
    CHECK(l.len == 3 && !memcmp(l.p, "c\0d", 3));
    CHECK_INT(ra_reader_next(r, &l, &err), 0);
    CHECK_INT(ra_reader_holes(r, &at), 3);
    CHECK_INT(at, 6);
    ra_reader_close(r);
}

static void
test_gzip(void)
{
    unsigned char buf[4096];
    char out[256];
    struct ra_err err = {0};
    size_t n = gz("one\ntwo\n", buf, sizeof buf);
    n += gz("three\nfour", buf + n, sizeof buf - n);

    CHECK_INT(read_all(buf, n, 100, out, sizeof out, &err), 0);
    CHECK_STR(out, "one|two|three|four$");

    /* Truncated inside the second member: the first member's lines and
     * what inflated before the cut come out, then an error. */
    size_t first = gz("one\ntwo\n", buf, sizeof buf);
    CHECK_INT(read_all(buf, n - 6, 100, out, sizeof out, &err), RA_EIO);
    CHECK(!strncmp(out, "one|two|", 8));
    CHECK(strstr(err.msg, "truncated gzip") != NULL);

    /* Garbage after a member is reported, not silently ignored. */
    memcpy(buf + first, "GARBAGE", 7);
    CHECK_INT(read_all(buf, first + 7, 100, out, sizeof out, &err), RA_EIO);
    CHECK_STR(out, "one|two");
    CHECK(strstr(err.msg, "garbage after gzip member") != NULL);

    /* A corrupt deflate stream. */
    n = gz("hello world\nagain\n", buf, sizeof buf);
    buf[12] ^= 0xff;
    buf[13] ^= 0xff;
    CHECK_INT(read_all(buf, n, 100, out, sizeof out, &err), RA_EIO);
    CHECK(strstr(err.msg, "gzip") != NULL);

    /* gzip magic alone. */
    CHECK_INT(read_all("\x1f\x8b", 2, 100, out, sizeof out, &err), RA_EIO);
}

static void
test_open_missing(void)
{
    struct ra_reader *r = NULL;
    struct ra_err err = {0};
    CHECK_INT(ra_reader_open(&r, "/nonexistent/x.log", 100, &err), RA_EIO);
    CHECK(strstr(err.msg, "cannot open '/nonexistent/x.log'") != NULL);
    CHECK(r == NULL);
}

int
main(void)
{
    test_plain();
    test_too_long();
    test_offsets();
    test_holes();
    test_gzip();
    test_open_missing();
    return check_done();
}
