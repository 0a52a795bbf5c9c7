/* timestamp.c -- every timestamp form of FORMATS.md to UTC milliseconds.
 *
 * Recognised without a hint: epoch numbers (seconds, ms, us, ns by size),
 * ISO-8601 (T or space, fraction, Z / offset / none = UTC), CLF
 * `10/Oct/2026:13:55:36 +0330` and syslog `Nov 24 10:15:02`. A format can
 * give a strptime pattern instead (`| ts "%m.%d %H:%M:%S"`). Times without a
 * zone are UTC unless the format says `time local`, then --tz applies;
 * times without a year take --year or the file's mtime year.
 */
#define _XOPEN_SOURCE 700
#define _DEFAULT_SOURCE
#include "ingest/format.h"

#include <limits.h>
#include <math.h>
#include <string.h>
#include <time.h>

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

static int
month_of(const char *s)
{
    for (int i = 0; i < 12; i++)
        if (!strncmp(months + 3 * i, s, 3))
            return i + 1;
    return 0;
}

static int
digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Local wall time to UTC ms in the zone of tc. */
static int64_t
local_to_utc(struct ra_timectx *tc, int y, int mo, int d, int h, int mi,
             int s, int ms)
{
    if (tc && !tc->tz_fixed && tc->tz_name) {
        struct tm tm = {0};
        tm.tm_year = y - 1900;
        tm.tm_mon = mo - 1;
        tm.tm_mday = d;
        tm.tm_hour = h;
        tm.tm_min = mi;
        tm.tm_sec = s;
        tm.tm_isdst = -1;
        time_t t = mktime(&tm); /* TZ was set from --tz by the caller */
        return (int64_t)t * 1000 + ms;
    }
    int64_t off = tc && tc->tz_fixed ? tc->tz_offset_min : 0;
    return ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) -
            off * 60) * 1000 + ms;
}

static int
year_for(struct ra_timectx *tc, int month)
{
    if (!tc)
        return 1970;
    if (tc->year) {
        tc->used_year = tc->year;
        return tc->year;
    }
    int y = tc->mtime_year ? tc->mtime_year : 1970;
    /* A month later than the file's mtime month is from the year before. */
    if (tc->ref_month && month > tc->ref_month)
        y--;
    tc->used_year = y;
    return y;
}

static int
valid(int mo, int d, int h, int mi, int s)
{
    return mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 &&
           s <= 60;
}

/* Optional ".123" / ",123456" fraction at *p: milliseconds. */
static int
fraction(const char **p, const char *end)
{
    int ms = 0, k = 0;
    if (*p < end && (**p == '.' || **p == ',')) {
        (*p)++;
        while (*p < end && **p >= '0' && **p <= '9') {
            if (k < 3)
                ms = ms * 10 + (**p - '0');
            k++;
            (*p)++;
        }
        while (k > 0 && k < 3)
            ms *= 10, k++;
    }
    return ms;
}

/* Zone at p: Z, +hh:mm, +hhmm, +hh. Returns 1 and sets *off_min, 0 when
 * there is none, -1 when malformed. */
static int
zone(const char **p, const char *end, int *off_min)
{
    const char *q = *p;
    int h, m = 0;
    while (q < end && *q == ' ')
        q++;
    if (q == end)
        return 0;
    if (*q == 'Z' || *q == 'z') {
        *off_min = 0;
        *p = q + 1;
        return 1;
    }
    if (*q != '+' && *q != '-')
        return -1;
    int sign = *q == '-' ? -1 : 1;
    q++;
    if (end - q < 2 || digits(q, 2, &h))
        return -1;
    q += 2;
    if (q < end && *q == ':')
        q++;
    if (end - q >= 2 && !digits(q, 2, &m))
        q += 2;
    *off_min = sign * (h * 60 + m);
    *p = q;
    return 1;
}

static int
parse_iso(const char *s, const char *end, int local, struct ra_timectx *tc,
          int64_t *out)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, ms = 0, off = 0, hz;
    const char *p = s;
    if (end - p < 10 || digits(p, 4, &y) || p[4] != '-' ||
        digits(p + 5, 2, &mo) || p[7] != '-' || digits(p + 8, 2, &d))
        return -1;
    p += 10;
    if (p < end) {
        /* HH:MM, seconds optional */
        if ((*p != 'T' && *p != ' ' && *p != 't') || end - p < 6 ||
            digits(p + 1, 2, &h) || p[3] != ':' || digits(p + 4, 2, &mi))
            return -1;
        p += 6;
        if (p < end && *p == ':') {
            if (end - p < 3 || digits(p + 1, 2, &sec))
                return -1;
            p += 3;
            ms = fraction(&p, end);
        }
    }
    hz = zone(&p, end, &off);
    if (hz < 0 || p != end || !valid(mo, d, h, mi, sec))
        return -1;
    if (hz == 0 && local) {
        *out = local_to_utc(tc, y, mo, d, h, mi, sec, ms);
        return 0;
    }
    *out = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) -
            (int64_t)off * 60) * 1000 + ms;
    return 0;
}

/* 10/Oct/2026:13:55:36[.123] [+0330] */
static int
parse_clf(const char *s, const char *end, struct ra_timectx *tc, int64_t *out)
{
    int d, mo, y, h, mi, sec, ms, off = 0, hz;
    const char *p = s;
    if (end - p < 20 || digits(p, 2, &d) || p[2] != '/' ||
        !(mo = month_of(p + 3)) || p[6] != '/' || digits(p + 7, 4, &y) ||
        p[11] != ':' || digits(p + 12, 2, &h) || p[14] != ':' ||
        digits(p + 15, 2, &mi) || p[17] != ':' || digits(p + 18, 2, &sec))
        return -1;
    p += 20;
    ms = fraction(&p, end);
    hz = zone(&p, end, &off);
    if (hz < 0 || p != end || !valid(mo, d, h, mi, sec))
        return -1;
    if (hz == 0) {
        *out = local_to_utc(tc, y, mo, d, h, mi, sec, ms);
        return 0;
    }
    *out = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) -
            (int64_t)off * 60) * 1000 + ms;
    return 0;
}

/* Nov 24 10:15:02[.123] (syslog: no year, local time) */
static int
parse_syslog(const char *s, const char *end, struct ra_timectx *tc,
             int64_t *out)
{
    int mo, d, h, mi, sec, ms;
    const char *p = s;
    if (end - p < 15 || !(mo = month_of(p)) || p[3] != ' ')
        return -1;
    p += 4;
    if (*p == ' ')
        p++;
    if (p[0] >= '0' && p[0] <= '9' && p[1] == ' ') {
        d = p[0] - '0';
        p += 1;
    } else if (digits(p, 2, &d) == 0) {
        p += 2;
    } else {
        return -1;
    }
    if (end - p < 9 || *p != ' ' || digits(p + 1, 2, &h) || p[3] != ':' ||
        digits(p + 4, 2, &mi) || p[6] != ':' || digits(p + 7, 2, &sec))
        return -1;
    p += 9;
    ms = fraction(&p, end);
    if (p != end || !valid(mo, d, h, mi, sec))
        return -1;
    *out = local_to_utc(tc, year_for(tc, mo), mo, d, h, mi, sec, ms);
    return 0;
}

/* The common shapes in integers: seconds with up to three decimals,
 * Squid's 1795515302.117, or whole milliseconds, by the magnitude rule
 * below: what the double gives for them, exactly. 0, or -1 for any other
 * shape. */
static int
epoch_short(const char *s, const char *end, int64_t *out)
{
    int64_t v = 0, frac = 0;
    int nd = 0, nf = 0;
    const char *p = s;
    for (; p < end && *p >= '0' && *p <= '9' && nd < 15; p++, nd++)
        v = v * 10 + (*p - '0');
    if (nd == 0 || nd > 14)
        return -1;
    if (p == end && v >= 100000000000) { /* 1e11 to 1e14: milliseconds */
        *out = v;
        return 0;
    }
    if (v >= 100000000000)
        return -1;
    if (p < end && *p == '.')
        for (p++; p < end && *p >= '0' && *p <= '9' && nf < 4; p++, nf++)
            frac = frac * 10 + (*p - '0');
    if (p != end || nf > 3)
        return -1;
    while (nf++ < 3)
        frac *= 10;
    *out = v * 1000 + frac;
    return 0;
}

static int
parse_epoch(const char *s, const char *end, int64_t *out)
{
    double v;
    if (epoch_short(s, end, out) == 0)
        return 0;
    if (ra_parse_f64(s, (size_t)(end - s), &v) != 0)
        return -1;
    for (const char *p = s; p < end; p++)
        if (!((*p >= '0' && *p <= '9') || *p == '.' || *p == '-'))
            return -1;
    double a = fabs(v);
    *out = a < 1e11   ? (int64_t)llround(v * 1000)
           : a < 1e14 ? (int64_t)llround(v)
           : a < 1e17 ? (int64_t)llround(v / 1000)
           : a < 9e18 ? (int64_t)llround(v / 1e6)
                      : INT64_MIN;
    return *out == INT64_MIN ? -1 : 0;
}

static int
parse_with(const char *s, size_t n, const char *fmt, int local,
           struct ra_timectx *tc, int64_t *out)
{
    char buf[128];
    struct tm tm;
    if (n >= sizeof buf)
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    memset(&tm, 0, sizeof tm);
    tm.tm_year = INT_MIN;
    tm.tm_gmtoff = LONG_MIN;
    const char *rest = strptime(buf, fmt, &tm);
    if (!rest)
        return -1;
    const char *end = buf + n;
    int ms = fraction(&rest, end);
    if (rest != end)
        return -1;
    int y = tm.tm_year == INT_MIN ? year_for(tc, tm.tm_mon + 1)
                                  : tm.tm_year + 1900;
    if (!valid(tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec))
        return -1;
    if (tm.tm_gmtoff != LONG_MIN && strstr(fmt, "%z")) {
        *out = ((days_from_civil(y, tm.tm_mon + 1, tm.tm_mday) * 86400 +
                 tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec) -
                tm.tm_gmtoff) * 1000 + ms;
        return 0;
    }
    if (local) {
        *out = local_to_utc(tc, y, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                            tm.tm_min, tm.tm_sec, ms);
        return 0;
    }
    *out = (days_from_civil(y, tm.tm_mon + 1, tm.tm_mday) * 86400 +
            tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec) * 1000 + ms;
    return 0;
}

int
ra_parse_ts(const char *s, size_t n, const char *fmt, int local,
            struct ra_timectx *tc, int64_t *ms)
{
    while (n && (*s == ' ' || *s == '[' || *s == '"'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == ']' || s[n - 1] == '"'))
        n--;
    if (n == 0)
        return -1;
    if (fmt)
        return parse_with(s, n, fmt, local, tc, ms);
    const char *end = s + n;
    if (n >= 10 && s[4] == '-')
        return parse_iso(s, end, local, tc, ms);
    if (n >= 20 && s[2] == '/')
        return parse_clf(s, end, tc, ms);
    if (n >= 15 && s[0] >= 'A' && s[0] <= 'Z')
        return parse_syslog(s, end, tc, ms);
    return parse_epoch(s, end, ms);
}
