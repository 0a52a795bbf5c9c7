/* framer.c -- records out of lines (see framer.h). */
#include "ingest/framer.h"

#include <string.h>

static int
quotes_odd(const char *p, size_t n)
{
    size_t q = 0;
    for (size_t i = 0; i < n; i++)
        q += p[i] == '"';
    return (int)(q & 1);
}

struct span { /* one line of a joined record, or one to read again */
    size_t off, len;
    uint64_t end;
    unsigned char terminated, too_long, damaged;
};

void
ra_framer_init(struct ra_framer *fr, struct ra_reader *r, struct ra_parser *ps,
               size_t max_line, int hold_tail)
{
    memset(fr, 0, sizeof *fr);
    fr->r = r;
    fr->ps = ps;
    fr->max_line = max_line;
    fr->hold_tail = hold_tail;
}

void
ra_framer_free(struct ra_framer *fr)
{
    ra_buf_release(&fr->rec);
    ra_buf_release(&fr->spans);
    ra_buf_release(&fr->again);
    ra_buf_release(&fr->aspans);
}

/* Line i of spans, its text in text. */
static struct ra_line
span_line(const struct ra_buf *text, const struct ra_buf *spans, size_t i)
{
    const struct span *s = (const struct span *)spans->data + i;
    return (struct ra_line){text->data + s->off, s->len, 0, s->end,
                            s->terminated, s->too_long, s->damaged};
}

/* The next line: one to read again first, else the reader's. */
static int
next_line(struct ra_framer *fr, struct ra_line *l, struct ra_err *err)
{
    if (fr->anext < fr->aspans.len / sizeof(struct span)) {
        *l = span_line(&fr->again, &fr->aspans, fr->anext++);
        return 1;
    }
    return ra_reader_next(fr->r, l, err);
}

static void
add_span(struct ra_buf *text, struct ra_buf *spans, const struct ra_line *l)
{
    struct span s = {text->len, l->len, l->end, (unsigned char)l->terminated,
                     (unsigned char)l->too_long, (unsigned char)l->damaged};
    ra_buf_add(text, l->p, l->len);
    ra_buf_add(spans, &s, sizeof s);
}

/* A record read whole, or a tail that waits. */
static int
whole(const struct ra_framer *fr, struct ra_lines *f)
{
    f->kind = fr->hold_tail && !f->terminated ? RA_LINES_TAIL : RA_LINES_WHOLE;
    return 1;
}

static void
line_frame(struct ra_lines *f, const struct ra_line *l)
{
    *f = (struct ra_lines){l->p, l->len, 1, l->end, l->terminated, l->too_long,
                           l->damaged, RA_LINES_WHOLE, 0};
}

/* The joined lines after the first are read again, before any left to
 * read again from earlier. */
static void
read_again(struct ra_framer *fr)
{
    size_t n = fr->spans.len / sizeof(struct span);
    size_t na = fr->aspans.len / sizeof(struct span);
    struct ra_buf text = RA_BUF_INIT, spans = RA_BUF_INIT;
    struct ra_line l;

    for (size_t i = 1; i < n; i++) {
        l = span_line(&fr->rec, &fr->spans, i);
        add_span(&text, &spans, &l);
    }
    for (size_t i = fr->anext; i < na; i++) {
        l = span_line(&fr->again, &fr->aspans, i);
        add_span(&text, &spans, &l);
    }
    ra_buf_release(&fr->again);
    ra_buf_release(&fr->aspans);
    fr->again = text;
    fr->aspans = spans;
    fr->anext = 0;
}

/* The next record into *f: 1, 0 at the end, -1 on a read error. */
int
ra_framer_next(struct ra_framer *fr, struct ra_lines *f, struct ra_err *err)
{
    struct ra_line l;
    int got = next_line(fr, &l, err);

    if (got <= 0)
        return got;
    line_frame(f, &l);
    if (l.too_long || l.damaged ||
        !ra_parser_csv_framing(fr->ps, l.p, l.len) ||
        !quotes_odd(l.p, l.len) ||
        ra_parser_csv_frame(fr->ps, l.p, l.len, 0) != RA_FRAME_MORE)
        return whole(fr, f); /* a line (a malformed one is rejected) */

    ra_buf_reset(&fr->rec);
    ra_buf_reset(&fr->spans);
    add_span(&fr->rec, &fr->spans, &l);
    for (;;) {
        enum ra_frame st = RA_FRAME_BAD;
        if (fr->rec.len <= fr->max_line &&
            (got = next_line(fr, &l, err)) > 0 && !l.too_long) {
            ra_buf_addc(&fr->rec, '\n');
            add_span(&fr->rec, &fr->spans, &l);
            if (!l.damaged)
                st = ra_parser_csv_frame(fr->ps, l.p, l.len, 1);
        }
        if (got > 0 && l.too_long)
            add_span(&fr->rec, &fr->spans, &l); /* read again */
        const struct span *last =
            (const struct span *)(fr->spans.data + fr->spans.len) - 1;
        if (st == RA_FRAME_MORE)
            continue;
        if (st == RA_FRAME_END || got < 0 || (got > 0 && l.damaged) ||
            (got == 0 && fr->hold_tail && !last->terminated)) {
            /* Whole; or cut off by a read error or by damage, kept whole
             * as the line would be; or a plain file's tail. */
            *f = (struct ra_lines){fr->rec.data, fr->rec.len,
                                   (int64_t)(fr->spans.len / sizeof *last),
                                   last->end, last->terminated, 0,
                                   got > 0 && l.damaged, RA_LINES_WHOLE,
                                   got < 0};
            return whole(fr, f);
        }
        /* Malformed at a later line, past max_line or open to the end. */
        const struct span *first = (const struct span *)fr->spans.data;
        *f = (struct ra_lines){fr->rec.data, first->len, 1, first->end,
                               first->terminated, 0, 0, RA_LINES_UNCLOSED, 0};
        read_again(fr);
        return 1;
    }
}

