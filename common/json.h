/* json.h -- JSON on yajl: trees in an arena, text from trees.
 *
 * yajl (chosen by measurement: docs/json-library.md) parses into events
 * and writes with its generator. Trees are yajl's own type (yajl_val, so
 * YAJL_IS_* and YAJL_GET_* apply), built here from the events in an arena
 * rather than by yajl_tree_parse, which mallocs every node and needs a
 * NUL-terminated copy: a tree then costs nothing to drop, and the JSON
 * engine builds only the members a format reads (ra_jtree below).
 */
#ifndef RA_JSON_H
#define RA_JSON_H

#include "common/ra.h"

#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>
#include <yajl/yajl_tree.h>

/* Deeper input is refused: yajl's generator writes at most this deep. */
#define RA_JSON_MAX_DEPTH 128

/* The parse of one text into a tree: yajl's events go to the ra_jtree_*
 * calls below, which add nodes under the open containers. */
struct ra_jtree {
    struct ra_arena *a;
    yajl_val root;
    const char *key; /* the member name waiting for its value */
    int depth;
    yajl_val open[RA_JSON_MAX_DEPTH];
    size_t cap[RA_JSON_MAX_DEPTH];
};

/* Each returns 1, or 0 when the text nests deeper than RA_JSON_MAX_DEPTH
 * (yajl's callback convention: 0 stops the parse). */
int ra_jtree_scalar(struct ra_jtree *t, yajl_type type, const char *s,
                    size_t n);
int ra_jtree_open(struct ra_jtree *t, yajl_type type);
int ra_jtree_key(struct ra_jtree *t, const char *s, size_t n);
int ra_jtree_close(struct ra_jtree *t);
/* A tree made elsewhere, added as a value (it is not copied). */
int ra_jtree_value(struct ra_jtree *t, yajl_val v);

/* A parse with callbacks cb on ctx, yajl's own buffers in arena a: it is
 * given text by yajl_parse and ended by yajl_complete_parse, and there is
 * nothing to free. Strings are not checked for UTF-8 here: text is
 * checked where it is stored (ingest/writer.c). In a callback,
 * yajl_get_bytes_consumed(h) is the offset, in the text given to the
 * yajl_parse that runs, just past the event's token. */
yajl_handle ra_json_handle(struct ra_arena *a, const yajl_callbacks *cb,
                           void *ctx);

/* The tree of text[0..n) in arena a, or NULL when it is not JSON. */
yajl_val ra_json_parse(struct ra_arena *a, const char *text, size_t n);

/* The first member named key of an object (NULL if none or no object). */
yajl_val ra_json_get(yajl_val obj, const char *key);
/* The number of members or elements of an object or array, else 0; the
 * i-th value of either. */
size_t ra_json_len(yajl_val v);
yajl_val ra_json_at(yajl_val v, size_t i);

/* v written to b as compact JSON text (numbers as they were read).
 * Returns 0, or -1 when yajl refuses (only for invalid trees). */
int ra_json_write(struct ra_buf *b, yajl_val v);
/* v as the reports print it: an object's members a line each, indented
 * by two spaces a level; arrays on one line, elements after ", ". */
int ra_json_write_pretty(struct ra_buf *b, yajl_val v);

#endif
