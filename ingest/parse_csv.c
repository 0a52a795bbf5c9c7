/* parse_csv.c -- the CSV engine (libcsv). The framer hands it one whole
 * record, quoted newlines included. Columns are named by the file's header
 * row, or by the definition's `columns` when the file has none; `$name`
 * is the column of that name.
 */
#include "ingest/format.h"

#include <csv.h>
#include <stdlib.h>
#include <string.h>

struct csv_field {
    char *p;
    size_t n;
};

struct csv_state {
    struct csv_parser cp;
    struct ra_format *f;
    struct csv_field *fields;
    size_t nfields, cap;
    struct ra_buf store; /* the record's field bytes, NUL-separated */
    size_t *offs;
    int *colof; /* ref idx -> column */
    int have_header;
    int done;
    struct csv_parser fr; /* ra_csv_frame's: the grammar alone */
    int fr_ready, fr_ended;
};

static int
csv_compile(struct ra_format *f, struct ra_err *err)
{
    (void)f;
    (void)err;
    return 0;
}

static void
resolve(struct csv_state *s, char **names, size_t n)
{
    for (size_t i = 0; i < s->f->nrefs; i++) {
        s->colof[i] = -1;
        for (size_t c = 0; c < n; c++)
            if (!strcmp(names[c], s->f->refs[i]->first)) {
                s->colof[i] = (int)c;
                break;
            }
    }
}

static void *
csv_open(struct ra_format *f)
{
    struct csv_state *s = xcalloc_lines(sizeof *s);
    s->f = f;
    s->colof = xcalloc(f->nrefs + 1, sizeof *s->colof);
    if (csv_init(&s->cp, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        free(s->colof);
        free(s);
        return NULL;
    }
    if (f->ncolumns) {
        resolve(s, f->columns, f->ncolumns);
        s->have_header = 1;
    }
    return s;
}

static void
on_field(void *data, size_t len, void *ctx)
{
    struct csv_state *s = ctx;
    if (s->nfields == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->offs = xrealloc(s->offs, s->cap * sizeof *s->offs);
        s->fields = xrealloc(s->fields, s->cap * sizeof *s->fields);
    }
    s->offs[s->nfields] = s->store.len;
    s->fields[s->nfields].n = len;
    s->nfields++;
    ra_buf_add(&s->store, data, len);
    ra_buf_addc(&s->store, '\0');
}

static void
on_record(int c, void *ctx)
{
    (void)c;
    ((struct csv_state *)ctx)->done++;
}

static enum ra_parse_rc
csv_parse_rec(void *st, struct ra_format *f, const char *rec, size_t len,
              const char **reason)
{
    struct csv_state *s = st;

    (void)f;
    s->nfields = 0;
    s->done = 0;
    ra_buf_reset(&s->store);
    if (len == 0)
        return RA_SKIP;
    if (csv_parse(&s->cp, rec, len, on_field, on_record, s) != len ||
        csv_fini(&s->cp, on_field, on_record, s) != 0 || s->done != 1) {
        csv_free(&s->cp);
        csv_init(&s->cp, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL);
        *reason = "malformed CSV";
        return RA_REJECT;
    }
    for (size_t i = 0; i < s->nfields; i++)
        s->fields[i].p = s->store.data + s->offs[i];
    if (!s->have_header) {
        char **names = xcalloc(s->nfields + 1, sizeof *names);
        for (size_t i = 0; i < s->nfields; i++)
            names[i] = s->fields[i].p;
        resolve(s, names, s->nfields);
        free(names);
        s->have_header = 1;
        return RA_HEADER;
    }
    return RA_REC;
}

static void
csv_get(void *st, const struct ra_ref *ref, struct ra_val *out)
{
    struct csv_state *s = st;
    int c = s->colof[ref->idx];
    if (c < 0 || (size_t)c >= s->nfields) {
        out->t = RA_V_ABSENT;
        return;
    }
    ra_val_str(out, s->fields[c].p, s->fields[c].n);
}

static void
on_frame_end(int c, void *ctx)
{
    (void)c;
    ((struct csv_state *)ctx)->fr_ended = 1;
}

enum ra_frame
ra_csv_frame(void *st, const char *line, size_t len, int cont)
{
    struct csv_state *s = st;

    if (!s->fr_ready) {
        s->fr_ready = csv_init(&s->fr, CSV_STRICT) == 0;
        if (!s->fr_ready)
            return RA_FRAME_BAD;
    } else if (!cont) {
        csv_fini(&s->fr, NULL, NULL, NULL); /* a record anew, buffer kept */
    }
    s->fr_ended = 0;
    if (csv_parse(&s->fr, line, len, NULL, on_frame_end, s) != len ||
        csv_parse(&s->fr, "\n", 1, NULL, on_frame_end, s) != 1) {
        csv_fini(&s->fr, NULL, NULL, NULL);
        return RA_FRAME_BAD;
    }
    return s->fr_ended ? RA_FRAME_END : RA_FRAME_MORE;
}

static void
csv_close(void *st)
{
    struct csv_state *s = st;
    if (!s)
        return;
    if (s->fr_ready)
        csv_free(&s->fr);
    csv_free(&s->cp);
    free(s->fields);
    free(s->offs);
    free(s->colof);
    ra_buf_release(&s->store);
    free(s);
}

const struct ra_engine_ops ra_engine_csv = {
    "csv",
    csv_compile, csv_open, csv_parse_rec, csv_get, csv_close,
};
