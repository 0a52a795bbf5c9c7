/* fuzz.h -- shared set-up for the fuzz targets: the built-in formats and
 * normalisation rules, loaded once from $RELAYAUDIT_DATADIR. */
#ifndef RA_FUZZ_H
#define RA_FUZZ_H

#include "ingest/format.h"
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

/* Parse data as one record of format name and evaluate every field. */
static inline void
fz_parse(const char *name, const char *header, const uint8_t *data,
         size_t size)
{
    struct ra_timectx tc = {0};
    struct ra_format *f = ra_formats_find(fz_fmts, fz_nfmts, name);
    const char *why;
    tc.year = 2026;
    tc.tz_fixed = 1;
    if (!f)
        abort();
    struct ra_parser *p = ra_parser_new(f, &tc);
    if (header)
        (void)ra_parser_parse(p, header, strlen(header), &why);
    if (ra_parser_parse(p, (const char *)data, size, &why) == RA_REC)
        for (int i = 0; i < RA_F_COUNT; i++) {
            struct ra_val v;
            if (ra_parser_field(p, (enum ra_field)i, &v, &why) == 0 &&
                v.t != RA_V_ABSENT && (ra_field_info[i].type == RA_T_HDRS)) {
                const char *json, *ua;
                size_t jl, ul;
                char fp[17];
                (void)ra_headers_normalize(fz_norm, ra_parser_arena(p), &v,
                                           &json, &jl, fp, &ua, &ul);
            } else if (v.t == RA_V_STR) {
                size_t n;
                (void)ra_redact(fz_norm, ra_parser_arena(p), v.s, v.n, &n);
            }
        }
    ra_parser_free(p);
}

#endif
