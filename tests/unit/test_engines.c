/* test_engines.c -- the regex, words, CSV and JSON engines driven by
 * definitions,
 * and the expression language, through ra_parser. */
#include "check.h"
#include "common/json.h"
#include "ingest/format.h"
#include "ingest/regex.h"

#include <stdlib.h>

static struct ra_timectx tc;

/* Field f of the current record as text ("(absent)" when absent). */
static const char *
field(struct ra_parser *p, enum ra_field f)
{
    static char buf[4][512];
    static int k;
    struct ra_val v;
    const char *why = NULL;
    char *o = buf[k++ & 3];
    if (ra_parser_field(p, f, &v, &why) != 0) {
        snprintf(o, 512, "(error: %s)", why);
        return o;
    }
    switch (v.t) {
    case RA_V_ABSENT:
        return "(absent)";
    case RA_V_STR:
        snprintf(o, 512, "%.*s", (int)v.n, v.s);
        return o;
    case RA_V_INT:
        snprintf(o, 512, "%lld", (long long)v.i);
        return o;
    case RA_V_REAL:
        snprintf(o, 512, "%g", v.d);
        return o;
    default: { /* an object or array: its compact text, or as written */
        struct ra_buf b = RA_BUF_INIT;
        if (!v.j) {
            snprintf(o, 512, "%.*s", (int)v.n, v.s);
            return o;
        }
        if (ra_json_write(&b, (yajl_val)v.j) == 0)
            snprintf(o, 512, "%s", b.data);
        else
            snprintf(o, 512, "(json)");
        ra_buf_release(&b);
        return o;
    }
    }
}

static struct ra_format *
load(const char *rel)
{
    struct ra_err err = {0};
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", ra_datadir(), rel);
    struct ra_format *f = ra_format_load(path, &err);
    if (!f)
        fprintf(stderr, "%s\n", err.msg);
    return f;
}

/* A parser of the format at rel, the format in *f; NULL when it does not
 * load. */
static struct ra_parser *
open_parser(const char *rel, struct ra_format **f)
{
    *f = load(rel);
    CHECK(*f != NULL);
    return *f ? ra_parser_new(*f, &tc) : NULL;
}

static void
test_regex_language(void)
{
    struct ra_format *f;
    const char *why;
    struct ra_parser *p = open_parser("tests/formats/test-kv.fmt", &f);
    if (!p)
        return;
    const char *line = f->examples[0];
    CHECK_INT(ra_parser_parse(p, line, strlen(line), &why), RA_REC);
    CHECK_STR(field(p, RA_F_TS), "1795515302000");
    CHECK_STR(field(p, RA_F_CALLER), "alice/ci");
    CHECK_STR(field(p, RA_F_STATUS), "429");
    CHECK_STR(field(p, RA_F_ERROR_CODE), "rate_limit_exceeded");
    CHECK_STR(field(p, RA_F_ROUTE), "https://api.openai.com/v1/x");
    CHECK_STR(field(p, RA_F_LATENCY_MS), "1500");
    CHECK_STR(field(p, RA_F_CLIENT_IP), "c");
    CHECK_STR(field(p, RA_F_PROVIDER), "openai");
    CHECK_STR(field(p, RA_F_MODEL), "unknown"); /* '-' is absent */

    /* type 2: status from the constant; error code falls back. */
    const char *l2 = "t=24/Nov/2026:10:15:02 +0000 u=bob tok=t type=2 st=m "
                     "code=E1 path=http://x.example/y dur=2 addr=1.2.3.4:5 "
                     "extra={}";
    CHECK_INT(ra_parser_parse(p, l2, strlen(l2), &why), RA_REC);
    CHECK_STR(field(p, RA_F_STATUS), "200");
    CHECK_STR(field(p, RA_F_ERROR_CODE), "E1");
    CHECK_STR(field(p, RA_F_PROVIDER), "other");
    CHECK_STR(field(p, RA_F_CLIENT_IP), "1.2.3.4");

    /* Rows of other types are filtered (skipped); comments skipped; other
     * lines rejected. */
    const char *l3 = "t=24/Nov/2026:10:15:02 +0000 u=bob tok=t type=3 st=m "
                     "code=E1 path=x dur=2 addr=a extra={}";
    CHECK_INT(ra_parser_parse(p, l3, strlen(l3), &why), RA_SKIP);
    CHECK_INT(ra_parser_parse(p, "# hello", 7, &why), RA_SKIP);
    CHECK_INT(ra_parser_parse(p, "nope", 4, &why), RA_REJECT);
    CHECK_STR(why, "does not match the format");
    /* a byte order mark before the first line */
    struct ra_buf bom = RA_BUF_INIT;
    ra_buf_adds(&bom, "\xEF\xBB\xBF");
    ra_buf_adds(&bom, l2);
    CHECK_INT(ra_parser_parse(p, bom.data, bom.len, &why), RA_REC);
    CHECK_STR(field(p, RA_F_ERROR_CODE), "E1");
    ra_buf_release(&bom);
    ra_parser_free(p);
    ra_format_free(f);
}

/* The words engine through Squid's definition: runs of any blank, the
 * optional last word, cut words, counts out of range, skips. */
static void
test_words(void)
{
    struct ra_format *f;
    const char *why;
    char line[512];
    struct ra_parser *p = open_parser("schemas/formats/squid.fmt", &f);
    if (!p)
        return;
#define PARSE(l) ra_parser_parse(p, (l), strlen(l), &why)
    CHECK_INT(PARSE("\t 1795515302.117 \t  245 192.0.2.10 TCP_MISS/404 10 "
                    "GET http://a.example/x u%2D1 HIER_DIRECT/a/b text/html"
                    " \r"),
              RA_REC);
    CHECK_STR(field(p, RA_F_TS), "1795515301872");
    CHECK_STR(field(p, RA_F_DURATION_MS), "245");
    CHECK_STR(field(p, RA_F_RESULT), "TCP_MISS");
    CHECK_STR(field(p, RA_F_STATUS), "404");
    CHECK_STR(field(p, RA_F_PROXY_USER), "u-1");
    CHECK_STR(field(p, RA_F_UPSTREAM_ADDR), "a/b"); /* cut at the first */
    /* Nine words: the mime type is optional. */
    CHECK_INT(PARSE("1795515302 0 c TCP_DENIED/407 0 CONNECT h:443 - "
                    "HIER_NONE/-"),
              RA_REC);
    CHECK_STR(field(p, RA_F_STATUS), "407");
    CHECK_STR(field(p, RA_F_UPSTREAM_ADDR), "(absent)");
    CHECK_STR(field(p, RA_F_DEST_PORT), "443");
    CHECK_INT(PARSE("1795515302 0 c TCP_DENIED/407 0 CONNECT h:443 -"),
              RA_REJECT);
    CHECK_STR(why, "expected 9 to 10 words");
    CHECK_INT(PARSE("1795515302 0 c TCP_DENIED/407 0 CONNECT h:443 - "
                    "HIER_NONE/- text/html more"),
              RA_REJECT);
    CHECK_STR(why, "expected 9 to 10 words");
    CHECK_INT(PARSE("1795515302 0 c TCP_DENIED 0 CONNECT h:443 - "
                    "HIER_NONE/- -"),
              RA_REJECT);
    CHECK_STR(why, "expected result/status in word 4");
    CHECK_INT(PARSE("1795515302 0 c TCP_DENIED/abc 0 CONNECT h:443 - "
                    "HIER_NONE/- -"),
              RA_REC);
    CHECK_STR(field(p, RA_F_STATUS), "(error: not an integer)");
    CHECK_INT(PARSE("# comment"), RA_SKIP);
    CHECK_INT(PARSE(" \t "), RA_SKIP);
    CHECK_INT(PARSE(""), RA_SKIP);
    /* A word's end found 8 bytes at a time: every place of the blank in
     * the word, each blank; a control byte that is not a blank is part of
     * the word. */
    const char blanks[] = " \t\v\f\r";
    for (size_t b = 0; b < 5; b++)
        for (size_t n = 1; n <= 40; n++) {
            char url[48];
            for (size_t i = 0; i < n; i++)
                url[i] = (char)('a' + i % 26);
            url[n / 2] = n > 2 ? '\x01' : url[n / 2];
            url[n] = '\0';
            snprintf(line, sizeof line,
                     "1795515302 0 c TCP_MISS/200 0 GET%c%s%cu "
                     "HIER_NONE/- -",
                     blanks[b], url, blanks[b]);
            CHECK_INT(PARSE(line), RA_REC);
            CHECK_STR(field(p, RA_F_URL), url);
            CHECK_STR(field(p, RA_F_METHOD), "GET");
        }
#undef PARSE
    ra_parser_free(p);
    ra_format_free(f);
}

static void test_json_repeats(void);

static void
test_json(void)
{
    struct ra_format *f;
    const char *why;
    struct ra_parser *p =
        open_parser("schemas/formats/relayaudit-jsonl.fmt", &f);
    if (!p)
        return;
    const char *l = "{\"ts\":1795515302113,\"caller\":\"c\",\"status\":\"429\","
                    "\"cost\":0.5,\"account\":null,\"session\":\"-\","
                    "\"latency_ms\":12.0}";
    CHECK_INT(ra_parser_parse(p, l, strlen(l), &why), RA_REC);
    CHECK_STR(field(p, RA_F_TS), "1795515302113");
    CHECK_STR(field(p, RA_F_STATUS), "429");
    CHECK_STR(field(p, RA_F_COST), "0.5");
    CHECK_STR(field(p, RA_F_ACCOUNT), "(absent)");
    CHECK_STR(field(p, RA_F_SESSION), "(absent)");
    CHECK_STR(field(p, RA_F_LATENCY_MS), "12");
    CHECK_INT(ra_parser_parse(p, "{\"ts\":", 6, &why), RA_REJECT);
    CHECK_STR(why, "invalid JSON");
    CHECK_INT(ra_parser_parse(p, "[1,2]", 5, &why), RA_REJECT);
    CHECK_STR(why, "not a JSON object");
    CHECK_INT(ra_parser_parse(p, "{\"status\":\"abc\"}", 16, &why), RA_REC);
    CHECK_STR(field(p, RA_F_STATUS), "(error: not an integer)");
    CHECK_INT(ra_parser_parse(p, "\xEF\xBB\xBF{\"ts\":1}", 11, &why), RA_REC);
    CHECK_STR(field(p, RA_F_TS), "1000");
    CHECK_INT(ra_parser_parse(p, "{\"ts\":1} x", 10, &why), RA_REJECT);
    CHECK_STR(why, "invalid JSON");
    /* JSON's rules: a raw control byte inside a string is not JSON; a lone
     * surrogate escape (JavaScript's and Python's output for a broken
     * string) is read as '?'. */
    const char *tab = "{\"ts\":1,\"caller\":\"a\tb\"}";
    CHECK_INT(ra_parser_parse(p, tab, strlen(tab), &why), RA_REJECT);
    CHECK_STR(why, "invalid JSON");
    const char *sur = "{\"ts\":1,\"caller\":\"a\\ud800b\"}";
    CHECK_INT(ra_parser_parse(p, sur, strlen(sur), &why), RA_REC);
    CHECK_STR(field(p, RA_F_CALLER), "a?b");
    /* yajl decodes each escaped string into one buffer of its own: each
     * member keeps its text, an escaped NUL included (the writer stores it
     * as \x00) */
    const char *esc = "{\"ts\":1,\"caller\":\"a\\u0041\",\"account\":"
                      "\"x\\ny\",\"session\":\"s\\u0000t\",\"team\":\"t\"}";
    CHECK_INT(ra_parser_parse(p, esc, strlen(esc), &why), RA_REC);
    CHECK_STR(field(p, RA_F_CALLER), "aA");
    CHECK_STR(field(p, RA_F_ACCOUNT), "x\ny");
    CHECK_STR(field(p, RA_F_TEAM), "t");
    struct ra_val nul;
    CHECK_INT(ra_parser_field(p, RA_F_SESSION, &nul, &why), 0);
    CHECK_INT(nul.t, RA_V_STR);
    CHECK(nul.n == 3 && !memcmp(nul.s, "s\0t", 3));

    /* The first of duplicate members wins; integers are exact past 2^53. */
    const char *d = "{\"ts\":1,\"caller\":\"a\",\"caller\":\"b\","
                    "\"tokens_in\":9007199254740993}";
    CHECK_INT(ra_parser_parse(p, d, strlen(d), &why), RA_REC);
    CHECK_STR(field(p, RA_F_CALLER), "a");
    CHECK_STR(field(p, RA_F_TOKENS_IN), "9007199254740993");

    /* A member the format does not read may nest as deep as it likes; one
     * it reads is refused past RA_JSON_MAX_DEPTH (the generator's limit). */
    struct ra_buf deep = RA_BUF_INIT;
    for (int kept = 0; kept < 2; kept++) {
        ra_buf_reset(&deep);
        ra_buf_adds(&deep, kept ? "{\"ts\":1,\"headers_in\":"
                                : "{\"ts\":1,\"x\":");
        for (int i = 0; i < 200; i++)
            ra_buf_addc(&deep, '[');
        for (int i = 0; i < 200; i++)
            ra_buf_addc(&deep, ']');
        ra_buf_addc(&deep, '}');
        CHECK_INT(ra_parser_parse(p, deep.data, deep.len, &why),
                  kept ? RA_REJECT : RA_REC);
        if (kept)
            CHECK_STR(why, "JSON nested too deep");
    }
    ra_buf_release(&deep);
    ra_parser_free(p);
    ra_format_free(f);
}

/* A member's tree holds what the definition's paths reach under it (Kong:
 * request.headers, response.status, service.name, ...), all of the value
 * a path ends at; the rest is read past, however deep it nests. */
static void
test_json_paths(void)
{
    struct ra_format *f;
    const char *why;
    struct ra_parser *p = open_parser("schemas/formats/kong-filelog.fmt", &f);
    if (!p)
        return;
    struct ra_buf l = RA_BUF_INIT;
    ra_buf_adds(&l, "{\"started_at\":1795515302113,"
                    "\"request\":{\"method\":\"POST\",\"tls\":{\"v\":1},"
                    "\"headers\":{\"user-agent\":\"ua/1\",\"accept\":\"*/*\"}},"
                    "\"service\":{\"name\":\"acct-a\",\"name\":\"acct-b\","
                    "\"id\":\"s1\"},\"response\":{\"status\":429,"
                    "\"headers\":{\"via\":\"kong\",\"x-kong-request-id\":\"k-1\"},"
                    "\"deep\":");
    for (int i = 0; i < 200; i++)
        ra_buf_addc(&l, '[');
    for (int i = 0; i < 200; i++)
        ra_buf_addc(&l, ']');
    ra_buf_adds(&l, "}}");
    CHECK_INT(ra_parser_parse(p, l.data, l.len, &why), RA_REC);
    CHECK_STR(field(p, RA_F_STATUS), "429");
    CHECK_STR(field(p, RA_F_ACCOUNT), "acct-a"); /* the first of two */
    CHECK_STR(field(p, RA_F_REQUEST_ID), "k-1");
    CHECK_STR(field(p, RA_F_HEADERS_IN),
              "{\"user-agent\":\"ua/1\",\"accept\":\"*/*\"}");
    struct ra_val hv;
    CHECK_INT(ra_parser_field(p, RA_F_HEADERS_IN, &hv, &why), 0);
    CHECK(hv.t == RA_V_JSON && hv.s == NULL); /* request.headers: no text */
    /* a path through a member that is not an object, and arrays */
    const char *l2 = "{\"started_at\":1795515302113,\"request\":\"GET\","
                     "\"service\":[{\"name\":\"x\"}],\"response\":{\"status\":"
                     "[1,{\"a\":[2]}]}}";
    CHECK_INT(ra_parser_parse(p, l2, strlen(l2), &why), RA_REC);
    CHECK_STR(field(p, RA_F_ACCOUNT), "(absent)");
    CHECK_STR(field(p, RA_F_HEADERS_IN), "(absent)");
    CHECK_STR(field(p, RA_F_STATUS), "(error: not an integer)");
    ra_buf_release(&l);
    ra_parser_free(p);
    ra_format_free(f);

    /* A top-level member that is an object or an array comes with its
     * text as the line wrote it (a value deeper down without: above) */
    p = open_parser("schemas/formats/relayaudit-jsonl.fmt", &f);
    if (!p)
        return;
    const char *l3 = "{\"ts\":1,\"headers_in\": { \"a\" : [1, {\"b\":2}] } ,"
                     "\"headers_out\":[[\"x\",\"y\"]],\"caller\":\"c\"}";
    CHECK_INT(ra_parser_parse(p, l3, strlen(l3), &why), RA_REC);
    const char *want[] = {"{ \"a\" : [1, {\"b\":2}] }", "[[\"x\",\"y\"]]"};
    enum ra_field hf[] = {RA_F_HEADERS_IN, RA_F_HEADERS_OUT};
    for (int i = 0; i < 2; i++) {
        struct ra_val v;
        CHECK_INT(ra_parser_field(p, hf[i], &v, &why), 0);
        CHECK_INT(v.t, RA_V_JSON);
        CHECK(v.s && v.n == strlen(want[i]) && !memcmp(v.s, want[i], v.n));
    }
    ra_parser_free(p);
    ra_format_free(f);

    test_json_repeats();
}

/* A member kept as its text that starts with a text it had before is
 * not given to yajl there: whatever surrounds it, each record must read
 * back exactly as if it were parsed whole. */
#define C10 "0123456789"
#define C100 C10 C10 C10 C10 C10 C10 C10 C10 C10 C10
static void
test_json_repeats(void)
{
    struct ra_format *f;
    const char *why;
    struct ra_parser *p =
        open_parser("schemas/formats/relayaudit-jsonl.fmt", &f);
    if (!p)
        return;
    static const struct {
        const char *line;
        int rc;
        const char *hin, *hout, *caller;
    } t[] = {
        /* remembered */
        {"{\"ts\":1,\"headers_in\":{\"a\":\"1\"},"
         "\"headers_out\":[[\"x\",\"y\"]]}",
         RA_REC, "{\"a\":\"1\"}", "[[\"x\",\"y\"]]", "(absent)"},
        /* the same texts elsewhere in the line, blanks around the colon */
        {"{\"caller\":\"c1\",\"headers_out\" :\t[[\"x\",\"y\"]], \"ts\":2,"
         "\"headers_in\": {\"a\":\"1\"}}",
         RA_REC, "{\"a\":\"1\"}", "[[\"x\",\"y\"]]", "c1"},
        /* the name first inside a member read past, then the member */
        {"{\"ts\":3,\"meta\":{\"headers_in\":{\"a\":\"1\"}},"
         "\"headers_in\":{\"b\":\"2\"},\"caller\":\"c2\"}",
         RA_REC, "{\"b\":\"2\"}", "(absent)", "c2"},
        /* ... and inside a string */
        {"{\"ts\":4,\"caller\":\"\\\"headers_in\\\":{\\\"a\\\":\\\"1\\\"}\","
         "\"headers_in\":{\"a\":\"1\",\"c\":\"3\"}}",
         RA_REC, "{\"a\":\"1\",\"c\":\"3\"}", "(absent)",
         "\"headers_in\":{\"a\":\"1\"}"},
        /* a text remembered that only starts the value */
        {"{\"ts\":5,\"headers_in\":{\"a\":\"1\"} }", RA_REC, "{\"a\":\"1\"}",
         "(absent)", "(absent)"},
        {"{\"ts\":6,\"headers_in\":{\"a\":\"12\"}}", RA_REC, "{\"a\":\"12\"}",
         "(absent)", "(absent)"},
        /* the first of two wins */
        {"{\"ts\":7,\"headers_in\":{\"b\":\"2\"},"
         "\"headers_in\":{\"a\":\"1\"}}",
         RA_REC, "{\"b\":\"2\"}", "(absent)", "(absent)"},
        /* what follows a remembered text is still checked */
        {"{\"ts\":8,\"headers_in\":{\"a\":\"1\"}\"caller\":\"c\"}", RA_REJECT,
         NULL, NULL, NULL},
        {"{\"ts\":9,\"headers_in\":{\"a\":\"1\"}", RA_REJECT, NULL, NULL,
         NULL},
        {"{\"ts\":10,\"headers_in\":{\"a\":\"1\"}}", RA_REC, "{\"a\":\"1\"}",
         "(absent)", "(absent)"},
        /* looked for where it was last (past 64 bytes), the first of two
         * still wins */
        {"{\"ts\":11,\"caller\":\"" C100 "\",\"headers_in\":{\"a\":\"1\"}}",
         RA_REC, "{\"a\":\"1\"}", "(absent)", C100},
        {"{\"ts\":12,\"headers_in\":{\"b\":\"2\"},\"caller\":\"" C100 "\","
         "\"headers_in\":{\"a\":\"1\"}}",
         RA_REC, "{\"b\":\"2\"}", "(absent)", C100},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        CHECK_INT(ra_parser_parse(p, t[i].line, strlen(t[i].line), &why),
                  t[i].rc);
        if (t[i].rc == RA_REJECT) {
            CHECK_STR(why, "invalid JSON");
            continue;
        }
        CHECK_STR(field(p, RA_F_HEADERS_IN), t[i].hin);
        CHECK_STR(field(p, RA_F_HEADERS_OUT), t[i].hout);
        CHECK_STR(field(p, RA_F_CALLER), t[i].caller);
    }
    /* a text as deep as a tree may be, then deeper */
    struct ra_buf deep = RA_BUF_INIT;
    for (int d = RA_JSON_MAX_DEPTH; d <= RA_JSON_MAX_DEPTH + 1; d++) {
        for (int again = 0; again < 2; again++) {
            ra_buf_reset(&deep);
            ra_buf_adds(&deep, "{\"ts\":1,\"headers_in\":");
            for (int i = 0; i < d; i++)
                ra_buf_addc(&deep, '[');
            for (int i = 0; i < d; i++)
                ra_buf_addc(&deep, ']');
            ra_buf_addc(&deep, '}');
            CHECK_INT(ra_parser_parse(p, deep.data, deep.len, &why),
                      d == RA_JSON_MAX_DEPTH ? RA_REC : RA_REJECT);
        }
    }
    ra_buf_release(&deep);
    ra_parser_free(p);
    ra_format_free(f);
}

static void
test_csv(void)
{
    struct ra_format *f;
    const char *why;
    struct ra_parser *p =
        open_parser("schemas/formats/relayaudit-map.fmt", &f);
    if (!p)
        return;
    const char *h = "account,caller,max_callers";
    CHECK_INT(ra_parser_parse(p, h, strlen(h), &why), RA_HEADER);
    const char *r = "\"acct,1\",\"line one\nline \"\"two\"\"\",3";
    CHECK_INT(ra_parser_parse(p, r, strlen(r), &why), RA_REC);
    CHECK_STR(field(p, RA_F_ACCOUNT), "acct,1");
    CHECK_STR(field(p, RA_F_CALLER), "line one\nline \"two\"");
    CHECK_STR(field(p, RA_F_MAX_CALLERS), "3");
    CHECK_STR(field(p, RA_F_COUNTRY), "(absent)"); /* no such column */
    CHECK_INT(ra_parser_parse(p, "a,\"b", 4, &why), RA_REJECT);
    CHECK_INT(ra_parser_parse(p, "x,y,", 4, &why), RA_REC);
    CHECK_STR(field(p, RA_F_MAX_CALLERS), "(absent)");
    ra_parser_free(p);

    /* a header after a byte order mark: its first column keeps its name */
    p = ra_parser_new(f, &tc);
    const char *hb = "\xEF\xBB\xBF" "account,caller";
    CHECK_INT(ra_parser_parse(p, hb, strlen(hb), &why), RA_HEADER);
    CHECK_INT(ra_parser_parse(p, "acct2,c2", 8, &why), RA_REC);
    CHECK_STR(field(p, RA_F_ACCOUNT), "acct2");
    ra_parser_free(p);
    ra_format_free(f);
}

static void
test_bad_definitions(void)
{
    struct ra_format f0;
    struct ra_err err = {0};
    memset(&f0, 0, sizeof f0);
    f0.source = RA_SRC_GATEWAY;
    /* Loading errors name the file and line. */
    FILE *t = fopen("bad.fmt", "w");
    fputs("name bad\nsource gateway\nengine json\nfield ts = $a | nosuchop\n",
          t);
    fclose(t);
    CHECK(ra_format_load("bad.fmt", &err) == NULL);
    CHECK_STR(err.msg, "bad.fmt:4: unknown operation 'nosuchop'");
    t = fopen("bad.fmt", "w");
    fputs("name bad\nsource proxy\nengine regex\nregex ^(?<a>x)$\n"
          "field ts = $b\n",
          t);
    fclose(t);
    CHECK(ra_format_load("bad.fmt", &err) == NULL);
    CHECK_STR(err.msg, "bad.fmt: no group named 'b' in the regex");
    t = fopen("bad.fmt", "w");
    fputs("name bad\nsource proxy\nengine json\nfield caller = $x\n", t);
    fclose(t);
    CHECK(ra_format_load("bad.fmt", &err) == NULL);
    CHECK_STR(err.msg, "bad.fmt: field 'caller' is not a proxy field");
    /* words: columns needed; optional ones last; names cut at one
     * separator each; every $name a column. */
    static const char *const words[][2] = {
        {"", "bad.fmt: a words format needs 'columns'"},
        {"columns a,b?,c\n",
         "bad.fmt: column 'c' follows an optional one: only the last may be "
         "missing"},
        {"columns a,b//c\n",
         "bad.fmt: bad column 'b//c' (names of letters, digits and '_', cut "
         "at one separator each)"},
        {"columns a,b/\n",
         "bad.fmt: bad column 'b/' (names of letters, digits and '_', cut "
         "at one separator each)"},
        {"columns a,b/c?\nfield url = $d\n",
         "bad.fmt: no column named 'd'"},
        {"columns a,b c\n",
         "bad.fmt: bad column 'b c' (a blank separates words, not parts)"},
        {"columns a,b/a\n", "bad.fmt: column 'a' named twice"},
    };
    for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
        t = fopen("bad.fmt", "w");
        fprintf(t, "name bad\nsource proxy\nengine words\n%s", words[i][0]);
        fclose(t);
        CHECK(ra_format_load("bad.fmt", &err) == NULL);
        CHECK_STR(err.msg, words[i][1]);
    }
    remove("bad.fmt");
}

/* Squid reads dest_host and dest_port through the same split of $url
 * (`host`, `port`): the parser reuses the first one's within a record,
 * never across records (here the next record's url has the same place and
 * length). */
static void
test_same_steps(void)
{
    struct ra_format *f;
    const char *why;
    char line[256];
    struct ra_parser *p = open_parser("schemas/formats/squid.fmt", &f);
    if (!p)
        return;
    const char *pre = "1795515302.117    245 192.0.2.10 TCP_TUNNEL/200 5120 "
                      "CONNECT ",
               *post = " brd-customer-x-session-s1 HIER_DIRECT/203.0.113.7 -";
    const char *urls[] = {"api.openai.com:443", "api.example.io:808",
                          "error:invalid-requ", "http://a.example/x"};
    const char *want[][2] = {{"api.openai.com", "443"},
                             {"api.example.io", "808"},
                             {"(absent)", "(absent)"},
                             {"a.example", "80"}};
    for (int i = 0; i < 4; i++) {
        snprintf(line, sizeof line, "%s%s%s", pre, urls[i], post);
        CHECK_INT(ra_parser_parse(p, line, strlen(line), &why), RA_REC);
        CHECK_STR(field(p, RA_F_DEST_HOST), want[i][0]);
        CHECK_STR(field(p, RA_F_DEST_PORT), want[i][1]);
        CHECK_STR(field(p, RA_F_DEST_HOST), want[i][0]); /* asked again */
    }
    ra_parser_free(p);
    ra_format_free(f);
}

/* ra_re_match: JIT's fast path, the interpreter for a pattern without JIT
 * code, and a (*UTF) pattern meeting bytes that are not UTF-8 (the fast
 * path does not check them: they must match nothing, not crash). */
static void
test_re_match(void)
{
    struct ra_err err = {0};
    pcre2_code *plain = ra_re_compile("^a(.)b$", RA_RE_NUL, &err);
    pcre2_code *utf = ra_re_compile("(*UTF)^a(.)b$", RA_RE_NUL, &err);
    setenv("RELAYAUDIT_NO_JIT", "1", 1);
    pcre2_code *interp = ra_re_compile("b(.)", RA_RE_NUL, &err);
    unsetenv("RELAYAUDIT_NO_JIT");
    pcre2_match_data *md = pcre2_match_data_create(4, NULL);
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    CHECK(plain && utf && interp);
    if (!plain || !utf || !interp)
        return;
    CHECK_INT(ra_re_match(plain, "a\xff" "b", 3, 0, md), 2);
    CHECK_INT(ra_re_match(utf, "a\xc3\xa9" "b", 4, 0, md), 2);
    CHECK_INT((int)ov[3], 3); /* the group is the two bytes of one é */
    CHECK_INT(ra_re_match(utf, "a\xff" "b", 3, 0, md), PCRE2_ERROR_NOMATCH);
    CHECK_INT(ra_re_match(utf, "a\xc3" "b", 3, 0, md), PCRE2_ERROR_NOMATCH);
    CHECK_INT(ra_re_match(interp, "abxbyb", 6, 2, md), 2);
    CHECK_INT((int)ov[0], 3); /* from the offset on */
    CHECK_INT(ra_re_match(interp, "abxbyb", 6, 5, md), PCRE2_ERROR_NOMATCH);
    pcre2_match_data_free(md);
    pcre2_code_free(plain);
    pcre2_code_free(utf);
    pcre2_code_free(interp);
}

/* ra_split_hostport: host, port and the scheme's default port, as
 * "host|port|default" ("-" for none). */
static const char *
hostport(const char *s)
{
    static char out[256];
    const char *hs, *ps;
    size_t hn, pn;
    int d;
    ra_split_hostport(s, strlen(s), &hs, &hn, &ps, &pn, &d);
    snprintf(out, sizeof out, "%.*s|%.*s|%d", hs ? (int)hn : 1,
             hs ? hs : "-", ps ? (int)pn : 1, ps ? ps : "-", d);
    return out;
}

static void
test_hostport(void)
{
    CHECK_STR(hostport("api.openai.com:443"), "api.openai.com|443|0");
    CHECK_STR(hostport("https://u:pw@api.x.com:8443/v1?a=b:c"),
              "api.x.com|8443|443");
    CHECK_STR(hostport("http://h.example/x://y"), "h.example|-|80");
    CHECK_STR(hostport("https://h.example?x=1"), "h.example|-|443");
    CHECK_STR(hostport("[2001:db8::1]:8080"), "2001:db8::1|8080|0");
    CHECK_STR(hostport("2001:db8::1"), "2001:db8::1|-|0");
    CHECK_STR(hostport("/v1/chat"), "-|-|0");
    /* the first "://" ends the scheme, whatever colons come before */
    CHECK_STR(hostport("a:b://c.example:81"), "c.example|81|0");
    CHECK_STR(hostport("h:"), "h||0");
    CHECK_STR(hostport("x:/"), "x|/|0");
}

int
main(void)
{
    tc.year = 2026;
    tc.tz_fixed = 1;
    test_regex_language();
    test_words();
    test_json();
    test_json_paths();
    test_csv();
    test_bad_definitions();
    test_re_match();
    test_same_steps();
    test_hostport();
    return check_done();
}
