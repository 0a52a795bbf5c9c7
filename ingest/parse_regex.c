/* parse_regex.c -- the regex engine: one PCRE2 pattern with named groups
 * per format, compiled once with JIT; match data is reused for every line.
 * `$name` in a field expression is the named group (or `$3`, a number).
 */
#include "ingest/format.h"

#include "ingest/regex.h"

#include <stdlib.h>
#include <string.h>

struct regex_state {
    pcre2_match_data *md;
    const char *line;
    PCRE2_SIZE *ov;
    int rc;
};

static int
regex_compile(struct ra_format *f, struct ra_err *err)
{
    if (!(f->re = ra_re_compile_at(f->regex, RA_RE_NUL, &f->regex_bad, err)))
        return RA_ECONFIG;
    for (size_t i = 0; i < f->nrefs; i++) {
        struct ra_ref *r = f->refs[i];
        int64_t k;
        if (ra_parse_i64(r->first, strlen(r->first), &k) == 0)
            r->slot = (int)k;
        else
            r->slot = pcre2_substring_number_from_name(f->re,
                                                       (PCRE2_SPTR)r->first);
        if (r->slot < 0)
            return ra_err_set(err, RA_ECONFIG, "no group named '%s' in the "
                                               "regex",
                              r->first);
    }
    return 0;
}

static void *
regex_open(struct ra_format *f)
{
    struct regex_state *s = xcalloc_lines(sizeof *s);
    s->md = pcre2_match_data_create_from_pattern(f->re, NULL);
    s->ov = pcre2_get_ovector_pointer(s->md);
    return s;
}

static enum ra_parse_rc
regex_parse(void *st, struct ra_format *f, const char *rec, size_t len,
            const char **reason)
{
    struct regex_state *s = st;
    s->line = rec;
    s->rc = ra_re_match(f->re, rec, len, 0, s->md);
    if (s->rc > 0)
        return RA_REC;
    if (ra_re_any(f->skips, f->nskips, rec, len, s->md))
        return RA_SKIP;
    *reason = s->rc == PCRE2_ERROR_NOMATCH ? "does not match the format"
                                           : "regex error";
    return RA_REJECT;
}

static void
regex_get(void *st, const struct ra_ref *ref, struct ra_val *out)
{
    struct regex_state *s = st;
    int g = ref->slot;
    if (g < 0 || g >= s->rc || s->ov[2 * g] == PCRE2_UNSET) {
        out->t = RA_V_ABSENT;
        return;
    }
    ra_val_str(out, s->line + s->ov[2 * g], s->ov[2 * g + 1] - s->ov[2 * g]);
}

static void
regex_close(void *st)
{
    struct regex_state *s = st;
    if (!s)
        return;
    pcre2_match_data_free(s->md);
    free(s);
}

const struct ra_engine_ops ra_engine_regex = {
    "regex",
    regex_compile, regex_open, regex_parse, regex_get, regex_close,
};
