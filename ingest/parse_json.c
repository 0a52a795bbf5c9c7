/* parse_json.c -- the JSON-lines engine, on yajl's events (chosen by
 * measurement: docs/json-library.md). `$key` is a top-level member; deeper
 * paths and JSON text inside string members are walked by the parser.
 *
 * Only the members a definition reads become values: each top-level name
 * is looked up once in a small hash of those names, and the others are
 * read past without a node. A kept member that is an object or an array
 * becomes a tree (common/json.h) of what the definition's paths reach
 * under it ($request.headers keeps request's headers, not its tls), all
 * of the value a path ends at; arrays are kept whole. A kept member that
 * is a scalar is no node: its text is where yajl gave it, in the record
 * (an escaped string is decoded into yajl's buffer, and copied), and
 * becomes a value when it is read. Everything is allocated from the
 * parser's arena, yajl's own buffers included, and dropped whole at the
 * next record: no malloc or free per record.
 *
 * A kept member that is read whole and is an object or an array (a list
 * of headers) is kept as its text alone: a reader that needs its tree
 * parses the text (most read it through a memo keyed by the text,
 * ra_headers_normalize). Such a member remembers the last REPEATS texts
 * it had, and a record whose member starts with one of them is not given
 * to yajl there: yajl is given the record up to the member's value, then
 * `null` in its place, then the rest. The value is that text, since a
 * JSON value ends where its text ends; that yajl is where the member's
 * value starts is checked before (its last event was the member's name at
 * the record's level, and only blanks and the colon lie between). Over
 * relayaudit-jsonl lines, whose two header lists are a third of their
 * bytes, yajl's instructions fell by a fifth (callgrind, 20,000 lines:
 * 332 M -> 262 M, finding the names 13 M), the parsers' by 7%; 1 M lines,
 * five alternating runs: 1.68-1.76 s -> 1.61-1.68 s.
 */
#define _GNU_SOURCE /* memmem */
#include "common/json.h"
#include "ingest/format.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The paths a definition reads under a top-level member, as a tree of
 * member names. */
struct pnode {
    char *name;
    int whole; /* a path ends here: all of the value is read */
    struct pnode *kids;
    size_t nkids;
};

static const struct pnode whole_node = {NULL, 1, NULL, 0};

/* A kept top-level member's text: a scalar's, with its type (its slot
 * points at scalar_mark: it has no node), or an object's or an array's
 * in the record (its tree is in the slot; the text is for memos keyed by
 * it: ra_headers_normalize). */
struct member_text {
    yajl_type type; /* a scalar's */
    const char *p;
    size_t n;
};
static struct yajl_val_s scalar_mark;
static struct yajl_val_s text_mark; /* a member kept as its text */

/* The texts a member kept as text had in the records before: the last
 * REPEATS, each up to REPEAT_MAX bytes. Its name is looked for from NEAR
 * bytes before where it was in the last record (95-98% of
 * relayaudit-jsonl lines have it within 64 bytes of there), then before
 * that. */
#define REPEATS 16
#define REPEAT_MAX 4096
#define NEAR 64
struct repeats {
    char *text[REPEATS];
    size_t n[REPEATS];
    unsigned used, next;
    char *name; /* the member's name as it is written, quoted */
    size_t name_n;
    size_t hint; /* where the name was in the last record looked at */
};

/* A member found starting with a text it had before. */
struct repeat {
    const char *at;
    size_t n;
    int slot;
};

struct json_state {
    struct ra_arena *arena;
    struct pnode *paths;  /* per slot */
    const struct pnode *ctx[RA_JSON_MAX_DEPTH]; /* per open container of
                                                   the tree: its paths */
    const struct pnode *next; /* the next value's paths; NULL: read past */
    int skip; /* containers open in a value read past */
    struct ra_jtree tree; /* the member being kept */
    yajl_val *slot;       /* per slot name: the member of this record */
    struct member_text *texts; /* per slot: the member's text */
    size_t nslots;
    const char *rec, *rec_end; /* the record being parsed */
    const char *base;          /* where the text given to yajl starts */
    yajl_handle h;             /* its parse */
    const char *key_end; /* just past the last member name of the record */
    int as_text;         /* the member being read is kept as its text */
    const struct repeat *stand_in; /* the member the next null stands for */
    struct repeats *seen;          /* per slot */
    struct repeat *found;          /* per slot, at most */
    int *table; /* open addressing: slot index + 1, 0 = empty */
    size_t mask;
    char **names;
    size_t *lens;
    int level; /* containers open in the record, the record itself = 1 */
    int cur;   /* the slot of the member being read, -1 = read past it */
    int object; /* the record opened as an object */
};

/* Member names are few and short: their length and end bytes spread them
 * well enough, and a probe compares the whole name. */
static size_t
hash(const char *s, size_t n)
{
    return n ? n * 31u + (unsigned char)s[0] * 7u + (unsigned char)s[n - 1]
             : 0;
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

static struct pnode *
pnode_kid(struct pnode *n, const char *name)
{
    for (size_t i = 0; i < n->nkids; i++)
        if (!strcmp(n->kids[i].name, name))
            return &n->kids[i];
    n->kids = xrealloc(n->kids, (n->nkids + 1) * sizeof *n->kids);
    n->kids[n->nkids] = (struct pnode){xstrdup(name), 0, NULL, 0};
    return &n->kids[n->nkids++];
}

static const struct pnode *
pnode_find(const struct pnode *n, const char *name, size_t len)
{
    for (size_t i = 0; i < n->nkids; i++)
        if (!strncmp(n->kids[i].name, name, len) && !n->kids[i].name[len])
            return &n->kids[i];
    return NULL;
}

static void
pnode_free(struct pnode *n)
{
    for (size_t i = 0; i < n->nkids; i++) {
        pnode_free(&n->kids[i]);
        free(n->kids[i].name);
    }
    free(n->kids);
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
    s->texts = xcalloc(f->nslots + 1, sizeof *s->texts);
    s->names = f->slot_names;
    s->lens = xcalloc(f->nslots + 1, sizeof *s->lens);
    for (size_t i = 0; i < f->nslots; i++) {
        s->lens[i] = strlen(f->slot_names[i]);
        size_t h = hash(f->slot_names[i], s->lens[i]) & s->mask;
        while (s->table[h])
            h = (h + 1) & s->mask;
        s->table[h] = (int)i + 1;
    }
    s->seen = xcalloc(f->nslots + 1, sizeof *s->seen);
    s->found = xcalloc(f->nslots + 1, sizeof *s->found);
    for (size_t i = 0; i < f->nslots; i++)
        if (!strpbrk(f->slot_names[i], "\"\\")) { /* written as it is */
            struct repeats *r = &s->seen[i];
            r->name_n = s->lens[i] + 2;
            r->name = xmalloc(r->name_n + 1);
            snprintf(r->name, r->name_n + 1, "\"%s\"", f->slot_names[i]);
        }
    s->paths = xcalloc(f->nslots + 1, sizeof *s->paths);
    for (size_t i = 0; i < f->nrefs; i++) {
        const struct ra_ref *r = f->refs[i];
        struct pnode *n = &s->paths[r->slot];
        for (size_t k = 0; k < r->nrest; k++)
            n = pnode_kid(n, r->rest[k]);
        n->whole = 1;
    }
    return s;
}

/* ---- yajl's callbacks: level 1 picks members, deeper builds trees ---- */

/* A member's value is complete: keep it in its slot. */
static int
kept(struct json_state *s)
{
    if (s->level == 1 && s->cur >= 0) {
        s->slot[s->cur] = s->tree.root;
        s->cur = -1;
    }
    return 1;
}

static int
scalar(struct json_state *s, yajl_type type, const char *p, size_t n)
{
    if (s->level == 0)
        return 0; /* the record is not an object */
    if (s->cur < 0 || s->skip)
        return 1;
    if (s->next && s->tree.depth == 0) { /* the member itself */
        struct member_text *v = &s->texts[s->cur];
        v->type = type;
        uintptr_t at = (uintptr_t)p;
        v->p = p && (at < (uintptr_t)s->rec || at >= (uintptr_t)s->rec_end)
                   ? ra_arena_strndup(s->arena, p, n) /* yajl's buffer */
                   : p;
        v->n = n;
        s->tree.root = &scalar_mark;
    } else if (s->next) {
        ra_jtree_scalar(&s->tree, type, p, n);
    }
    return kept(s);
}

/* A member's text, remembered: a record that starts the member with it
 * again is not given to yajl there. */
static void
remember(struct repeats *r, const char *p, size_t n)
{
    if (n > REPEAT_MAX || !r->name)
        return;
    for (unsigned i = 0; i < r->used; i++)
        if (r->n[i] == n && !memcmp(r->text[i], p, n))
            return;
    unsigned i = r->next;
    r->next = (r->next + 1) % REPEATS;
    if (r->used < REPEATS)
        r->used++;
    r->text[i] = xrealloc(r->text[i], n ? n : 1);
    memcpy(r->text[i], p, n);
    r->n[i] = n;
}

/* The member kept as its text is complete: text[p, end). */
static int
kept_text(struct json_state *s, const char *p, const char *end)
{
    struct member_text *v = &s->texts[s->cur];
    v->p = p;
    v->n = (size_t)(end - p);
    s->slot[s->cur] = &text_mark;
    s->cur = -1;
    return 1;
}

static int
e_null(void *c)
{
    struct json_state *s = c;
    if (s->stand_in) { /* stands for a text the member had before */
        const struct repeat *r = s->stand_in;
        s->stand_in = NULL;
        return kept_text(s, r->at, r->at + r->n);
    }
    return scalar(c, yajl_t_null, NULL, 0);
}

static int
e_bool(void *c, int b)
{
    return scalar(c, b ? yajl_t_true : yajl_t_false, NULL, 0);
}

static int
e_number(void *c, const char *p, size_t n)
{
    return scalar(c, yajl_t_number, p, n);
}

static int
e_string(void *c, const unsigned char *p, size_t n)
{
    return scalar(c, yajl_t_string, (const char *)p, n);
}

static int
open_container(struct json_state *s, yajl_type type)
{
    if (s->level++ == 0) {
        s->object = type == yajl_t_object;
        return s->object;
    }
    if (s->cur < 0)
        return 1;
    if (s->skip || !s->next) {
        if (s->as_text && s->skip == RA_JSON_MAX_DEPTH)
            return 0; /* as deep as a tree may be */
        s->skip++;
        return 1;
    }
    if (s->tree.depth == 0 && s->next->whole) { /* kept as its text */
        s->texts[s->cur].p = s->base + yajl_get_bytes_consumed(s->h) - 1;
        s->as_text = 1;
        s->skip++;
        return 1;
    }
    if (!ra_jtree_open(&s->tree, type))
        return 0;
    if (s->tree.depth == 1) /* the member's value: its text starts */
        s->texts[s->cur].p = s->base + yajl_get_bytes_consumed(s->h) - 1;
    s->ctx[s->tree.depth - 1] = s->next;
    /* an object's members say at their key; elements are kept whole */
    s->next = type == yajl_t_array ? &whole_node : NULL;
    return 1;
}

static int
e_start_map(void *c)
{
    return open_container(c, yajl_t_object);
}

static int
e_start_array(void *c)
{
    return open_container(c, yajl_t_array);
}

static int
e_end(void *c)
{
    struct json_state *s = c;
    if (--s->level == 0 || s->cur < 0)
        return 1;
    if (s->skip) {
        if (--s->skip == 0 && s->as_text) {
            const char *p = s->texts[s->cur].p;
            const char *end = s->base + yajl_get_bytes_consumed(s->h);
            s->as_text = 0;
            remember(&s->seen[s->cur], p, (size_t)(end - p));
            return kept_text(s, p, end);
        }
        return 1;
    }
    ra_jtree_close(&s->tree);
    if (s->tree.depth == 0) { /* and ends */
        struct member_text *v = &s->texts[s->cur];
        v->n = (size_t)(s->base + yajl_get_bytes_consumed(s->h) - v->p);
    }
    if (s->tree.depth > 0 &&
        s->tree.open[s->tree.depth - 1]->type == yajl_t_array)
        s->next = &whole_node;
    return kept(s);
}

static int
e_key(void *c, const unsigned char *key, size_t n)
{
    struct json_state *s = c;
    const char *k = (const char *)key;
    if (s->level > 1) {
        if (s->cur < 0 || s->skip)
            return 1;
        const struct pnode *in = s->ctx[s->tree.depth - 1];
        s->next = in->whole ? &whole_node : pnode_find(in, k, n);
        return !s->next || ra_jtree_key(&s->tree, k, n);
    }
    s->cur = -1;
    for (size_t h = hash(k, n) & s->mask; s->table[h];
         h = (h + 1) & s->mask) {
        int i = s->table[h] - 1;
        if (s->lens[i] == n && ra_same_bytes(s->names[i], k, n)) {
            if (!s->slot[i]) /* the first of duplicate keys wins */
                s->cur = i;
            break;
        }
    }
    s->next = s->cur >= 0 ? &s->paths[s->cur] : NULL;
    if (s->cur >= 0 && s->seen[s->cur].used) /* for at_value */
        s->key_end = s->base + yajl_get_bytes_consumed(s->h);
    s->skip = 0;
    s->tree.root = NULL;
    s->tree.depth = 0;
    return 1;
}

static const yajl_callbacks callbacks = {
    e_null,        e_bool, NULL,  NULL,          e_number, e_string,
    e_start_map,   e_key,  e_end, e_start_array, e_end,
};

static int
blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The members kept as text that start, in the record, with a text they
 * had before, in the order they come. A name found may be in another
 * text, not a member's: at_value says. */
static size_t
find_repeats(struct json_state *s)
{
    const char *end = s->rec_end;
    size_t k = 0;
    size_t len = (size_t)(end - s->rec);
    for (size_t i = 0; i < s->nslots; i++) {
        struct repeats *r = &s->seen[i];
        if (!r->used)
            continue;
        size_t from = r->hint > NEAR ? r->hint - NEAR : 0;
        const char *q = NULL;
        if (from < len)
            q = memmem(s->rec + from, len - from, r->name, r->name_n);
        if (!q && from) { /* before: up to a name that ends past from */
            size_t upto = from + r->name_n - 1;
            q = memmem(s->rec, upto < len ? upto : len, r->name, r->name_n);
        }
        if (!q)
            continue;
        r->hint = (size_t)(q - s->rec);
        for (q += r->name_n; q < end && blank(*q); q++)
            ;
        if (q == end || *q++ != ':')
            continue;
        while (q < end && blank(*q))
            q++;
        for (unsigned j = 0; j < r->used; j++)
            if (r->n[j] <= (size_t)(end - q) &&
                !memcmp(q, r->text[j], r->n[j])) {
                size_t at = k++;
                for (; at > 0 && s->found[at - 1].at > q; at--)
                    s->found[at] = s->found[at - 1];
                s->found[at] = (struct repeat){q, r->n[j], (int)i};
                break;
            }
    }
    return k;
}

/* yajl, given the record up to r->at, stands where the value of r's
 * member starts: its last event was that member's name, at the record's
 * level, and only blanks and one colon follow the name. */
static int
at_value(const struct json_state *s, const struct repeat *r)
{
    int colon = 0;
    if (s->level != 1 || s->cur != r->slot || s->skip || !s->key_end)
        return 0;
    for (const char *q = s->key_end; q < r->at; q++)
        if (*q == ':')
            colon++;
        else if (!blank(*q))
            return 0;
    return colon == 1;
}

/* yajl given text[from, to). */
static yajl_status
feed(struct json_state *s, const char *from, const char *to)
{
    s->base = from;
    return from < to ? yajl_parse(s->h, (const unsigned char *)from,
                                  (size_t)(to - from))
                     : yajl_status_ok;
}

/* The record through yajl, a member's text it had before given as
 * `null` (see the top of the file). */
static yajl_status
parse_record(struct json_state *s)
{
    const char *pos = s->rec;
    yajl_status st = yajl_status_ok;
    size_t k = find_repeats(s);

    s->h = ra_json_handle(s->arena, &callbacks, s);
    for (size_t j = 0; j < k && st == yajl_status_ok; j++) {
        const struct repeat *r = &s->found[j];
        if (r->at < pos)
            continue; /* not a member: inside one before */
        st = feed(s, pos, r->at);
        pos = r->at;
        if (st == yajl_status_ok && at_value(s, r)) {
            s->stand_in = r;
            st = yajl_parse(s->h, (const unsigned char *)"null", 4);
            s->stand_in = NULL;
            pos = r->at + r->n;
        }
    }
    if (st == yajl_status_ok)
        st = feed(s, pos, s->rec_end);
    if (st == yajl_status_ok)
        st = yajl_complete_parse(s->h);
    return st;
}

static enum ra_parse_rc
json_parse(void *st, struct ra_format *f, const char *rec, size_t len,
           const char **reason)
{
    struct json_state *s = st;
    size_t i = 0;

    (void)f;
    ra_arena_reset(s->arena);
    memset(s->slot, 0, s->nslots * sizeof *s->slot);
    while (i < len && (rec[i] == ' ' || rec[i] == '\t'))
        i++;
    if (i == len)
        return RA_SKIP; /* a blank line */
    s->tree.a = s->arena;
    s->level = 0;
    s->cur = -1;
    s->object = 0;
    s->skip = 0;
    s->as_text = 0;
    s->next = NULL;
    s->key_end = NULL;
    s->rec = rec + i;
    s->rec_end = rec + len;
    yajl_status st1 = parse_record(s);
    if (st1 == yajl_status_ok)
        return RA_REC;
    memset(s->slot, 0, s->nslots * sizeof *s->slot);
    if (st1 == yajl_status_client_canceled)
        *reason = s->level == 0 || (s->level == 1 && !s->object)
                      ? "not a JSON object"
                      : "JSON nested too deep";
    else
        *reason = "invalid JSON";
    return RA_REJECT;
}

static void
json_get(void *st, const struct ra_ref *ref, struct ra_val *out)
{
    struct json_state *s = st;
    yajl_val v = ref->slot >= 0 && (size_t)ref->slot < s->nslots
                     ? s->slot[ref->slot]
                     : NULL;
    if (v == &text_mark) { /* its tree is made by who needs it */
        out->t = RA_V_JSON;
        out->j = NULL;
        out->s = s->texts[ref->slot].p;
        out->n = s->texts[ref->slot].n;
        return;
    }
    if (v != &scalar_mark) {
        ra_val_json(out, v);
        if (out->t == RA_V_JSON) { /* an object or an array: its text */
            out->s = s->texts[ref->slot].p;
            out->n = s->texts[ref->slot].n;
        }
        return;
    }
    const struct member_text *c = &s->texts[ref->slot];
    switch (c->type) {
    case yajl_t_string:
        ra_val_str(out, c->p, c->n);
        break;
    case yajl_t_number:
        ra_val_number(out, c->p, c->n);
        break;
    case yajl_t_true:
    case yajl_t_false:
        out->t = RA_V_INT;
        out->i = c->type == yajl_t_true;
        break;
    default:
        out->t = RA_V_ABSENT;
    }
}

static void
json_close(void *st)
{
    struct json_state *s = st;
    if (!s)
        return;
    ra_arena_free(s->arena);
    for (size_t i = 0; i < s->nslots; i++) {
        pnode_free(&s->paths[i]);
        for (unsigned k = 0; k < REPEATS; k++)
            free(s->seen[i].text[k]);
        free(s->seen[i].name);
    }
    free(s->seen);
    free(s->found);
    free(s->paths);
    free(s->slot);
    free(s->texts);
    free(s->table);
    free(s->lens);
    free(s);
}

const struct ra_engine_ops ra_engine_json = {
    "json",
    json_compile, json_open, json_parse, json_get, json_close,
};
