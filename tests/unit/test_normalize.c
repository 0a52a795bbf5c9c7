/* test_normalize.c -- redaction, header fingerprints and the proxy
 * username rules of every provider in FORMATS.md. */
#include "check.h"
#include "common/json.h"
#include "ingest/normalize.h"

#include <pthread.h>
#include <stdlib.h>

static struct ra_norm *n;
static struct ra_arena *a;

/* Headers {} first on a thread of its own, whose buffers are still
 * empty, then again: the same each time. */
static void *
no_headers(void *arg)
{
    struct ra_arena *ta = ra_arena_new();
    (void)arg;
    for (int i = 0; i < 2; i++) {
        struct ra_val v = {0};
        const char *json, *ua;
        size_t jl, ul;
        char fp[17];
        v.t = RA_V_JSON;
        v.j = ra_json_parse(ta, "{}", 2);
        CHECK(ra_headers_normalize(n, ta, &v, &json, &jl, fp, &ua, &ul) == 0);
        CHECK_STR(json, "[]");
        CHECK(ua == NULL && jl == 2 && strlen(fp) == 16);
    }
    ra_norm_thread_done();
    ra_arena_free(ta);
    return NULL;
}

static const char *
redact(const char *s)
{
    size_t len;
    const char *r = ra_redact(n, a, s, strlen(s), &len);
    return ra_arena_strndup(a, r, len);
}

static void
test_redact(void)
{
    CHECK_STR(redact("no secret here"), "no secret here");
    CHECK_STR(redact("key sk-proj-abcdefghijklmnop1234 used"),
              "key [redacted] used");
    CHECK_STR(redact("sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAA"), "[redacted]");
    CHECK_STR(redact("sk-short"), "sk-short"); /* not a key shape */
    CHECK_STR(redact("k=AIzaSyA1234567890abcdefghijklmnopqrstuv"),
              "k=[redacted]");
    CHECK_STR(redact("Authorization: Bearer abc.def.ghi"),
              "Authorization: [redacted]");
    CHECK_STR(redact("bearer tok123"), "bearer [redacted]");
    CHECK_STR(redact("http://user:hunter2@proxy:8080/x"),
              "http://user:[redacted]@proxy:8080/x");
    CHECK_STR(redact("{\"x-api-key\":\"abc123\",\"a\":1}"),
              "{\"x-api-key\":\"[redacted]\",\"a\":1}");
    CHECK_STR(redact("GET /v1?api_key=zzz&b=2"), "GET /v1?api_key=[redacted]&b=2");
    CHECK_STR(redact("{\"caller_key\":\"sk-live-0123abcd\"}"),
              "{\"caller_key\":\"[redacted]\"}");
    CHECK_STR(redact("password=letmein"), "password=[redacted]");
    CHECK_STR(redact("Incorrect API key provided: sk-proj-****wxyz"),
              "Incorrect API key provided: sk-proj-****wxyz");
    /* Asked again (a thread remembers the clean texts it scanned last):
     * a secret is redacted every time, a clean text kept every time. */
    for (int i = 0; i < 3; i++) {
        CHECK_STR(redact("http://user:hunter2@proxy:8080/x"),
                  "http://user:[redacted]@proxy:8080/x");
        CHECK_STR(redact("http://user@proxy:8080/x"),
                  "http://user@proxy:8080/x");
        CHECK_STR(redact("no secret here"), "no secret here");
    }
}

static void
test_fingerprint(void)
{
    /* The hash input for these headers, by DESIGN.md's rule:
     *   "user-agent\nx-stainless-lang\nauthorization\n--\n"
     *   "user-agent=OpenAI/Python 1.82.0\nx-stainless-lang=python\n"
     *   "auth=bearer"
     * sha256 of it (sha256sum) starts 196895a1741da72f. */
    const char *names[] = {"User-Agent", "x-stainless-lang", "Authorization",
                           "x-request-id", "content-length"};
    const char *vals[] = {"OpenAI/Python 1.82.0", "python", "Bearer sk-x",
                          "r-1", "12"};
    char fp[17];
    ra_headers_fingerprint(n, names, vals, 3, fp);
    CHECK_STR(fp, "196895a1741da72f");
    /* Volatile headers do not change it. */
    ra_headers_fingerprint(n, names, vals, 5, fp);
    CHECK_STR(fp, "196895a1741da72f");

    /* The stored form: pairs in order, only variant values, no secrets. */
    const char *htext = "{\"user-agent\":\"OpenAI/Python 1.82.0\","
                        "\"x-stainless-lang\":\"python\","
                        "\"authorization\":\"Bearer sk-live-0123abcd\"}";
    yajl_val h = ra_json_parse(a, htext, strlen(htext));
    CHECK(YAJL_IS_OBJECT(h));
    struct ra_val v = {0};
    const char *json, *ua;
    size_t jl, ul;
    v.t = RA_V_JSON;
    v.j = h;
    CHECK(ra_headers_normalize(n, a, &v, &json, &jl, fp, &ua, &ul) == 0);
    CHECK_STR(json, "[[\"user-agent\",\"OpenAI/Python 1.82.0\"],"
                    "[\"x-stainless-lang\",\"python\"],"
                    "[\"authorization\",null]]");
    CHECK_STR(fp, "196895a1741da72f");
    CHECK(ul == 20 && !memcmp(ua, "OpenAI/Python 1.82.0", ul));

    /* Lists seen before come from the thread's memo: the same again, and
     * with only a volatile value or a credential's secret changed, the
     * same outputs; a variant value changed, its own. */
    const char *again[] = {
        htext,
        "{\"user-agent\":\"OpenAI/Python 1.82.0\",\"x-stainless-lang\":"
        "\"python\",\"authorization\":\"Bearer sk-live-9999zzzz\","
        "\"x-request-id\":\"r-1\"}",
        "{\"user-agent\":\"OpenAI/Python 1.82.0\",\"x-stainless-lang\":"
        "\"python\",\"authorization\":\"Bearer sk-live-0123abcd\","
        "\"x-request-id\":\"r-2\"}",
    };
    /* The second round comes with the lists' texts, as a JSON line's
     * members do, the third again: from the memo keyed by the text. */
    for (size_t i = 0; i < 9; i++) {
        v.j = ra_json_parse(a, again[i % 3], strlen(again[i % 3]));
        v.s = i < 3 ? NULL : again[i % 3];
        v.n = i < 3 ? 0 : strlen(again[i % 3]);
        CHECK(ra_headers_normalize(n, a, &v, &json, &jl, fp, &ua, &ul) == 0);
        CHECK_STR(json, i % 3 ? "[[\"user-agent\",\"OpenAI/Python 1.82.0\"],"
                            "[\"x-stainless-lang\",\"python\"],"
                            "[\"authorization\",null],[\"x-request-id\",null]]"
                          : "[[\"user-agent\",\"OpenAI/Python 1.82.0\"],"
                            "[\"x-stainless-lang\",\"python\"],"
                            "[\"authorization\",null]]");
        CHECK(jl == strlen(json));
        CHECK_STR(fp, "196895a1741da72f");
        CHECK(ul == 20 && !memcmp(ua, "OpenAI/Python 1.82.0", ul));
    }
    const char *node = "{\"user-agent\":\"OpenAI/Python 1.82.0\","
                       "\"x-stainless-lang\":\"node\","
                       "\"authorization\":\"Bearer sk-live-0123abcd\"}";
    v.j = ra_json_parse(a, node, strlen(node));
    v.s = NULL;
    v.n = 0;
    CHECK(ra_headers_normalize(n, a, &v, &json, &jl, fp, &ua, &ul) == 0);
    CHECK_STR(json, "[[\"user-agent\",\"OpenAI/Python 1.82.0\"],"
                    "[\"x-stainless-lang\",\"node\"],"
                    "[\"authorization\",null]]");
    CHECK(strcmp(fp, "196895a1741da72f") != 0);
    /* no headers: nothing remembered (an empty key) */
    pthread_t t;
    int made = pthread_create(&t, NULL, no_headers, NULL);
    if (made == 0) /* its checks count before this one's */
        pthread_join(t, NULL);
    CHECK(made == 0);
    /* a secret in a value read is redacted, the first time and the next */
    const char *leaky = "{\"user-agent\":\"bot sk-ant-abcdefghijklmnopqrst\"}";
    for (int i = 0; i < 3; i++) {
        v.j = ra_json_parse(a, leaky, strlen(leaky));
        v.s = i ? leaky : NULL; /* then from the text's memo */
        v.n = i ? strlen(leaky) : 0;
        CHECK(ra_headers_normalize(n, a, &v, &json, &jl, fp, &ua, &ul) == 0);
        CHECK_STR(json, "[[\"user-agent\",\"bot [redacted]\"]]");
        CHECK(ul == 14 && !memcmp(ua, "bot [redacted]", ul));
    }

    /* An array of pairs may repeat a header; x-api-key gives its scheme.
     * Input "x-app\nx-api-key\nx-app\n--\nx-app=a\nx-app=b\nauth=x-api-key"
     * hashes to cc9c4a614a92eede... (sha256sum). */
    v.t = RA_V_STR;
    v.s = "[[\"X-App\",\"a\"],[\"x-api-key\",\"sk-ant-secret-value-123456\"],"
          "[\"x-app\",\"b\"]]";
    v.n = strlen(v.s);
    for (int i = 0; i < 2; i++) { /* the second from the text's memo */
        CHECK(ra_headers_normalize(n, a, &v, &json, &jl, fp, &ua, &ul) == 0);
        CHECK_STR(json, "[[\"x-app\",\"a\"],[\"x-api-key\",null],"
                        "[\"x-app\",\"b\"]]");
        CHECK_STR(fp, "cc9c4a614a92eede");
        CHECK(strstr(json, "secret") == NULL);
    }

    v.s = "\"just a string\"";
    v.n = strlen(v.s);
    CHECK(ra_headers_normalize(n, a, &v, &json, &jl, fp, &ua, &ul) != 0);
}

static void
user(const char *u, const char *rule, const char *want_session,
     const char *want_country, const char *want_rule)
{
    const char *s, *c, *r;
    size_t sl, cl;
    char *rules[1] = {(char *)(uintptr_t)rule};
    ra_username_parse(n, a, u, strlen(u), rules, rule ? 1 : 0, &s, &sl, &c,
                      &cl, &r);
    CHECK_STR(s ? ra_arena_strndup(a, s, sl) : "(none)",
              want_session ? want_session : "(none)");
    CHECK_STR(c ? ra_arena_strndup(a, c, cl) : "(none)",
              want_country ? want_country : "(none)");
    CHECK_STR(r ? r : "(none)", want_rule ? want_rule : "(none)");
    CHECK(!c || (c >= u && c + cl <= u + strlen(u))); /* part of this u */
}

static void
test_usernames(void)
{
    /* Bright Data, current and older prefix, keys in any order. */
    user("brd-customer-hl_1a2b-zone-isp-session-acct03a-country-us", NULL,
         "acct03a", "us", "brightdata");
    user("brd-customer-hl_1a2b-zone-res-country-de-city-berlin-session-"
         "x9Ω7", NULL, "x9Ω7", "de", "brightdata");
    user("lum-customer-c_77-zone-static-session-rand42", NULL, "rand42",
         NULL, "brightdata");
    user("brd-customer-hl_1a2b-zone-isp", NULL, NULL, NULL, "brightdata");
    /* Oxylabs: -sessid- and -cc- (upper-case code as written). */
    user("customer-acme-cc-US-city-london-sessid-abc123-sesstime-10", NULL,
         "abc123", "US", "oxylabs");
    /* Decodo (Smartproxy). */
    user("user-spuser1-country-gb-session-s77-sessionduration-30", NULL,
         "s77", "gb", "decodo");
    /* SOAX. */
    user("package-123456-country-fr-sessionid-qq1-sessionlength-300", NULL,
         "qq1", "fr", "soax");
    /* Webshare and NetNut only when a format opts in; sessions qualified
     * by the user. */
    user("alice-US-17", NULL, NULL, NULL, NULL);
    user("alice-US-17", "webshare", "alice-17", "US", "webshare");
    user("alice-US-rotate", "webshare", NULL, "US", "webshare");
    user("bob-res-cc-nl-sid-99881", "netnut", "bob-99881", "nl", "netnut");
    user("plainuser", NULL, NULL, NULL, NULL);
    /* Keys in any case; an empty value is skipped for the next key of the
     * same name; a key last has no value. */
    user("brd-customer-x-SESSION-s1-Country-it", NULL, "s1", "it",
         "brightdata");
    user("brd-customer-x-session--country-us-session-s2", NULL, "s2", "us",
         "brightdata");
    user("brd-customer-x-country-us-session", NULL, NULL, "us",
         "brightdata");
    /* More than 64 tokens: the keys past the 64th are read too. */
    char many[1024] = "brd-customer-x";
    for (int i = 0; i < 40; i++)
        strcat(many, "-k-v");
    strcat(many, "-session-deep-country-nz");
    user(many, NULL, "deep", "nz", "brightdata");
    /* Asked again (a thread remembers its last usernames): the same
     * answers for the rules asked this time, read from this copy. */
    char again[] = "alice-US-17";
    user(again, "webshare", "alice-17", "US", "webshare");
    user(again, "netnut", NULL, NULL, NULL);
    user(again, "webshare", "alice-17", "US", "webshare");
    user("alice-US-17", NULL, NULL, NULL, NULL);
    char brd[] = "brd-customer-hl_1a2b-zone-isp-session-acct03a-country-us";
    user(brd, NULL, "acct03a", "us", "brightdata");
    user(brd, "netnut", "acct03a", "us", "brightdata");
}

int
main(void)
{
    struct ra_err err = {0};
    n = ra_norm_load(&err);
    if (!n) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    a = ra_arena_new();
    test_redact();
    test_fingerprint();
    test_usernames();
    ra_arena_free(a);
    ra_norm_free(n);
    return check_done();
}
