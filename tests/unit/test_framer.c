/* test_framer.c -- records out of lines: CSV records over quoted newlines,
 * a stray quote, a quote that never closes (its line alone, the lines after
 * it read again), a plain file's unterminated tail, and lines of a non-CSV
 * format as they are. Each record is printed as "kind:nlines:text" ('/' for a
 * newline inside it). */
#include "check.h"
#include "ingest/framer.h"
#include "ingest/ingest.h"

#include <string.h>

static struct ra_format **fmts;
static size_t nfmts;

static void
frames(const char *fmt, const char *in, size_t max_line, int hold_tail,
       const char *want)
{
    struct ra_timectx tc;
    struct ra_err err = {0};
    struct ra_buf out = RA_BUF_INIT;
    struct ra_framer fr;
    struct ra_lines f;
    int got;

    memset(&tc, 0, sizeof tc);
    struct ra_parser *p = ra_parser_new(ra_formats_find(fmts, nfmts, fmt), &tc);
    struct ra_reader *r = ra_reader_open_mem(in, strlen(in), 1u << 20);
    ra_framer_init(&fr, r, p, max_line, hold_tail);
    while ((got = ra_framer_next(&fr, &f, &err)) == 1) {
        ra_buf_addf(&out, "%s%s:%lld:", out.len ? " | " : "",
                    f.kind == RA_LINES_UNCLOSED ? "unclosed"
                    : f.kind == RA_LINES_TAIL   ? "tail"
                                                : "whole",
                    (long long)f.nlines);
        for (size_t i = 0; i < f.n; i++)
            ra_buf_addc(&out, f.p[i] == '\n' ? '/' : f.p[i]);
        if (!f.terminated)
            ra_buf_addc(&out, '$');
    }
    CHECK_INT(got, 0);
    CHECK_STR(out.data ? out.data : "", want);
    ra_framer_free(&fr);
    ra_reader_close(r);
    ra_parser_free(p);
    ra_buf_release(&out);
}

int
main(void)
{
    struct ra_err err = {0};
    CHECK_INT(ra_formats_load_all(&fmts, &nfmts, NULL, &err), 0);

    /* a quoted newline joins; a stray quote is a line alone; a quote
     * that meets a malformed line is unclosed, and the lines after it are
     * read again */
    frames("relayaudit-map",
           "caller,account\n"
           "a,\"x\ny\"\n"
           "s,\"say \"hi\" twice\n"
           "b,\"open\n"
           "c,d\n"
           "e,\"f\"g\n"
           "h,i\n",
           1u << 20, 1,
           "whole:1:caller,account | whole:2:a,\"x/y\" | "
           "whole:1:s,\"say \"hi\" twice | unclosed:1:b,\"open | "
           "whole:1:c,d | whole:1:e,\"f\"g | whole:1:h,i");
    /* open to the end of a compressed (or any non-plain) stream:
     * unclosed; of a plain file's unterminated tail: whole, waiting */
    frames("relayaudit-map", "j,\"k\nl\nm\n", 1u << 20, 0,
           "unclosed:1:j,\"k | whole:1:l | whole:1:m");
    frames("relayaudit-map", "j,\"k\nl", 1u << 20, 1, "tail:2:j,\"k/l$");
    frames("relayaudit-map", "a,b\nc,d", 1u << 20, 1,
           "whole:1:a,b | tail:1:c,d$");
    frames("relayaudit-map", "a,b\nc,d", 1u << 20, 0,
           "whole:1:a,b | whole:1:c,d$");
    frames("relayaudit-map", "j,\"k\nl\n", 1u << 20, 1,
           "unclosed:1:j,\"k | whole:1:l");
    /* past max_line: unclosed */
    frames("relayaudit-map", "n,\"1234567890\nabcdefghij\nklmnopqrst\no,p\n",
           16, 1,
           "unclosed:1:n,\"1234567890 | whole:1:abcdefghij | "
           "whole:1:klmnopqrst | whole:1:o,p");
    /* a format that is not CSV: lines as they are, quotes or not */
    frames("squid", "a \"b\nc\n", 1u << 20, 1, "whole:1:a \"b | whole:1:c");

    ra_formats_free(fmts, nfmts);
    return check_done();
}
