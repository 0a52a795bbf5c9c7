/* json_choice.c -- measures the JSON libraries relayaudit could use.
 *
 * Parses a JSON-lines file with each candidate and reads the fields a
 * relayaudit-jsonl record needs (a string, a number, a nested object walked
 * in order). Prints seconds and lines/s per library. Built by `make bench`;
 * compiled once per library (-DUSE_JANSSON, -DUSE_JSONC, neither = cJSON)
 * because jansson and json-c headers clash; the result and the choice are written down in docs/json-library.md.
 */
#if defined(USE_JANSSON)
#include <jansson.h>
#elif defined(USE_JSONC)
#include <json-c/json.h>
#else
#include <cjson/cJSON.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double
now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

#if defined(USE_JANSSON)
static long
run_jansson(char **lines, size_t *lens, size_t n)
{
    long acc = 0;
    for (size_t i = 0; i < n; i++) {
        json_error_t e;
        json_t *o = json_loadb(lines[i], lens[i], 0, &e);
        if (!o)
            continue;
        json_t *v = json_object_get(o, "caller");
        if (json_is_string(v))
            acc += (long)json_string_length(v);
        v = json_object_get(o, "status");
        if (json_is_integer(v))
            acc += (long)json_integer_value(v);
        v = json_object_get(o, "headers_in");
        const char *k;
        json_t *hv;
        json_object_foreach(v, k, hv) acc += (long)strlen(k);
        json_decref(o);
    }
    return acc;
}

#elif defined(USE_JSONC)
static long
run_jsonc(char **lines, size_t *lens, size_t n)
{
    long acc = 0;
    struct json_tokener *tok = json_tokener_new();
    for (size_t i = 0; i < n; i++) {
        json_tokener_reset(tok);
        struct json_object *o =
            json_tokener_parse_ex(tok, lines[i], (int)lens[i]);
        if (!o)
            continue;
        struct json_object *v;
        if (json_object_object_get_ex(o, "caller", &v))
            acc += json_object_get_string_len(v);
        if (json_object_object_get_ex(o, "status", &v))
            acc += (long)json_object_get_int64(v);
        if (json_object_object_get_ex(o, "headers_in", &v)) {
            json_object_object_foreach(v, k, hv)
            {
                (void)hv;
                acc += (long)strlen(k);
            }
        }
        json_object_put(o);
    }
    json_tokener_free(tok);
    return acc;
}

#else
static long
run_cjson(char **lines, size_t *lens, size_t n)
{
    long acc = 0;
    for (size_t i = 0; i < n; i++) {
        cJSON *o = cJSON_ParseWithLength(lines[i], lens[i]);
        if (!o)
            continue;
        cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "caller");
        if (cJSON_IsString(v))
            acc += (long)strlen(v->valuestring);
        v = cJSON_GetObjectItemCaseSensitive(o, "status");
        if (cJSON_IsNumber(v))
            acc += (long)v->valuedouble;
        v = cJSON_GetObjectItemCaseSensitive(o, "headers_in");
        cJSON *h;
        cJSON_ArrayForEach(h, v) acc += (long)strlen(h->string);
        cJSON_Delete(o);
    }
    return acc;
}

#endif

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: json_choice FILE.jsonl\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    size_t cap = 1024, n = 0;
    char **lines = malloc(cap * sizeof *lines);
    size_t *lens = malloc(cap * sizeof *lens);
    char *l = NULL;
    size_t lcap = 0;
    ssize_t got;
    while ((got = getline(&l, &lcap, f)) > 0) {
        if (n == cap) {
            cap *= 2;
            lines = realloc(lines, cap * sizeof *lines);
            lens = realloc(lens, cap * sizeof *lens);
        }
        lines[n] = strndup(l, (size_t)got);
        lens[n++] = (size_t)got;
    }
    free(l);
    fclose(f);
    struct {
        const char *name;
        long (*fn)(char **, size_t *, size_t);
    } libs[] = {
#if defined(USE_JANSSON)
        {"jansson 2.14", run_jansson},
#elif defined(USE_JSONC)
        {"json-c 0.16", run_jsonc},
#else
        {"cJSON 1.7.15", run_cjson},
#endif
    };
    for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++) {
        double best = 1e9;
        long acc = 0;
        for (int rep = 0; rep < 3; rep++) {
            double t0 = now();
            acc = libs[i].fn(lines, lens, n);
            double t = now() - t0;
            if (t < best)
                best = t;
        }
        printf("%-14s %8.3f s %10.0f lines/s  (check %ld)\n", libs[i].name,
               best, (double)n / best, acc);
    }
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
    free(lens);
    return 0;
}
