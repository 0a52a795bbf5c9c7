/* fuzz_timestamp.c -- every timestamp form, with and without a pattern,
 * in UTC and in a fixed zone. */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const fmts[] = {NULL, "%m.%d %H:%M:%S",
                                       "%y%m%d%H%M%S", "%d/%b/%Y:%H:%M:%S %z"};
    struct ra_timectx tc = {0};
    int64_t ms;
    if (size < 1)
        return 0;
    tc.tz_fixed = 1;
    tc.tz_offset_min = (data[0] & 1) ? 210 : 0;
    tc.mtime_year = 2026;
    tc.ref_month = 1 + data[0] % 12;
    (void)ra_parse_ts((const char *)data + 1, size - 1, fmts[(data[0] >> 1) % 4],
                      data[0] & 1, &tc, &ms);
    return 0;
}
