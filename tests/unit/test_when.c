/* test_when.c -- the times --since and --until take, at a fixed "now":
 * today and yesterday are calendar days in the zone, so a day with a
 * summer-time change is 23 or 25 hours long. */
#include "check.h"
#include "cli/cli.h"
#include "ingest/format.h"

#include <string.h>

static int64_t
utc(const char *iso)
{
    struct ra_timectx tc;
    int64_t ms = -1;
    memset(&tc, 0, sizeof tc);
    if (ra_parse_ts(iso, strlen(iso), NULL, 0, &tc, &ms) != 0)
        return -1;
    return ms;
}

static const struct {
    const char *when, *tz, *now, *want; /* want NULL: an error */
} cases[] = {
    {"today", NULL, "2026-11-25T03:00:00Z", "2026-11-25T00:00:00Z"},
    {"yesterday", NULL, "2026-11-25T03:00:00Z", "2026-11-24T00:00:00Z"},
    {"yesterday", NULL, "2026-03-01T00:00:00Z", "2026-02-28T00:00:00Z"},
    {"yesterday", NULL, "2026-01-01T12:00:00Z", "2025-12-31T00:00:00Z"},
    /* a fixed offset: the date there, its midnight there */
    {"today", "+05:30", "2026-11-24T20:00:00Z", "2026-11-24T18:30:00Z"},
    {"yesterday", "-08:00", "2026-11-25T03:00:00Z", "2026-11-23T08:00:00Z"},
    /* Berlin, the day after summer time began (2026-03-29, 23 hours) */
    {"today", "Europe/Berlin", "2026-03-30T10:00:00Z", "2026-03-29T22:00:00Z"},
    {"yesterday", "Europe/Berlin", "2026-03-30T10:00:00Z",
     "2026-03-28T23:00:00Z"},
    /* and the day after it ended (2026-10-25, 25 hours) */
    {"today", "Europe/Berlin", "2026-10-26T10:00:00Z", "2026-10-25T23:00:00Z"},
    {"yesterday", "Europe/Berlin", "2026-10-26T10:00:00Z",
     "2026-10-24T22:00:00Z"},
    /* ISO times: zone-less ones in --tz */
    {"2026-11-24", "Europe/Berlin", "2026-11-25T00:00:00Z",
     "2026-11-23T23:00:00Z"},
    {"2026-11-24T10:00:00Z", "+02:00", "2026-11-25T00:00:00Z",
     "2026-11-24T10:00:00Z"},
    {"-24h", NULL, "2026-11-25T03:00:00Z", "2026-11-24T03:00:00Z"},
    {"now", NULL, "2026-11-25T03:00:00Z", "2026-11-25T03:00:00Z"},
    {"tomorrow", NULL, "2026-11-25T03:00:00Z", NULL},
    {"today", "Mars/Olympus", "2026-11-25T03:00:00Z", NULL},
};

int
main(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t got = 0;
        int rc = ra_parse_when_at(cases[i].when, cases[i].tz,
                                  utc(cases[i].now), &got);
        if (!cases[i].want) {
            CHECK_INT(rc, -1);
            continue;
        }
        CHECK_INT(rc, 0);
        if (got != utc(cases[i].want))
            fprintf(stderr, "  %s in %s at %s\n", cases[i].when,
                    cases[i].tz ? cases[i].tz : "UTC", cases[i].now);
        CHECK_INT(got, utc(cases[i].want));
    }
    return check_done();
}
