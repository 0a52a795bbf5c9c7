/* spill.h -- rows cut into partitions in a temporary file (spill.c). */
#ifndef RA_SPILL_H
#define RA_SPILL_H

#include "common/ra.h"

#include <stddef.h>
#include <stdint.h>

struct ra_spill;

/* A spill of nparts partitions, in a temporary file of SQLite's (where its
 * sorts put theirs: SQLITE_TMPDIR, TMPDIR, /var/tmp, ...), removed when
 * the spill is freed; `what` (a constant) names it in messages. NULL, and
 * err set, when the file cannot be made. */
struct ra_spill *ra_spill_new(size_t nparts, const char *what,
                              struct ra_err *err);

/* Append a row to partition part: n bytes at p, then m at q. */
int ra_spill_put(struct ra_spill *s, size_t part, const void *p, size_t n,
                 const void *q, size_t m, struct ra_err *err) RA_WUR;

/* Everything put into partition part, in the order it was put, into out
 * (replacing what it held); *rows: the rows put there. Once read, a
 * partition takes no more rows. */
int ra_spill_read(struct ra_spill *s, size_t part, struct ra_buf *out,
                  size_t *rows, struct ra_err *err) RA_WUR;

size_t ra_spill_parts(const struct ra_spill *s);
void ra_spill_free(struct ra_spill *s);

/* Rows a partition, about: few enough that a partition's rows stay in the
 * core's caches while they are grouped or sorted. */
#define RA_SPILL_ROWS 32768
/* Partitions at most: each has a buffer (16 KiB). */
#define RA_SPILL_PARTS 1024

/* The partitions for up to `rows` rows, `per` a partition: the least
 * power of two that holds them, at most RA_SPILL_PARTS. The same on
 * every connection that counts the same rows. (Debug builds: the
 * environment's RELAYAUDIT_TEST_SPILL_EVENTS, when less, stands for per,
 * so that a test's few rows take many partitions.) */
size_t ra_spill_count(int64_t rows, int64_t per);

/* The partition of a row whose key (its group) is key, of nparts (a power
 * of two): the top bits of the key's product with an odd constant, not
 * ra_imap's, so that a partition's keys spread over a table of them. */
static inline size_t
ra_spill_part(int64_t key, size_t nparts)
{
    return nparts > 1 ? (size_t)(((uint64_t)key * 0xD6E8FEB86659FD93u) >>
                                 (64 - __builtin_ctzll(nparts)))
                      : 0;
}

/* How spilled rows write their numbers: LEB128 varints, and zigzag for
 * those that may be less than 0. */
static inline uint64_t
ra_zigzag(uint64_t d)
{
    return (d << 1) ^ (uint64_t)((int64_t)d >> 63);
}

static inline uint64_t
ra_unzigzag(uint64_t u)
{
    return (u >> 1) ^ (0 - (u & 1));
}

static inline unsigned char *
ra_varint_put(unsigned char *p, uint64_t v)
{
    for (; v >= 0x80; v >>= 7)
        *p++ = (unsigned char)(v | 0x80);
    *p++ = (unsigned char)v;
    return p;
}

static inline const unsigned char *
ra_varint_get(const unsigned char *p, uint64_t *v)
{
    uint64_t x = 0;
    int shift = 0;
    for (; *p & 0x80; shift += 7)
        x |= (uint64_t)(*p++ & 0x7f) << shift;
    *v = x | (uint64_t)*p++ << shift;
    return p;
}

#endif
