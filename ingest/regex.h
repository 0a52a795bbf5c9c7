/* regex.h -- the one place PCRE2 patterns are compiled (with JIT) and
 * matched. */
#ifndef RA_REGEX_H
#define RA_REGEX_H

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

#include "common/ra.h"

/* Compile src[0..len) (len RA_RE_NUL: NUL-terminated). Caller owns; free
 * with pcre2_code_free. NULL with "bad pattern at offset N: why" in err. */
#define RA_RE_NUL ((size_t)-1)
pcre2_code *ra_re_compile(const char *src, size_t len, struct ra_err *err);
/* The same, for a caller that names the place itself: on failure *at is the
 * offset where the pattern went wrong and err holds the reason alone. */
pcre2_code *ra_re_compile_at(const char *src, size_t len, size_t *at,
                             struct ra_err *err);

/* pcre2_match of s[off..n) (off <= n) through JIT's fast path, which skips
 * pcre2_match's checks of its arguments (and of UTF-8, which is why
 * ra_re_compile compiles UTF patterns with PCRE2_MATCH_INVALID_UTF); the
 * interpreter when the pattern has no JIT code. */
static inline int
ra_re_match(const pcre2_code *re, const char *s, size_t n, size_t off,
            pcre2_match_data *md)
{
    int rc = pcre2_jit_match(re, (PCRE2_SPTR)s, n, off, 0, md, NULL);
    if (rc == PCRE2_ERROR_JIT_BADOPTION)
        rc = pcre2_match(re, (PCRE2_SPTR)s, n, off, 0, md, NULL);
    return rc;
}

/* Whether any of the n patterns res[] matches s[0..len) (a format's
 * `skip` patterns: known non-record lines). md may hold a single pair. */
static inline int
ra_re_any(void *const *res, size_t n, const char *s, size_t len,
          pcre2_match_data *md)
{
    for (size_t i = 0; i < n; i++)
        if (ra_re_match(res[i], s, len, 0, md) >= 0)
            return 1;
    return 0;
}

#endif
