/* test_spill.c -- analyze/spill.c: rows put into partitions come back from
 * each partition in the order they were put, whole, across the file's
 * blocks (16 KiB) and within a buffer; each partition counts its rows; a
 * partition is read once, and takes no rows once read. */
#include "analyze/spill.h"
#include "check.h"

#include <stdint.h>
#include <stdlib.h>

/* Row i of partition p: "p:i:" then i % 97 bytes of 'a' + p, so that rows
 * of many lengths cross the blocks' ends. */
static void
row(struct ra_buf *b, size_t p, size_t i)
{
    ra_buf_reset(b);
    ra_buf_addf(b, "%zu:%zu:", p, i);
    for (size_t k = 0; k < i % 97; k++)
        ra_buf_addc(b, (char)('a' + p));
}

int
main(void)
{
    struct ra_err err = {0};
    struct ra_spill *s = ra_spill_new(3, "the test", &err);
    struct ra_buf r = RA_BUF_INIT, want = RA_BUF_INIT, got = RA_BUF_INIT;
    size_t rows = 0;
    /* partition 0: 3,000 rows (about 160 KiB, ten blocks); 1: 2 rows,
     * the second as a head and a tail; 2: none */
    CHECK(s != NULL);
    CHECK_INT(ra_spill_parts(s), 3);
    for (size_t i = 0; i < 3000; i++) {
        row(&r, 0, i);
        CHECK_INT(ra_spill_put(s, 0, r.data, r.len, NULL, 0, &err), 0);
        if (i < 2) {
            row(&r, 1, i);
            CHECK_INT(ra_spill_put(s, 1, r.data, 2, r.data + 2, r.len - 2,
                                   &err),
                      0);
        }
    }
    for (size_t p = 0; p < 3; p++) {
        ra_buf_reset(&want);
        for (size_t i = 0; i < (p == 0 ? 3000u : p == 1 ? 2u : 0u); i++) {
            row(&r, p, i);
            ra_buf_add(&want, r.data, r.len);
        }
        CHECK_INT(ra_spill_read(s, p, &got, &rows, &err), 0);
        CHECK_INT(rows, p == 0 ? 3000 : p == 1 ? 2 : 0);
        CHECK_INT(got.len, want.len);
        CHECK(got.len == want.len && !memcmp(got.data, want.data, got.len));
    }
    CHECK_INT(ra_spill_read(s, 1, &got, &rows, &err), RA_EIO);
    CHECK_STR(err.msg, "a spill's partition read twice");
    CHECK_INT(ra_spill_put(s, 2, "x", 1, NULL, 0, &err), RA_EIO);
    CHECK_STR(err.msg, "a spill's partition put after read");
    ra_spill_free(s);
    ra_spill_free(NULL);
    ra_buf_release(&r);
    ra_buf_release(&want);
    ra_buf_release(&got);
    return check_done();
}
