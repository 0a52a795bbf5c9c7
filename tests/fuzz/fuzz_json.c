/* fuzz_json.c -- the JSON engine with real definitions (paths, JSON text
 * inside strings, headers). */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"relayaudit-jsonl", "kong-filelog",
                                        "brightdata-pm", "envoy-ai-json",
                                        "newapi-logs", "litellm-spendlogs"};
    fz_init();
    if (size < 1)
        return 0;
    /* newapi and litellm read JSON lines when the line starts with '{'. */
    fz_parse(names[data[0] % 6], NULL, data + 1, size - 1);
    return 0;
}
