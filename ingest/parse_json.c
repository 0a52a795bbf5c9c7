/* parse_json.c -- the JSON-lines engine (cJSON, chosen by measurement: see
 * docs/json-library.md). `$key` is a top-level member; deeper paths and JSON
 * text inside string members are walked by the parser.
 */
#include "ingest/format.h"

#include <cjson/cJSON.h>
#include <stdlib.h>

struct json_state {
    cJSON *root;
};

static int
json_compile(struct ra_format *f, struct ra_err *err)
{
    (void)f;
    (void)err;
    return 0;
}

static void *
json_open(struct ra_format *f)
{
    (void)f;
    return xcalloc(1, sizeof(struct json_state));
}

static enum ra_parse_rc
json_parse(void *st, struct ra_format *f, const char *rec, size_t len,
           const char **reason)
{
    struct json_state *s = st;
    size_t i = 0;

    cJSON_Delete(s->root);
    s->root = NULL;
    while (i < len && (rec[i] == ' ' || rec[i] == '\t'))
        i++;
    if (i == len)
        return RA_SKIP; /* a blank line */
    s->root = cJSON_ParseWithLength(rec, len);
    (void)f;
    if (!s->root) {
        *reason = "invalid JSON";
        return RA_REJECT;
    }
    if (!cJSON_IsObject(s->root)) {
        *reason = "not a JSON object";
        return RA_REJECT;
    }
    return RA_REC;
}

static void
json_get(void *st, const struct ra_ref *ref, struct ra_val *out)
{
    struct json_state *s = st;
    ra_val_json(out, s->root ? cJSON_GetObjectItemCaseSensitive(s->root,
                                                                ref->first)
                             : NULL);
}

static void
json_close(void *st)
{
    struct json_state *s = st;
    if (!s)
        return;
    cJSON_Delete(s->root);
    free(s);
}

const struct ra_engine_ops ra_engine_json = {
    json_compile, json_open, json_parse, json_get, json_close,
};
