/* fuzz_reader.c -- the line reader over arbitrary bytes: plain, gzip
 * (the corpus holds multi-member and truncated .gz files), long lines. */
#include "fuzz.h"
#include "ingest/reader.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ra_reader *r = ra_reader_open_mem(data, size, 4096);
    struct ra_line l;
    struct ra_err err = {0};
    const char *p;
    (void)ra_reader_peek(r, 100, &p, &err);
    while (ra_reader_next(r, &l, &err) == 1)
        if (l.len && l.p[0] == '\x01')
            break;
    ra_reader_close(r);
    return 0;
}
