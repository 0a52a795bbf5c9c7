/* parse_json.c -- the JSON-lines engine (cJSON, chosen by measurement: see
 * docs/json-library.md). `$key` is a top-level member; deeper paths and JSON
 * text inside string members are walked by the parser.
 */
#include "ingest/format.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

/* Each record's top-level members are indexed once (a small hash of the
 * names the definition reads), so a field costs one array read instead of
 * a scan of the object per field. */
struct json_state {
    cJSON *root;
    const cJSON **slot; /* per slot name: the member of this record */
    size_t nslots;
    int *table; /* open addressing: slot index + 1, 0 = empty */
    size_t mask;
    char **names;
};

static size_t
hash(const char *s)
{
    size_t h = 1469598103934665603u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static int
json_compile(struct ra_format *f, struct ra_err *err)
{
    (void)err;
    for (size_t i = 0; i < f->nrefs; i++) {
        struct ra_ref *r = f->refs[i];
        size_t k;
        for (k = 0; k < f->nslots; k++)
            if (!strcmp(f->slot_names[k], r->first))
                break;
        if (k == f->nslots) {
            f->slot_names = xrealloc(f->slot_names,
                                     (f->nslots + 1) * sizeof(char *));
            f->slot_names[f->nslots++] = xstrdup(r->first);
        }
        r->slot = (int)k;
    }
    return 0;
}

static void *
json_open(struct ra_format *f)
{
    struct json_state *s = xcalloc(1, sizeof *s);
    size_t size = 8;
    while (size < 2 * f->nslots + 1)
        size *= 2;
    s->mask = size - 1;
    s->table = xcalloc(size, sizeof *s->table);
    s->nslots = f->nslots;
    s->slot = xcalloc(f->nslots + 1, sizeof *s->slot);
    s->names = f->slot_names;
    for (size_t i = 0; i < f->nslots; i++) {
        size_t h = hash(f->slot_names[i]) & s->mask;
        while (s->table[h])
            h = (h + 1) & s->mask;
        s->table[h] = (int)i + 1;
    }
    return s;
}

static void
index_members(struct json_state *s)
{
    const cJSON *it;
    memset(s->slot, 0, s->nslots * sizeof *s->slot);
    cJSON_ArrayForEach(it, s->root)
    {
        if (!it->string)
            continue;
        size_t h = hash(it->string) & s->mask;
        while (s->table[h]) {
            int k = s->table[h] - 1;
            if (!strcmp(s->names[k], it->string)) {
                if (!s->slot[k]) /* the first of duplicate keys wins */
                    s->slot[k] = it;
                break;
            }
            h = (h + 1) & s->mask;
        }
    }
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
    index_members(s);
    return RA_REC;
}

static void
json_get(void *st, const struct ra_ref *ref, struct ra_val *out)
{
    struct json_state *s = st;
    ra_val_json(out, s->root && ref->slot >= 0 &&
                             (size_t)ref->slot < s->nslots
                         ? s->slot[ref->slot]
                         : NULL);
}

static void
json_close(void *st)
{
    struct json_state *s = st;
    if (!s)
        return;
    cJSON_Delete(s->root);
    free(s->slot);
    free(s->table);
    free(s);
}

const struct ra_engine_ops ra_engine_json = {
    json_compile, json_open, json_parse, json_get, json_close,
};
