/* fuzz_username.c -- the proxy username rules, with and without the
 * opt-in ones. */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char r1[] = "webshare", r2[] = "netnut";
    char *rules[] = {r1, r2};
    const char *s, *c, *r;
    size_t sl, cl;
    fz_init();
    struct ra_arena *a = ra_arena_new();
    ra_username_parse(fz_norm, a, (const char *)data, size, rules,
                      size && data[0] & 1 ? 2 : 0, &s, &sl, &c, &cl, &r);
    ra_arena_free(a);
    return 0;
}
