/* when.c -- the times --since and --until take: ISO dates and times,
 * `today`, `yesterday`, `now` and `-24h` style offsets. Days are UTC days
 * unless --tz names another zone. */
#include "cli/cli.h"
#include "ingest/format.h"
#include "ingest/ingest.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* tm's date as YYYY-MM-DD. */
static void
ymd(char *day, size_t n, const struct tm *tm)
{
    snprintf(day, n, "%04d-%02d-%02d", tm->tm_year + 1900, tm->tm_mon + 1,
             tm->tm_mday);
}

int
ra_parse_when(const char *s, const char *tz, int64_t *out)
{
    return ra_parse_when_at(s, tz, ra_now_ms(), out);
}

int
ra_parse_when_at(const char *s, const char *tz, int64_t now_ms, int64_t *out)
{
    struct ra_timectx tc;
    int64_t d;

    memset(&tc, 0, sizeof tc);
    if (ra_tz_parse(tz, &tc) != 0)
        return -1;
    if (!strcmp(s, "now")) {
        *out = now_ms;
        return 0;
    }
    if (s[0] == '-' && ra_parse_duration(s + 1, &d) == 0) {
        *out = now_ms - d;
        return 0;
    }
    if (!strcmp(s, "today") || !strcmp(s, "yesterday")) {
        /* The date now in the zone -- for yesterday the calendar day
         * before, since a day in a zone with summer time may have 23 or 25
         * hours -- then that date's midnight in the zone. */
        time_t t = (time_t)(now_ms / 1000);
        struct tm tm;
        char day[48];
        if (tc.tz_fixed)
            t += (time_t)tc.tz_offset_min * 60;
        if (tc.tz_fixed ? !gmtime_r(&t, &tm) : !localtime_r(&t, &tm))
            return -1;
        if (s[0] == 'y') {
            struct ra_timectx utc;
            int64_t ms;
            memset(&utc, 0, sizeof utc);
            ymd(day, sizeof day, &tm);
            if (ra_parse_ts(day, strlen(day), NULL, 1, &utc, &ms) != 0)
                return -1;
            t = (time_t)(ms / 1000) - 86400;
            if (!gmtime_r(&t, &tm))
                return -1;
        }
        ymd(day, sizeof day, &tm);
        return ra_parse_ts(day, strlen(day), NULL, 1, &tc, out) != 0 ? -1 : 0;
    }
    /* An ISO date or time; zone-less ones are in --tz (UTC by default). */
    if (strlen(s) < 10 || s[4] != '-')
        return -1;
    return ra_parse_ts(s, strlen(s), NULL, 1, &tc, out);
}
