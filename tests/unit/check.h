/* check.h -- the unit tests' tiny harness: CHECK(expr) and friends report
 * file and line, and main() ends with "N passed, N failed". */
#ifndef RA_CHECK_H
#define RA_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_pass, check_fail;

#define CHECK(e)                                                             \
    do {                                                                     \
        if (e) {                                                             \
            check_pass++;                                                    \
        } else {                                                             \
            check_fail++;                                                    \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__,  \
                    #e);                                                     \
        }                                                                    \
    } while (0)

#define CHECK_STR(a, b)                                                      \
    do {                                                                     \
        const char *a_ = (a), *b_ = (b);                                     \
        if (a_ && b_ && !strcmp(a_, b_)) {                                   \
            check_pass++;                                                    \
        } else {                                                             \
            check_fail++;                                                    \
            fprintf(stderr, "%s:%d: '%s' != '%s'\n", __FILE__, __LINE__,      \
                    a_ ? a_ : "(null)", b_ ? b_ : "(null)");                 \
        }                                                                    \
    } while (0)

#define CHECK_INT(a, b)                                                      \
    do {                                                                     \
        long long a_ = (long long)(a), b_ = (long long)(b);                  \
        if (a_ == b_) {                                                      \
            check_pass++;                                                    \
        } else {                                                             \
            check_fail++;                                                    \
            fprintf(stderr, "%s:%d: %s = %lld, expected %lld\n", __FILE__,    \
                    __LINE__, #a, a_, b_);                                   \
        }                                                                    \
    } while (0)

static int
check_done(void)
{
    printf("%d passed, %d failed\n", check_pass, check_fail);
    return check_fail ? 1 : 0;
}

#endif
