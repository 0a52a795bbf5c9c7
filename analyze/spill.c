/* spill.c -- rows cut into partitions in a temporary file.
 *
 * Each partition fills a buffer of its own; a full buffer is written at
 * the file's end as one block, and the partition notes where. Reading a
 * partition back reads its blocks, then what its buffer still holds.
 * Memory: a buffer per partition that holds rows (made with its first),
 * and the partition read. The file is
 * SQLite's (its VFS's temporary files go where its sorts put theirs) and
 * goes when it is closed.
 */
#include "analyze/spill.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#define SPILL_BLOCK 16384 /* a partition's buffer, and each block written */

struct part {
    char *buf;               /* made with the first row */
    int read;                /* it was read: it takes no more */
    size_t n, rows;          /* bytes in buf; rows put */
    sqlite3_int64 *blk;      /* the offsets of its blocks in the file */
    size_t nblk, capblk;
};

struct ra_spill {
    sqlite3_file *f; /* f->pMethods: NULL until it is open */
    sqlite3_int64 end;
    const char *what;
    size_t nparts;
    struct part *p;
};

struct ra_spill *
ra_spill_new(size_t nparts, const char *what, struct ra_err *err)
{
    sqlite3_vfs *vfs = sqlite3_vfs_find(NULL);
    struct ra_spill *s = xcalloc(1, sizeof *s);
    int out = 0;
    s->nparts = nparts ? nparts : 1;
    s->what = what;
    s->p = xcalloc(s->nparts, sizeof *s->p);
    s->f = xcalloc(1, (size_t)vfs->szOsFile);
    if (vfs->xOpen(vfs, NULL, s->f,
                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                       SQLITE_OPEN_EXCLUSIVE | SQLITE_OPEN_DELETEONCLOSE |
                       SQLITE_OPEN_TEMP_JOURNAL,
                   &out) != SQLITE_OK) {
        ra_err_set(err, RA_EIO,
                   "cannot make a temporary file for %s (SQLITE_TMPDIR, "
                   "TMPDIR, /var/tmp, /usr/tmp, /tmp, then .)",
                   what);
        ra_spill_free(s);
        return NULL;
    }
    return s;
}

/* n bytes more of partition t's current row. */
static int
add(struct ra_spill *s, struct part *t, const void *p, size_t n,
    struct ra_err *err)
{
    const char *c = p;
    while (n) {
        size_t k = SPILL_BLOCK - t->n < n ? SPILL_BLOCK - t->n : n;
        memcpy(t->buf + t->n, c, k);
        t->n += k, c += k, n -= k;
        if (t->n < SPILL_BLOCK)
            break;
        int rc = s->f->pMethods->xWrite(s->f, t->buf, SPILL_BLOCK, s->end);
        if (rc != SQLITE_OK)
            return ra_err_set(err, RA_EIO,
                              "cannot write a temporary file for %s: %s",
                              s->what, sqlite3_errstr(rc));
        if (t->nblk == t->capblk) {
            t->capblk = t->capblk ? 2 * t->capblk : 16;
            t->blk = xrealloc(t->blk, t->capblk * sizeof *t->blk);
        }
        t->blk[t->nblk++] = s->end;
        s->end += SPILL_BLOCK;
        t->n = 0;
    }
    return 0;
}

int
ra_spill_put(struct ra_spill *s, size_t part, const void *p, size_t n,
             const void *q, size_t m, struct ra_err *err)
{
    struct part *t = &s->p[part];
    if (t->read)
        return ra_err_set(err, RA_EIO, "a spill's partition put after read");
    if (!t->buf)
        t->buf = xmalloc(SPILL_BLOCK);
    t->rows++;
    return add(s, t, p, n, err) || add(s, t, q, m, err) ? RA_EIO : 0;
}

int
ra_spill_read(struct ra_spill *s, size_t part, struct ra_buf *out,
              size_t *rows, struct ra_err *err)
{
    struct part *t = &s->p[part];
    ra_buf_reset(out);
    *rows = t->rows;
    if (t->read)
        return ra_err_set(err, RA_EIO, "a spill's partition read twice");
    t->read = 1;
    ra_buf_grow(out, t->nblk * SPILL_BLOCK + t->n);
    for (size_t b = 0; b < t->nblk; b++, out->len += SPILL_BLOCK)
        if (s->f->pMethods->xRead(s->f, out->data + out->len, SPILL_BLOCK,
                                  t->blk[b]) != SQLITE_OK)
            return ra_err_set(err, RA_EIO,
                              "cannot read a temporary file for %s",
                              s->what);
    ra_buf_add(out, t->buf, t->n);
    free(t->buf);
    free(t->blk);
    t->buf = NULL;
    t->blk = NULL;
    return 0;
}

size_t
ra_spill_count(int64_t rows, int64_t per)
{
#ifndef NDEBUG
    per = (int64_t)ra_env_number("RELAYAUDIT_TEST_SPILL_EVENTS", 1,
                                 (double)per, (double)per);
#endif
    size_t n = 1;
    while (n < RA_SPILL_PARTS && (int64_t)n * per < rows)
        n *= 2;
    return n;
}

size_t
ra_spill_parts(const struct ra_spill *s)
{
    return s->nparts;
}

void
ra_spill_free(struct ra_spill *s)
{
    if (!s)
        return;
    if (s->f->pMethods)
        s->f->pMethods->xClose(s->f);
    for (size_t i = 0; i < s->nparts; i++) {
        free(s->p[i].buf);
        free(s->p[i].blk);
    }
    free(s->p);
    free(s->f);
    free(s);
}
