/* fuzz_regex.c -- the line engines (regex, and words for squid) with real
 * definitions: the first byte picks the format, the rest is the line. */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {
        "squid", "squid-combined", "nginx-combined", "ingress-nginx",
        "haproxy-http", "envoy-text", "3proxy", "proxifier"};
    fz_init();
    if (size < 1)
        return 0;
    fz_parse(names[data[0] % 8], NULL, data + 1, size - 1);
    return 0;
}
