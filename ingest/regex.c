/* regex.c -- PCRE2 compilation for formats, rules and SQL's REGEXP: one
 * error message, JIT always tried (it falls back to the interpreter where
 * the platform has no JIT). */
#include "ingest/regex.h"

#include <stdio.h>
#include <stdlib.h>

static pcre2_code *
compile(const char *src, size_t len, uint32_t options, size_t *at,
        struct ra_err *err)
{
    int ec;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)src,
                                   len == RA_RE_NUL ? PCRE2_ZERO_TERMINATED
                                                    : len,
                                   options, &ec, &off, NULL);
    if (!re) {
        PCRE2_UCHAR msg[128];
        pcre2_get_error_message(ec, msg, sizeof msg);
        ra_err_set(err, RA_ECONFIG, "%s", (const char *)msg);
        *at = off;
    }
    return re;
}

pcre2_code *
ra_re_compile(const char *src, size_t len, struct ra_err *err)
{
    size_t at;
    pcre2_code *re = ra_re_compile_at(src, len, &at, err);
    if (!re) {
        char why[sizeof err->msg];
        snprintf(why, sizeof why, "%s", err->msg);
        ra_err_set(err, RA_ECONFIG, "bad pattern at offset %zu: %s", at, why);
    }
    return re;
}

pcre2_code *
ra_re_compile_at(const char *src, size_t len, size_t *at, struct ra_err *err)
{
    uint32_t all = 0;
    pcre2_code *re = compile(src, len, 0, at, err);
    if (!re)
        return NULL;
    /* A pattern that starts with (*UTF): ra_re_match does not check the
     * subject's UTF-8 first, so invalid sequences must be safe to meet
     * (they match nothing but themselves' bytes' classes). */
    pcre2_pattern_info(re, PCRE2_INFO_ALLOPTIONS, &all);
    if (all & PCRE2_UTF) {
        pcre2_code_free(re);
        if (!(re = compile(src, len, PCRE2_MATCH_INVALID_UTF, at, err)))
            return NULL;
    }
    /* RELAYAUDIT_NO_JIT: the interpreter only, for valgrind, which cannot
     * see through JIT code's wide reads (`make valgrind` sets it). */
    if (!getenv("RELAYAUDIT_NO_JIT"))
        pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
    return re;
}
