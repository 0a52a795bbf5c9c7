/* reader.h -- "give me the next line" over any byte source.
 *
 * Why: parsers must not care whether bytes come from a .gz, a plain file,
 * stdin or a test string. gzip is detected by its magic bytes, not by the
 * file name, and concatenated members are read in turn. Memory is bounded:
 * a line longer than max_line is reported as too long and skipped without
 * being buffered.
 */
#ifndef RA_READER_H
#define RA_READER_H

#include "common/ra.h"

struct ra_reader;

struct ra_line {
    const char *p;     /* borrowed: valid until the next call */
    size_t len;        /* without the '\n' and a trailing '\r' */
    uint64_t offset;   /* byte offset of the line in the decompressed stream */
    uint64_t end;      /* offset just after the line's '\n' (or its end) */
    int terminated;    /* 0 for a last line without '\n' */
    int too_long;      /* 1: longer than max_line; p/len hold its start */
    int damaged;       /* 1: cut off by a read or decompression error */
};

/* Open path ("-" is stdin). On success sets *out and returns 0; on failure
 * returns RA_EIO and fills err. */
int ra_reader_open(struct ra_reader **out, const char *path, size_t max_line,
                   struct ra_err *err) RA_WUR;
/* Read from a copy of buf[0..len) (tests, fuzzing). Never fails. */
struct ra_reader *ra_reader_open_mem(const void *buf, size_t len,
                                     size_t max_line);
void ra_reader_close(struct ra_reader *r); /* NULL is a no-op */

/* A regular file's size, and in *gzip whether it starts as gzip does, as
 * ra_reader_open would tell; 0 for anything else, which is not opened (a
 * pipe's bytes read here would be lost to its reader). */
int64_t ra_reader_probe(const char *path, int *gzip);

/* 1 if the stream is gzip-compressed. Valid after open. */
int ra_reader_is_gzip(const struct ra_reader *r);

/* The first up-to-n decompressed bytes after a leading hole (below),
 * without consuming them (used for the ledger's fingerprint): a file is
 * known by its text, not by the length of its hole. Must be called before
 * any line is read. Returns the number of bytes available in *p (borrowed),
 * or RA_EIO. */
long ra_reader_peek(struct ra_reader *r, size_t n, const char **p,
                    struct ra_err *err);

/* Skip to decompressed offset n (to resume a file; an offset within a hole
 * already skipped is a no-op). Before any line is read. Returns 0, or RA_EIO
 * when the stream is shorter or broken. */
int ra_reader_skip(struct ra_reader *r, uint64_t n, struct ra_err *err);

/* Next line: 1 = line in *l, 0 = end of stream, RA_EIO = the stream broke
 * (err says where; every line before the damage was returned). After an
 * error, a partial line before the damage is returned once more as a line
 * with terminated = 0 and then 0. */
int ra_reader_next(struct ra_reader *r, struct ra_line *l, struct ra_err *err);

/* NUL bytes where a line would start are a hole, not a line: what a
 * writer leaves when logrotate's copytruncate empties its file under it and
 * it writes on at its old offset. ra_reader_peek and ra_reader_next skip
 * them; this returns how many they skipped, and in *first_at where the
 * first run began. */
uint64_t ra_reader_holes(const struct ra_reader *r, uint64_t *first_at);

/* Decompressed bytes consumed so far (the offset of the next line). */
uint64_t ra_reader_tell(const struct ra_reader *r);
/* The compressed bytes inflated so far (gzip), else 0: how far through the
 * file a .gz is, for an ETA. */
uint64_t ra_reader_zpos(const struct ra_reader *r);

#endif
