/* test_common.c -- common/ra.c's hot helpers. ra_parse_i64 and
 * ra_parse_f64: the shapes logs hold, the edges, and a seeded sweep against
 * strtoll / strtod (the digit loop and the short-decimal path must agree
 * with them to the bit). ra_sha256_hex_memo: the same digests as
 * ra_sha256_hex, however texts repeat, collide in its table or outgrow it.
 * common/json.c: trees, the first of duplicate members, numbers written as
 * read, both layouts (empty containers included) and the depth limit.
 * ra_env_number: a setting's value, or its default when it is not one. */
#include "check.h"
#include "common/json.h"
#include "common/ra.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

static int
i64(const char *s, int64_t *v)
{
    return ra_parse_i64(s, strlen(s), v);
}

static int
f64(const char *s, double *v)
{
    return ra_parse_f64(s, strlen(s), v);
}

/* strtod's answer for s, or -1 where ra_parse_f64 must refuse. */
static int
ref_f64(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return end == s || *end || errno || !isfinite(*v) ? -1 : 0;
}

static uint64_t seed = 20261125;

static unsigned
rnd(unsigned n)
{
    seed = seed * 6364136223846793005u + 1442695040888963407u;
    return (unsigned)(seed >> 33) % n;
}

/* common/json.c: trees in an arena, compact and pretty text. */
/* Durations: one term, terms together, seconds alone; nothing else. */
static void
test_duration(void)
{
    static const struct {
        const char *s;
        int64_t ms; /* -1: refused */
    } t[] = {{"90s", 90000}, {"15m", 900000}, {"1h", 3600000},
             {"2d", 172800000}, {"500ms", 500}, {"90", 90000},
             {"1.5h", 5400000}, {"1h30m", 5400000}, {"2m30s", 150000},
             {"1d12h", 129600000}, {"1s500ms", 1500}, {"0s", 0},
             {"", -1}, {"10x", -1}, {"1h30", -1}, {"h", -1}, {"-5m", -1},
             {"1h-5m", -1}, {"30 m", -1}, {"inf", -1}, {"1e300d", -1},
             {"5mx", -1}};
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        int64_t ms = -1;
        int rc = ra_parse_duration(t[i].s, &ms);
        if (t[i].ms < 0)
            CHECK_INT(rc, -1);
        else
            CHECK_INT(ms, t[i].ms);
    }
}

static void
test_json(void)
{
    struct ra_arena *a = ra_arena_new();
    struct ra_buf b = RA_BUF_INIT;
    const char *t = "{\"a\":[1,2.50,-3e2,\"x\\\"y\\u00e9\\n\"],"
                    "\"e\":{},\"f\":[],\"a\":true,\"n\":null}";
    yajl_val v = ra_json_parse(a, t, strlen(t));
    CHECK(YAJL_IS_OBJECT(v));
    CHECK_INT(ra_json_len(v), 5);
    /* the first of duplicate members; numbers keep their text */
    CHECK(YAJL_IS_ARRAY(ra_json_get(v, "a")));
    CHECK_STR(ra_json_at(ra_json_get(v, "a"), 1)->u.number.r, "2.50");
    CHECK(ra_json_at(ra_json_get(v, "a"), 4) == NULL);
    CHECK(ra_json_write(&b, v) == 0);
    CHECK_STR(b.data, "{\"a\":[1,2.50,-3e2,\"x\\\"y\xc3\xa9\\n\"],"
                      "\"e\":{},\"f\":[],\"a\":true,\"n\":null}");
    ra_buf_reset(&b);
    CHECK(ra_json_write_pretty(&b, v) == 0);
    CHECK_STR(b.data, "{\n  \"a\": [1, 2.50, -3e2, \"x\\\"y\xc3\xa9\\n\"],\n"
                      "  \"e\": {\n  },\n  \"f\": [],\n  \"a\": true,\n"
                      "  \"n\": null\n}");
    /* not JSON, text after it, too deep to write back */
    CHECK(ra_json_parse(a, "{\"a\":", 5) == NULL);
    CHECK(ra_json_parse(a, "[1] 2", 5) == NULL);
    ra_buf_reset(&b);
    for (int i = 0; i < RA_JSON_MAX_DEPTH + 1; i++)
        ra_buf_addc(&b, '[');
    for (int i = 0; i < RA_JSON_MAX_DEPTH + 1; i++)
        ra_buf_addc(&b, ']');
    CHECK(ra_json_parse(a, b.data, b.len) == NULL);
    CHECK(ra_json_parse(a, b.data + 1, b.len - 2) != NULL);
    ra_buf_release(&b);
    ra_arena_free(a);
}

static void
test_env(void)
{
    static const struct {
        const char *v; /* NULL: unset */
        double want;
    } cases[] = {
        {NULL, 7}, {"", 7}, {"2", 2}, {"0", 0}, {"0.5", 0.5}, {"60", 60},
        {"61", 7}, {"-1", 7}, {"x", 7}, {"2x", 7}, {" 3", 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (cases[i].v)
            setenv("RA_TEST_SETTING", cases[i].v, 1);
        else
            unsetenv("RA_TEST_SETTING");
        CHECK(ra_env_number("RA_TEST_SETTING", 0, 60, 7) == cases[i].want);
    }
    unsetenv("RA_TEST_SETTING");
}

/* ra_memo: a text answers only with its own tag and bytes; a pair of
 * slots holds the two texts used last; texts over max are not kept. */
static void
test_memo(void)
{
    struct ra_memo m = {2, 8, sizeof(int), NULL, NULL}; /* two slots */
    uint64_t h;
    int *v;
    CHECK(ra_memo_get(&m, 1, "alpha", 5, &h) == NULL);
    v = ra_memo_put(&m, 1, "alpha", 5, h);
    CHECK(v != NULL);
    *v = 7;
    v = ra_memo_get(&m, 1, "alpha", 5, &h);
    CHECK(v && *v == 7);
    CHECK(ra_memo_get(&m, 2, "alpha", 5, &h) == NULL); /* another tag */
    CHECK(ra_memo_get(&m, 1, "alphA", 5, &h) == NULL);
    CHECK(ra_memo_get(&m, 1, "alph", 4, &h) == NULL);
    /* two slots are one pair: a third text evicts the one used less
     * lately; a text put again takes its own slot back */
    CHECK(ra_memo_get(&m, 1, "b", 1, &h) == NULL);
    *(int *)ra_memo_put(&m, 1, "b", 1, h) = 8;
    v = ra_memo_get(&m, 1, "b", 1, &h);
    CHECK(v && *v == 8);
    v = ra_memo_get(&m, 1, "alpha", 5, &h); /* alpha used last */
    CHECK(v && *v == 7);
    ra_memo_get(&m, 1, "c", 1, &h);
    *(int *)ra_memo_put(&m, 1, "c", 1, h) = 9; /* evicts b */
    CHECK(ra_memo_get(&m, 1, "b", 1, &h) == NULL);
    v = ra_memo_get(&m, 1, "alpha", 5, &h);
    CHECK(v && *v == 7);
    v = ra_memo_get(&m, 1, "c", 1, &h);
    CHECK(v && *v == 9);
    v = ra_memo_get(&m, 1, "alpha", 5, &h); /* c is now the older */
    *(int *)ra_memo_put(&m, 1, "alpha", 5, h) = 6; /* its own slot */
    v = ra_memo_get(&m, 1, "c", 1, &h);
    CHECK(v && *v == 9);
    v = ra_memo_get(&m, 1, "alpha", 5, &h);
    CHECK(v && *v == 6);
    CHECK(ra_memo_get(&m, 1, "ninebytes", 9, &h) == NULL);
    CHECK(ra_memo_put(&m, 1, "ninebytes", 9, h) == NULL);
    ra_memo_free(&m);
    CHECK(ra_memo_get(&m, 1, "c", 1, &h) == NULL); /* forgotten */
}

/* ra_same_bytes: every length to 40, equal, and unequal at each position
 * (the two-load paths must read every byte, the first and last 8 or 4). */
static void
test_same_bytes(void)
{
    char a[41], b[41];
    int wrong = 0;
    for (size_t n = 0; n <= 40; n++) {
        for (size_t i = 0; i < n; i++)
            a[i] = b[i] = (char)('a' + i % 26);
        wrong += !ra_same_bytes(a, b, n);
        for (size_t i = 0; i < n; i++) {
            b[i] ^= 0x20;
            wrong += ra_same_bytes(a, b, n);
            b[i] ^= 0x20;
        }
    }
    CHECK_INT(wrong, 0);
}

/* ra_imap: every key put found with its value, a value put again
 * replaced, keys never put not found, through the slots' growth from 64
 * (keys in steps of 2^40, negative ones, 0); emptied, it finds nothing and
 * fills again. */
static void
test_imap(void)
{
    struct ra_imap m = {0};
    CHECK_INT(ra_imap_get(&m, 7), 0); /* zeroed: empty */
    for (int64_t i = 0; i < 5000; i++)
        ra_imap_put(&m, (i - 2500) * ((int64_t)1 << 40), (uint32_t)i + 1);
    ra_imap_put(&m, 0, 9); /* key 0 again: replaced */
    int found = 1;
    for (int64_t i = 0; i < 5000; i++)
        found &= ra_imap_get(&m, (i - 2500) * ((int64_t)1 << 40)) ==
                 (i == 2500 ? 9u : (uint32_t)i + 1);
    CHECK(found);
    CHECK_INT(m.n, 5000);
    CHECK(m.mask + 1 >= 2 * m.n);
    CHECK_INT(ra_imap_get(&m, 1), 0);
    CHECK_INT(ra_imap_get(&m, ((int64_t)1 << 40) + 1), 0);
    ra_imap_clear(&m);
    CHECK_INT(ra_imap_get(&m, 0), 0);
    CHECK_INT(m.n, 0);
    ra_imap_put(&m, 3, 4);
    CHECK_INT(ra_imap_get(&m, 3), 4);
    ra_imap_free(&m);
    CHECK_INT(ra_imap_get(&m, 3), 0);
}

/* ra_text_width: terminal columns, not bytes. */
static void
test_text_width(void)
{
    CHECK_INT(ra_text_width(""), 0);
    CHECK_INT(ra_text_width("abc"), 3);
    CHECK_INT(ra_text_width("\303\251quipe"), 6);             /* équipe */
    CHECK_INT(ra_text_width("\346\227\245\346\234\254"), 4); /* two CJK */
    CHECK_INT(ra_text_width("e\314\201"), 1); /* e + combining acute */
    CHECK_INT(ra_text_width("a\tb"), 4);        /* a control: its escape */
    CHECK_INT(ra_text_width("\033[2J"), 7);     /* \x1b[2J */
    CHECK_INT(ra_text_width("\302\233"), 6);    /* C1 CSI: \u009b */
    CHECK_INT(ra_text_width("\302\240"), 1);    /* no-break space: one */
    CHECK_INT(ra_text_width("a\377\303b"), 4); /* invalid bytes: one each */

    /* ra_text_pad: spaces up to the width, none past it. */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ra_text_pad(f, "\346\227\245", 5); /* one CJK: three spaces */
    ra_text_pad(f, "abcdef", 5);         /* wider already: none */
    ra_text_pad(f, "\n", 3);             /* \n: one space */
    fclose(f);
    CHECK_STR(buf, "    ");
    free(buf);

    /* ra_text_put: control characters as escapes, the rest as it is, and
     * as wide as ra_text_width says. */
    const char *in = "a\nb\r\t\033[31m\177\302\233\302\240\303\251\001z";
    const char *want = "a\\nb\\r\\t\\x1b[31m\\x7f\\u009b\302\240\303\251\\x01z";
    f = open_memstream(&buf, &len);
    ra_text_put(f, in);
    fclose(f);
    CHECK_STR(buf, want);
    CHECK_INT(ra_text_width(in), 33);
    free(buf);
}

int
main(void)
{
    int64_t v;
    double d;

    test_same_bytes();

    /* integers */
    CHECK(i64("0", &v) == 0 && v == 0);
    CHECK(i64("-0", &v) == 0 && v == 0);
    CHECK(i64("+42", &v) == 0 && v == 42);
    CHECK(i64("  245\t", &v) == 0 && v == 245);
    CHECK(i64("007", &v) == 0 && v == 7);
    /* 18 digits and under take the loop without the range check */
    CHECK(i64("999999999999999999", &v) == 0 && v == 999999999999999999);
    CHECK(i64("-999999999999999999", &v) == 0 && v == -999999999999999999);
    CHECK(i64("1000000000000000000", &v) == 0 && v == 1000000000000000000);
    CHECK(i64("99999999999999999x", &v) == -1);
    CHECK(i64("9223372036854775807", &v) == 0 && v == INT64_MAX);
    CHECK(i64("-9223372036854775808", &v) == 0 && v == INT64_MIN);
    CHECK(i64("9223372036854775808", &v) == -1);
    CHECK(i64("-9223372036854775809", &v) == -1);
    CHECK(i64("99999999999999999999", &v) == -1);
    CHECK(i64("", &v) == -1);
    CHECK(i64("   ", &v) == -1);
    CHECK(i64("-", &v) == -1);
    CHECK(i64("+", &v) == -1);
    CHECK(i64("+-5", &v) == -1);
    CHECK(i64("12a", &v) == -1);
    CHECK(i64("1 2", &v) == -1);
    CHECK(i64("0x10", &v) == -1);
    CHECK(i64("1.5", &v) == -1);
    CHECK(ra_parse_i64("12\0" "3", 4, &v) == -1); /* a NUL inside */
    CHECK(i64("00000000000000000000000000000001", &v) == -1); /* 32 bytes */

    /* decimals: the short path and strtod's */
    CHECK(f64("1795515302.117", &d) == 0 && d == 1795515302.117);
    CHECK(f64("0.1", &d) == 0 && d == 0.1);
    CHECK(f64("-0", &d) == 0 && d == 0 && signbit(d));
    CHECK(f64(".5", &d) == 0 && d == 0.5);
    CHECK(f64("5.", &d) == 0 && d == 5.0);
    CHECK(f64("+2.25", &d) == 0 && d == 2.25);
    CHECK(f64("1e3", &d) == 0 && d == 1000.0);
    CHECK(f64("1234567890.1234567", &d) == 0 && d == 1234567890.1234567);
    CHECK(f64(".", &d) == -1);
    CHECK(f64("-", &d) == -1);
    CHECK(f64("1.2.3", &d) == -1);
    CHECK(f64("inf", &d) == -1);
    CHECK(f64("nan", &d) == -1);
    CHECK(f64("1e999", &d) == -1);
    CHECK(f64("12 ms", &d) == -1);

    /* the sweep: digits, dots, signs and exponents anywhere, up to 20
     * characters (most shapes are refused by both; "1.5e-3" goes through
     * strtod on both sides, "12.25" through the short path on ours) */
    static const char alphabet[] = "0123456789012345678901234567890.-+e";
    int agree = 1;
    for (int t = 0; t < 200000 && agree; t++) {
        char s[24];
        unsigned n = 1 + rnd(20);
        for (unsigned k = 0; k < n; k++)
            s[k] = alphabet[rnd((unsigned)sizeof alphabet - 1)];
        s[n] = '\0';
        double want, got;
        int rw = ref_f64(s, &want), rg = f64(s, &got);
        if (rw != rg || (rw == 0 && memcmp(&want, &got, sizeof got))) {
            fprintf(stderr, "f64 '%s': strtod %d %.17g, ours %d %.17g\n", s,
                    rw, want, rg, got);
            agree = 0;
        }
        char *end;
        errno = 0;
        long long w = strtoll(s, &end, 10);
        int ok = !errno && end != s && !*end;
        int64_t g;
        if (ok != (i64(s, &g) == 0) || (ok && g != w)) {
            fprintf(stderr, "i64 '%s': strtoll %d %lld, ours %lld\n", s, ok,
                    w, (long long)g);
            agree = 0;
        }
    }
    CHECK(agree);

    /* digests: known vectors, then texts of 0..1100 bytes cycling through
     * more than the memo's 256 slots, each asked for three times */
    char hex[65], want[65];
    ra_sha256_hex_memo("", 0, hex);
    CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb924"
                   "27ae41e4649b934ca495991b7852b855");
    ra_sha256_hex_memo("abc", 3, hex);
    CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223"
                   "b00361a396177a9cb410ff61f20015ad");
    static char text[1100];
    for (size_t k = 0; k < sizeof text; k++)
        text[k] = (char)('a' + rnd(26));
    int same = 1;
    for (int round = 0; round < 3; round++)
        for (size_t len = 0; len <= sizeof text && same; len += 3) {
            ra_sha256_hex(text, len, want);
            ra_sha256_hex_memo(text, len, hex);
            same = !strcmp(hex, want);
            if (!same)
                fprintf(stderr, "memo differs at %zu bytes\n", len);
        }
    CHECK(same);
    ra_sha256_memo_free();
    ra_sha256_memo_free(); /* twice is harmless */

    test_duration();
    test_json();
    test_memo();
    test_env();
    test_imap();
    test_text_width();
    return check_done();
}
