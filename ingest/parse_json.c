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
    cJSON *root;           /* in arena: freed by resetting it */
    struct ra_arena *arena;
    const cJSON **slot; /* per slot name: the member of this record */
    size_t nslots;
    int *table; /* open addressing: slot index + 1, 0 = empty */
    size_t mask;
    char **names;
};

/* A record's tree is allocated from its parser's arena, dropped whole at
 * the next record: no malloc and free per node. The hooks are global, so
 * they fall back to malloc and free whenever the calling thread is not
 * parsing a record (JSON text inside fields, reports). */
static _Thread_local struct ra_arena *tl_arena;

static void *
hook_malloc(size_t n)
{
    return tl_arena ? ra_arena_alloc(tl_arena, n) : malloc(n);
}

static void
hook_free(void *p)
{
    if (!tl_arena)
        free(p);
}

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
    static cJSON_Hooks hooks = {hook_malloc, hook_free};
    (void)err;
    cJSON_InitHooks(&hooks); /* before any thread parses */
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
    struct json_state *s = xcalloc_lines(sizeof *s);
    s->arena = ra_arena_new();
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

    s->root = NULL;
    ra_arena_reset(s->arena);
    while (i < len && (rec[i] == ' ' || rec[i] == '\t'))
        i++;
    if (i == len)
        return RA_SKIP; /* a blank line */
    tl_arena = s->arena;
    s->root = cJSON_ParseWithLength(rec, len);
    tl_arena = NULL;
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
    ra_arena_free(s->arena);
    free(s->slot);
    free(s->table);
    free(s);
}

const struct ra_engine_ops ra_engine_json = {
    json_compile, json_open, json_parse, json_get, json_close,
};
