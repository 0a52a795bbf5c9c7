/* regex.h -- the one place PCRE2 patterns are compiled (with JIT). */
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

#endif
