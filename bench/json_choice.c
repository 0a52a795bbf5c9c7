/* json_choice.c -- measures the JSON libraries relayaudit could use.
 *
 * Parses a JSON-lines file with each candidate and reads the fields a
 * relayaudit-jsonl record needs (a string, a number, a nested object walked
 * in order). Prints seconds and lines/s per library. Built by `make bench`;
 * compiled once per library (-DUSE_JANSSON, -DUSE_JSONC, -DUSE_YAJL,
 * -DUSE_JSMN, none = cJSON) because jansson and json-c headers clash; the result and the choice are written down in docs/json-library.md.
 */
#if defined(USE_JANSSON)
#include <jansson.h>
#elif defined(USE_JSONC)
#include <json-c/json.h>
#elif defined(USE_YAJL)
#include <yajl/yajl_parse.h>
#elif defined(USE_JSMN)
#include <jsmn.h>
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

#elif defined(USE_YAJL)
/* yajl's callbacks: no tree; strings arrive unescaped, numbers as text. */
struct ys {
    long acc;
    int depth, want; /* 1 caller, 2 status, 3 headers_in (top level keys) */
    int in_headers;  /* inside headers_in's object */
};

static int
y_key(void *u, const unsigned char *k, size_t n)
{
    struct ys *s = u;
    s->want = 0;
    if (s->depth == 1) {
        if (n == 6 && !memcmp(k, "caller", 6))
            s->want = 1;
        else if (n == 6 && !memcmp(k, "status", 6))
            s->want = 2;
        else if (n == 10 && !memcmp(k, "headers_in", 10))
            s->want = 3;
    } else if (s->depth == 2 && s->in_headers) {
        s->acc += (long)n;
    }
    return 1;
}

static int
y_str(void *u, const unsigned char *v, size_t n)
{
    struct ys *s = u;
    (void)v;
    if (s->depth == 1 && s->want == 1)
        s->acc += (long)n;
    return 1;
}

static int
y_num(void *u, const char *v, size_t n)
{
    struct ys *s = u;
    (void)n;
    if (s->depth == 1 && s->want == 2)
        s->acc += strtol(v, NULL, 10);
    return 1;
}

static int
y_start(void *u)
{
    struct ys *s = u;
    s->depth++;
    s->in_headers = s->depth == 2 && s->want == 3;
    return 1;
}

static int
y_end(void *u)
{
    struct ys *s = u;
    if (s->depth-- == 2)
        s->in_headers = 0;
    return 1;
}

static long
run_yajl(char **lines, size_t *lens, size_t n)
{
    static const yajl_callbacks cb = {
        .yajl_number = y_num,
        .yajl_string = y_str,
        .yajl_start_map = y_start,
        .yajl_map_key = y_key,
        .yajl_end_map = y_end,
    };
    struct ys s = {0};
    for (size_t i = 0; i < n; i++) {
        yajl_handle h = yajl_alloc(&cb, NULL, &s);
        s.depth = 0;
        if (yajl_parse(h, (const unsigned char *)lines[i], lens[i]) ==
            yajl_status_ok)
            yajl_complete_parse(h);
        yajl_free(h);
    }
    return s.acc;
}

#elif defined(USE_JSMN)
/* jsmn: tokens only (offsets and types). Strings stay escaped and numbers
 * text, so an engine would still unescape and convert what it reads: a
 * lower bound for a tokenizer. */
static int
tok_is(const char *js, const jsmntok_t *t, const char *s, size_t n)
{
    return t->type == JSMN_STRING && (size_t)(t->end - t->start) == n &&
           !memcmp(js + t->start, s, n);
}

static long
run_jsmn(char **lines, size_t *lens, size_t n)
{
    long acc = 0;
    jsmntok_t tok[512];
    for (size_t i = 0; i < n; i++) {
        jsmn_parser p;
        const char *js = lines[i];
        jsmn_init(&p);
        int nt = jsmn_parse(&p, js, lens[i], tok, 512);
        if (nt < 1 || tok[0].type != JSMN_OBJECT)
            continue;
        for (int k = 1; k + 1 < nt;) {
            const jsmntok_t *key = &tok[k], *v = &tok[k + 1];
            if (tok_is(js, key, "caller", 6) && v->type == JSMN_STRING)
                acc += v->end - v->start;
            else if (tok_is(js, key, "status", 6) &&
                     v->type == JSMN_PRIMITIVE)
                acc += strtol(js + v->start, NULL, 10);
            else if (tok_is(js, key, "headers_in", 10) &&
                     v->type == JSMN_OBJECT)
                for (int h = 0, j = k + 2; h < v->size; h++, j += 2)
                    acc += tok[j].end - tok[j].start;
            int j = k + 2; /* past the value's tokens */
            while (j < nt && tok[j].start < v->end)
                j++;
            k = j;
        }
    }
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
#elif defined(USE_YAJL)
        {"yajl 2.1.0", run_yajl},
#elif defined(USE_JSMN)
        {"jsmn 1.1.0", run_jsmn},
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
