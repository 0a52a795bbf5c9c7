/* framer.h -- records out of lines.
 *
 * A record is a line, or for CSV the lines a quoted newline joins. Where a
 * CSV record ends is the CSV engine's call (ra_parser_csv_frame), so that a
 * stray quote is not taken for a quoted newline. A record whose quote does
 * not close -- at a malformed line, past max_line or at the end -- is an
 * unclosed quote: its first line alone is given (to be rejected) and the
 * lines after it are read again as records of their own, not swallowed
 * into its cell. Every line but the last of a join that did not close
 * holds an even count of quotes, so read again each is a record alone:
 * the work stays linear.
 */
#ifndef RA_FRAMER_H
#define RA_FRAMER_H

#include "common/ra.h"
#include "ingest/format.h"
#include "ingest/reader.h"

/* A record whole; a plain file's unterminated last one, which may be still
 * being written (hold_tail); the first line of an unclosed quote. */
enum { RA_LINES_WHOLE, RA_LINES_TAIL, RA_LINES_UNCLOSED };

/* One record's lines. */
struct ra_lines {
    const char *p;  /* borrowed: valid until the next ra_framer_next */
    size_t n;
    int64_t nlines; /* the lines it covers */
    uint64_t end;   /* where its last line ends in the stream */
    int terminated, too_long, damaged; /* as struct ra_line says */
    int kind;       /* RA_LINES_*; UNCLOSED: p is the first line alone */
    int broken;     /* a read error cut it off: the last record */
};

struct ra_framer {
    struct ra_reader *r;
    struct ra_parser *ps; /* the CSV framing decisions */
    size_t max_line;
    int hold_tail; /* a plain file: open to its unterminated end, a record
                      may be still being written and waits whole */
    struct ra_buf rec, spans;    /* the record being joined and its lines */
    struct ra_buf again, aspans; /* lines to read again */
    size_t anext;
};

void ra_framer_init(struct ra_framer *fr, struct ra_reader *r,
                    struct ra_parser *ps, size_t max_line, int hold_tail);
void ra_framer_free(struct ra_framer *fr);
/* The next record into *f: 1, 0 at the end, or RA_EIO on a read error
 * (err says why). */
int ra_framer_next(struct ra_framer *fr, struct ra_lines *f,
                   struct ra_err *err);

#endif
