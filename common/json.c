/* json.c -- JSON on yajl: trees in an arena, text from trees (json.h). */
#include "common/json.h"

#include <stdlib.h>
#include <string.h>

/* A node, and room for n more bytes after it (a string's), in one block. */
static yajl_val
node(struct ra_jtree *t, yajl_type type, size_t n)
{
    yajl_val v = ra_arena_alloc(t->a, sizeof *v + n);
    v->type = type;
    return v;
}

/* Appends v to the innermost open container (or makes it the root). */
static void
add(struct ra_jtree *t, yajl_val v)
{
    if (t->depth == 0) {
        t->root = v;
        return;
    }
    yajl_val p = t->open[t->depth - 1];
    size_t *cap = &t->cap[t->depth - 1];
    int obj = p->type == yajl_t_object;
    size_t len = obj ? p->u.object.len : p->u.array.len;
    yajl_val **vals = obj ? &p->u.object.values : &p->u.array.values;

    if (len == *cap) { /* the arena has no realloc: copy into twice the room */
        size_t ncap = *cap ? 2 * *cap : 8;
        yajl_val *nv = ra_arena_alloc(t->a, ncap * sizeof *nv);
        if (len)
            memcpy(nv, *vals, len * sizeof *nv);
        *vals = nv;
        if (obj) {
            const char **nk = ra_arena_alloc(t->a, ncap * sizeof *nk);
            if (len)
                memcpy(nk, p->u.object.keys, len * sizeof *nk);
            p->u.object.keys = nk;
        }
        *cap = ncap;
    }
    (*vals)[len] = v;
    if (obj) {
        p->u.object.keys[len] = t->key;
        p->u.object.len++;
    } else {
        p->u.array.len++;
    }
}

int
ra_jtree_scalar(struct ra_jtree *t, yajl_type type, const char *s, size_t n)
{
    yajl_val v;
    if (type == yajl_t_string || type == yajl_t_number) {
        char *text;
        v = node(t, type, n + 1);
        text = (char *)(v + 1);
        memcpy(text, s, n);
        text[n] = '\0';
        if (type == yajl_t_string) {
            v->u.string = text;
        } else {
            int64_t i;
            v->u.number.r = text;
            v->u.number.flags = 0;
            if (ra_parse_i64(s, n, &i) == 0) {
                v->u.number.i = i;
                v->u.number.d = (double)i;
                v->u.number.flags = YAJL_NUMBER_INT_VALID |
                                    YAJL_NUMBER_DOUBLE_VALID;
            } else if (ra_parse_f64(s, n, &v->u.number.d) == 0) {
                v->u.number.flags = YAJL_NUMBER_DOUBLE_VALID;
            }
        }
    } else {
        v = node(t, type, 0);
    }
    add(t, v);
    return 1;
}

int
ra_jtree_open(struct ra_jtree *t, yajl_type type)
{
    if (t->depth == RA_JSON_MAX_DEPTH)
        return 0;
    yajl_val v = node(t, type, 0);
    memset(&v->u, 0, sizeof v->u);
    add(t, v);
    t->cap[t->depth] = 0;
    t->open[t->depth++] = v;
    return 1;
}

int
ra_jtree_key(struct ra_jtree *t, const char *s, size_t n)
{
    t->key = ra_arena_strndup(t->a, s, n);
    return 1;
}

int
ra_jtree_close(struct ra_jtree *t)
{
    t->depth--;
    return 1;
}

int
ra_jtree_value(struct ra_jtree *t, yajl_val v)
{
    add(t, v);
    return 1;
}

/* ---- yajl's callbacks for a whole tree ------------------------------- */

static int
cb_null(void *c)
{
    return ra_jtree_scalar(c, yajl_t_null, NULL, 0);
}

static int
cb_bool(void *c, int b)
{
    return ra_jtree_scalar(c, b ? yajl_t_true : yajl_t_false, NULL, 0);
}

static int
cb_number(void *c, const char *s, size_t n)
{
    return ra_jtree_scalar(c, yajl_t_number, s, n);
}

static int
cb_string(void *c, const unsigned char *s, size_t n)
{
    return ra_jtree_scalar(c, yajl_t_string, (const char *)s, n);
}

static int
cb_start_map(void *c)
{
    return ra_jtree_open(c, yajl_t_object);
}

static int
cb_key(void *c, const unsigned char *s, size_t n)
{
    return ra_jtree_key(c, (const char *)s, n);
}

static int
cb_start_array(void *c)
{
    return ra_jtree_open(c, yajl_t_array);
}

static int
cb_close(void *c)
{
    return ra_jtree_close(c);
}

static const yajl_callbacks tree_callbacks = {
    cb_null,  cb_bool,      NULL,     NULL,           cb_number, cb_string,
    cb_start_map, cb_key, cb_close, cb_start_array, cb_close,
};

/* A size word before each block, for realloc. */
struct sized {
    size_t n;
    max_align_t pad[];
};

static void *
a_malloc(void *ctx, size_t n)
{
    struct sized *b = ra_arena_alloc(ctx, sizeof *b + n);
    b->n = n;
    return b->pad;
}

static void *
a_realloc(void *ctx, void *p, size_t n)
{
    void *q = a_malloc(ctx, n);
    if (p) {
        struct sized *b =
            (struct sized *)((char *)p - offsetof(struct sized, pad));
        memcpy(q, p, b->n < n ? b->n : n);
    }
    return q;
}

static void
a_free(void *ctx, void *p)
{
    (void)ctx;
    (void)p;
}

yajl_handle
ra_json_handle(struct ra_arena *a, const yajl_callbacks *cb, void *ctx)
{
    yajl_alloc_funcs af = {a_malloc, a_realloc, a_free, a};
    yajl_handle h = yajl_alloc(cb, &af, ctx);
    yajl_config(h, yajl_dont_validate_strings, 1);
    return h;
}

yajl_val
ra_json_parse(struct ra_arena *a, const char *text, size_t n)
{
    struct ra_jtree t = {.a = a};
    yajl_handle h = ra_json_handle(a, &tree_callbacks, &t);
    yajl_status st = yajl_parse(h, (const unsigned char *)text, n);
    if (st == yajl_status_ok)
        st = yajl_complete_parse(h);
    return st == yajl_status_ok ? t.root : NULL;
}

yajl_val
ra_json_get(yajl_val obj, const char *key)
{
    if (!YAJL_IS_OBJECT(obj))
        return NULL;
    for (size_t i = 0; i < obj->u.object.len; i++)
        if (!strcmp(obj->u.object.keys[i], key))
            return obj->u.object.values[i];
    return NULL;
}

size_t
ra_json_len(yajl_val v)
{
    return YAJL_IS_OBJECT(v)  ? v->u.object.len
           : YAJL_IS_ARRAY(v) ? v->u.array.len
                              : 0;
}

yajl_val
ra_json_at(yajl_val v, size_t i)
{
    if (i >= ra_json_len(v))
        return NULL;
    return YAJL_IS_OBJECT(v) ? v->u.object.values[i] : v->u.array.values[i];
}

static void
to_buf(void *ctx, const char *s, size_t n)
{
    ra_buf_add(ctx, s, n);
}

/* v through yajl's generator g. */
static int
gen(yajl_gen g, yajl_val v)
{
    yajl_gen_status st;
    size_t i;

    switch (v ? v->type : yajl_t_null) {
    case yajl_t_string:
        st = yajl_gen_string(g, (const unsigned char *)v->u.string,
                             strlen(v->u.string));
        break;
    case yajl_t_number:
        st = yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r));
        break;
    case yajl_t_object:
        st = yajl_gen_map_open(g);
        for (i = 0; st == yajl_gen_status_ok && i < v->u.object.len; i++) {
            const char *k = v->u.object.keys[i];
            st = yajl_gen_string(g, (const unsigned char *)k, strlen(k));
            if (st == yajl_gen_status_ok && gen(g, v->u.object.values[i]))
                return -1;
        }
        if (st == yajl_gen_status_ok)
            st = yajl_gen_map_close(g);
        break;
    case yajl_t_array:
        st = yajl_gen_array_open(g);
        for (i = 0; st == yajl_gen_status_ok && i < v->u.array.len; i++)
            if (gen(g, v->u.array.values[i]))
                return -1;
        if (st == yajl_gen_status_ok)
            st = yajl_gen_array_close(g);
        break;
    case yajl_t_true:
    case yajl_t_false:
        st = yajl_gen_bool(g, v->type == yajl_t_true);
        break;
    default:
        st = yajl_gen_null(g);
        break;
    }
    return st == yajl_gen_status_ok ? 0 : -1;
}

static yajl_gen
gen_new(struct ra_buf *b)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g)
        ra_oom();
    yajl_gen_config(g, yajl_gen_print_callback, to_buf, b);
    return g;
}

int
ra_json_write(struct ra_buf *b, yajl_val v)
{
    yajl_gen g = gen_new(b);
    int rc = gen(g, v);
    yajl_gen_free(g);
    return rc;
}

static void
indent(struct ra_buf *b, int depth)
{
    for (int i = 0; i < depth; i++)
        ra_buf_adds(b, "  ");
}

/* depth: the containers around v. Scalars (escaping, numbers) are yajl's;
 * the layout is the one relayaudit's reports have always had. */
static int
pretty(struct ra_buf *b, yajl_gen g, yajl_val v, int depth)
{
    size_t i;

    if (YAJL_IS_OBJECT(v)) {
        ra_buf_adds(b, "{\n");
        for (i = 0; i < v->u.object.len; i++) {
            const char *k = v->u.object.keys[i];
            indent(b, depth + 1);
            if (yajl_gen_string(g, (const unsigned char *)k, strlen(k)) !=
                yajl_gen_status_ok)
                return -1;
            yajl_gen_reset(g, NULL);
            ra_buf_adds(b, ": ");
            if (pretty(b, g, v->u.object.values[i], depth + 1))
                return -1;
            ra_buf_adds(b, i + 1 < v->u.object.len ? ",\n" : "\n");
        }
        indent(b, depth);
        ra_buf_addc(b, '}');
        return 0;
    }
    if (YAJL_IS_ARRAY(v)) {
        ra_buf_addc(b, '[');
        for (i = 0; i < v->u.array.len; i++) {
            if (i)
                ra_buf_adds(b, ", ");
            if (pretty(b, g, v->u.array.values[i], depth + 1))
                return -1;
        }
        ra_buf_addc(b, ']');
        return 0;
    }
    int rc = gen(g, v);
    yajl_gen_reset(g, NULL);
    return rc;
}

int
ra_json_write_pretty(struct ra_buf *b, yajl_val v)
{
    yajl_gen g = gen_new(b);
    int rc = pretty(b, g, v, 0);
    yajl_gen_free(g);
    return rc;
}
