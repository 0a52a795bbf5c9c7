/* test_timestamp.c -- every timestamp form of FORMATS.md, as a table. */
#include "check.h"
#include "ingest/format.h"
#include "ingest/ingest.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *in, *fmt;
    int local;
    long long ms; /* -1: must fail */
} cases[] = {
    /* ISO 8601: Z, offsets, fractions, T or space, zone-less = UTC */
    {"2026-11-24T10:15:02.113Z", NULL, 0, 1795515302113LL},
    {"2026-11-24T10:15:02Z", NULL, 0, 1795515302000LL},
    {"2026-11-24 10:15:02.113", NULL, 0, 1795515302113LL},
    {"2026-11-24T10:15:02.113456", NULL, 0, 1795515302113LL},
    {"2026-11-24T12:15:02+02:00", NULL, 0, 1795515302000LL},
    {"2026-11-24T06:45:02-0330", NULL, 0, 1795515302000LL},
    {"2026-11-24T10:15:02.1+00", NULL, 0, 1795515302100LL},
    {"2026-11-24", NULL, 0, 1795478400000LL},
    {"2026-11-24T10:15", NULL, 0, 1795515300000LL},
    {"2026-11-24T10:15+01:00", NULL, 0, 1795511700000LL},
    {"2026-11-24T10:1", NULL, 0, -1},
    {"1969-12-31T23:59:59Z", NULL, 0, -1000LL},
    {"2026-13-24T10:15:02Z", NULL, 0, -1},
    {"2026-11-24X10:15:02Z", NULL, 0, -1},
    /* epoch numbers by magnitude */
    {"1795515302", NULL, 0, 1795515302000LL},
    {"1795515302.117", NULL, 0, 1795515302117LL},
    {"1795515302117", NULL, 0, 1795515302117LL},
    {"1795515302117000", NULL, 0, 1795515302117LL},
    {"1795515302117000000", NULL, 0, 1795515302117LL},
    {"1795515302.1", NULL, 0, 1795515302100LL},
    {"1795515302.", NULL, 0, 1795515302000LL},
    {"99999999999", NULL, 0, 99999999999000LL},
    {"100000000000", NULL, 0, 100000000000LL},
    {"12345678901234", NULL, 0, 12345678901234LL},
    {"123456789012345", NULL, 0, 123456789012LL},
    {".5", NULL, 0, 500LL},
    {"-5", NULL, 0, -5000LL},
    {"1795515302.117x", NULL, 0, -1},
    {"1795515302..1", NULL, 0, -1},
    /* CLF, with odd offsets */
    {"24/Nov/2026:10:15:02 +0000", NULL, 0, 1795515302000LL},
    {"24/Nov/2026:13:45:02 +0330", NULL, 0, 1795515302000LL},
    {"[24/Nov/2026:10:15:02.250 +0000]", NULL, 0, 1795515302250LL},
    {"24/Foo/2026:10:15:02 +0000", NULL, 0, -1},
    /* syslog: the year comes from the context (2026 here) */
    {"Nov 24 10:15:02", NULL, 1, 1795515302000LL},
    {"Nov  4 10:15:02", NULL, 1, 1793787302000LL},
    /* a strptime pattern (Proxifier) */
    {"11.24 10:15:02", "%m.%d %H:%M:%S", 1, 1795515302000LL},
    {"garbage", NULL, 0, -1},
    {"", NULL, 0, -1},
};

/* What an epoch number means, by the double's rule alone (the parser
 * takes the common shapes in integers first). */
static int
ref_epoch(const char *s, long long *ms)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !*s || strspn(s, "0123456789.-") != strlen(s))
        return -1;
    double a = fabs(v);
    *ms = a < 1e11   ? llround(v * 1000)
          : a < 1e14 ? llround(v)
          : a < 1e17 ? llround(v / 1000)
                     : llround(v / 1e6);
    return 0;
}

/* Random numbers of digits and dots agree with ref_epoch. */
static void
sweep_epochs(struct ra_timectx *tc)
{
    uint64_t seed = 20261126;
    for (int t = 0; t < 100000; t++) {
        char s[20];
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        unsigned n = 1 + (unsigned)(seed >> 60), dot = (unsigned)(seed >> 20) % 24;
        for (unsigned k = 0; k < n; k++) {
            seed = seed * 6364136223846793005u + 1442695040888963407u;
            s[k] = (char)('0' + (seed >> 33) % 10);
        }
        if (dot < n)
            s[dot] = '.';
        s[n] = '\0';
        long long want = 0;
        int64_t got;
        int wr = ref_epoch(s, &want),
            gr = ra_parse_ts(s, n, NULL, 0, tc, &got);
        if (wr != gr || (gr == 0 && got != want)) {
            fprintf(stderr, "epoch '%s': %d %lld, want %d %lld\n", s, gr,
                    (long long)got, wr, want);
            CHECK(0);
            return;
        }
    }
}

int
main(void)
{
    struct ra_timectx tc = {0};
    tc.year = 2026;
    tc.tz_fixed = 1;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t ms = 0;
        int rc = ra_parse_ts(cases[i].in, strlen(cases[i].in), cases[i].fmt,
                             cases[i].local, &tc, &ms);
        if (cases[i].ms == -1) {
            if (rc == 0)
                fprintf(stderr, "case %zu '%s' parsed\n", i, cases[i].in);
            CHECK(rc != 0);
        } else {
            if (rc != 0 || ms != cases[i].ms)
                fprintf(stderr, "case %zu '%s': rc %d ms %lld\n", i,
                        cases[i].in, rc, (long long)ms);
            CHECK(rc == 0 && ms == cases[i].ms);
        }
    }
    sweep_epochs(&tc);
    /* Local time in a fixed zone: 10:15:02 at +01:00 is 09:15:02Z. */
    int64_t ms;
    CHECK(ra_tz_parse("+01:00", &tc) == 0);
    CHECK(ra_parse_ts("Nov 24 10:15:02", 15, NULL, 1, &tc, &ms) == 0);
    CHECK_INT(ms, 1795515302000LL - 3600000);
    /* An IANA zone: Asia/Tehran is +03:30 in November. */
    CHECK(ra_tz_parse("Asia/Tehran", &tc) == 0);
    CHECK(ra_parse_ts("Nov 24 13:45:02", 15, NULL, 1, &tc, &ms) == 0);
    CHECK_INT(ms, 1795515302000LL);
    CHECK(ra_tz_parse("Not/AZone", &tc) != 0);
    CHECK(ra_tz_parse("+25:00", &tc) != 0);
    /* Year inference: a month after the mtime's month is last year. */
    struct ra_timectx y = {0};
    y.tz_fixed = 1;
    y.mtime_year = 2027;
    y.ref_month = 1;
    CHECK(ra_parse_ts("Dec 31 23:00:00", 15, NULL, 1, &y, &ms) == 0);
    CHECK_INT(y.used_year, 2026);
    CHECK(ra_parse_ts("Jan 02 23:00:00", 15, NULL, 1, &y, &ms) == 0);
    CHECK_INT(y.used_year, 2027);
    return check_done();
}
