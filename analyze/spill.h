/* spill.h -- rows cut into partitions in a temporary file (spill.c). */
#ifndef RA_SPILL_H
#define RA_SPILL_H

#include "common/ra.h"

#include <stddef.h>

struct ra_spill;

/* A spill of nparts partitions, in a temporary file of SQLite's (where its
 * sorts put theirs: SQLITE_TMPDIR, TMPDIR, /var/tmp, ...), removed when
 * the spill is freed. NULL, and err set, when the file cannot be made. */
struct ra_spill *ra_spill_new(size_t nparts, struct ra_err *err);

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

#endif
