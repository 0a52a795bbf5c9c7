/* fuzz_headers.c -- header lists (JSON object or pairs) to the stored form
 * and the fingerprint, and redaction over the same bytes. */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ra_val v;
    const char *json, *ua;
    size_t jl, ul, n;
    char fp[17];
    fz_init();
    struct ra_arena *a = ra_arena_new();
    memset(&v, 0, sizeof v);
    v.t = RA_V_STR;
    v.s = (const char *)data;
    v.n = size;
    (void)ra_headers_normalize(fz_norm, a, &v, &json, &jl, fp, &ua, &ul);
    (void)ra_redact(fz_norm, a, (const char *)data, size, &n);
    ra_arena_free(a);
    return 0;
}
