/* fuzz.h -- shared set-up for the fuzz targets: the built-in formats and
 * normalisation rules, loaded once from $RELAYAUDIT_DATADIR. */
#ifndef RA_FUZZ_H
#define RA_FUZZ_H

#include "ingest/format.h"
#include "common/json.h"
#include "ingest/normalize.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ra_format **fz_fmts;
static size_t fz_nfmts;
static struct ra_norm *fz_norm;

static inline void
fz_init(void)
{
    struct ra_err err = {0};
    if (fz_norm)
        return;
    if (ra_formats_load_all(&fz_fmts, &fz_nfmts, NULL, &err) ||
        !(fz_norm = ra_norm_load(&err))) {
        fprintf(stderr, "fuzz: %s (set RELAYAUDIT_DATADIR)\n", err.msg);
        abort();
    }
}

/* Every field of p's record, evaluated (header lists normalized, texts
 * redacted), written to b as it reads. */
static inline void
fz_fields(struct ra_parser *p, struct ra_buf *b)
{
    for (int i = 0; i < RA_F_COUNT; i++) {
        struct ra_val v;
        const char *why = NULL;
        if (ra_parser_field(p, (enum ra_field)i, &v, &why) != 0) {
            ra_buf_addf(b, "%d error %s\n", i, why);
            continue;
        }
        ra_buf_addf(b, "%d %d ", i, (int)v.t);
        if (v.t == RA_V_ABSENT) {
        } else if (ra_field_info[i].type == RA_T_HDRS) {
            const char *json, *ua;
            size_t jl, ul;
            char fp[17];
            if (ra_headers_normalize(fz_norm, ra_parser_arena(p), &v, &json,
                                     &jl, fp, &ua, &ul) == 0) {
                ra_buf_add(b, json, jl);
                ra_buf_addf(b, " %s ", fp);
                if (ua)
                    ra_buf_add(b, ua, ul);
            }
        } else if (v.t == RA_V_STR) {
            size_t n;
            const char *r =
                ra_redact(fz_norm, ra_parser_arena(p), v.s, v.n, &n);
            ra_buf_add(b, r, n);
        } else if (v.t == RA_V_INT) {
            ra_buf_addf(b, "%lld", (long long)v.i);
        } else if (v.t == RA_V_REAL) {
            ra_buf_addf(b, "%a", v.d);
        } else if (v.j) {
            (void)ra_json_write(b, (yajl_val)v.j);
        } else {
            ra_buf_add(b, v.s, v.n);
        }
        ra_buf_addc(b, '\n');
    }
}

/* Parse data as a record of format name and evaluate every field. Then
 * what follows its first line break (all of it, when there is none) is
 * parsed by the same parser and by one of its own, and must read the
 * same in both (a parser remembers what it read: ingest/parse_json.c's
 * repeats), unless the format is read as its first record says. */
static inline void
fz_parse(const char *name, const char *header, const uint8_t *data,
         size_t size)
{
    struct ra_timectx tc = {0};
    struct ra_format *f = ra_formats_find(fz_fmts, fz_nfmts, name);
    struct ra_buf got[2] = {RA_BUF_INIT, RA_BUF_INIT};
    const char *text = (const char *)data, *why;
    const char *nl = memchr(text, '\n', size);
    const char *last = nl ? nl + 1 : text;
    size_t last_n = size - (size_t)(last - text);
    int rc[2];
    tc.year = 2026;
    tc.tz_fixed = 1;
    if (!f)
        abort();
    for (int k = 0; k < 2; k++) {
        struct ra_parser *p = ra_parser_new(f, &tc);
        if (header)
            (void)ra_parser_parse(p, header, strlen(header), &why);
        /* the whole input as one record: its fields are evaluated for the
         * sanitizers, and not compared */
        if (k == 0 && ra_parser_parse(p, text, size, &why) == RA_REC)
            fz_fields(p, &got[0]);
        ra_buf_reset(&got[k]);
        rc[k] = ra_parser_parse(p, last, last_n, &why);
        if (rc[k] == RA_REC)
            fz_fields(p, &got[k]);
        else
            ra_buf_addf(&got[k], "%s", rc[k] == RA_REJECT ? why : "");
        ra_parser_free(p);
    }
    /* (a stream's first record decides how `csv json` reads the rest) */
    if (!f->json_too && rc[0] != RA_HEADER && rc[1] != RA_HEADER &&
        (rc[0] != rc[1] || got[0].len != got[1].len ||
         (got[0].len && memcmp(got[0].data, got[1].data, got[0].len)))) {
        fprintf(stderr, "fuzz: the line read %d:\n%.*s\nafter the "
                "record, %d:\n%.*s\nalone\n", rc[0], (int)got[0].len,
                got[0].data, rc[1], (int)got[1].len, got[1].data);
        abort();
    }
    ra_buf_release(&got[0]);
    ra_buf_release(&got[1]);
}

#endif
