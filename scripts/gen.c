/* gen.c -- deterministic log generator for samples/ and the benchmarks.
 *
 *   ra_gen samples DIR      a day of gateway, Squid and map logs with the
 *                           planted anomalies listed in samples/README.md
 *   ra_gen squid N          N Squid native lines on stdout
 *   ra_gen squid-csv N      the same records, already parsed, as CSV
 *   ra_gen jsonl N          N relayaudit-jsonl gateway lines
 *   ra_gen pair N DIR       N gateway + N matching Squid lines (analyze)
 *
 * Everything comes from one xorshift generator with a fixed seed, so the
 * output is the same on every machine. The planted cases are written out
 * explicitly below; the expected findings were written by hand from them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t
rnd(void)
{
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static int
rint_(int lo, int hi)
{
    return lo + (int)(rnd() % (uint64_t)(hi - lo + 1));
}

/* 2026-11-24T00:00:00Z */
#define DAY0 1795478400000LL

static void
iso(int64_t ms, char *out)
{
    int64_t s = ms / 1000;
    int h = (int)(s % 86400 / 3600), m = (int)(s % 3600 / 60),
        sec = (int)(s % 60);
    /* All generated times are on 2026-11-24 or 25. */
    int day = 24 + (int)((ms - DAY0) / 86400000);
    sprintf(out, "2026-11-%02dT%02d:%02d:%02d.%03dZ", day, h, m, sec,
            (int)(ms % 1000));
}

struct caller {
    const char *name, *key, *ua, *lang, *pkg;
};

static const struct caller callers[] = {
    {"team-a/ci-bot", "sk-live-ci0123abcdefghij0001", "OpenAI/Python 1.82.0",
     "python", "1.82.0"},
    {"team-a/web", "sk-live-web123abcdefghij0002", "OpenAI/JS 4.77.0", "js",
     "4.77.0"},
    {"team-b/batch", "sk-live-bat123abcdefghij0003", "OpenAI/Python 1.81.0",
     "python", "1.81.0"},
    {"team-c/agent", "sk-ant-agt123abcdefghij0004", "Anthropic/Python 0.40.0",
     "python", "0.40.0"},
    {"team-d/eval", "sk-live-evl123abcdefghij0005", "OpenAI/Python 1.82.0",
     "python", "1.82.0"},
    {"team-e/research", "AIzaSyA1234567890abcdefghijklmnopqrstuv",
     "google-genai-sdk/1.0.0 gl-python/3.12", "python", "1.0.0"},
    {"team-f/support", "sk-ant-sup123abcdefghij0007",
     "Anthropic/Python 0.40.0", "python", "0.40.0"},
};
enum { CI, WEB, BATCH, AGENT, EVAL, RESEARCH, SUPPORT, NCALLERS };

struct account {
    const char *name, *provider, *session, *country, *route, *host,
        *egress_ip;
};

static const struct account accounts[] = {
    {"oa-pool-01", "openai", "acct01a", "us",
     "https://api.openai.com/v1/chat/completions", "api.openai.com",
     "198.51.100.10"},
    {"oa-pool-02", "openai", "acct02a", "us",
     "https://api.openai.com/v1/chat/completions", "api.openai.com",
     "198.51.100.20"},
    {"oa-pool-03", "openai", "acct03a", "us",
     "https://api.openai.com/v1/chat/completions", "api.openai.com",
     "198.51.100.30"},
    {"oa-pool-04", "openai", "acct04a", "us",
     "https://api.openai.com/v1/responses", "api.openai.com",
     "198.51.100.40"},
    {"an-01", "anthropic", "acct11a", "de",
     "https://api.anthropic.com/v1/messages", "api.anthropic.com",
     "203.0.113.11"},
    {"an-02", "anthropic", "acct12a", "gb",
     "https://api.anthropic.com/v1/messages", "api.anthropic.com",
     "203.0.113.12"},
    {"gm-01", "gemini", "acct21a", "us",
     "https://generativelanguage.googleapis.com/v1beta/models/"
     "gemini-2.0-flash:generateContent",
     "generativelanguage.googleapis.com", "192.0.2.21"},
    {"gm-02", "gemini", "acct22a", "us",
     "https://generativelanguage.googleapis.com/v1beta/models/"
     "gemini-2.0-flash:generateContent",
     "generativelanguage.googleapis.com", "192.0.2.22"},
};
enum { OA1, OA2, OA3, OA4, AN1, AN2, GM1, GM2 };

static const char *const models[] = {"gpt-4o",      "gpt-4o",
                                     "gpt-4o-mini", "gpt-4.1",
                                     "claude-sonnet-4", "claude-sonnet-4",
                                     "gemini-2.0-flash", "gemini-2.0-flash"};

/* One gateway attempt and the proxy tunnel it opened. */
struct ev {
    int64_t ts;
    int caller; /* -1: the log has no caller */
    int account;
    char session[32];
    char egress_session[32];
    char country[8];
    const char *egress_ip;
    const char *route, *host;
    int status;
    const char *error_code, *error_message;
    const char *ua, *lang, *pkg; /* inbound client */
    const char *out_extra;       /* extra outbound headers (JSON members) */
    int proxy;                   /* 1: write a proxy event */
    const char *proxy_result;
    int proxy_status;
    char request_id[24];
};

static struct ev *evs;
static size_t nev, capev;
static int reqno;

static struct ev *
add(int64_t ts, int caller, int account)
{
    if (nev == capev) {
        capev = capev ? capev * 2 : 1024;
        evs = realloc(evs, capev * sizeof *evs);
        if (!evs)
            exit(1);
    }
    struct ev *e = &evs[nev++];
    const struct account *a = &accounts[account];
    memset(e, 0, sizeof *e);
    e->ts = ts;
    e->caller = caller;
    e->account = account;
    snprintf(e->egress_session, sizeof e->egress_session, "%s", a->session);
    snprintf(e->country, sizeof e->country, "%s", a->country);
    e->egress_ip = a->egress_ip;
    e->route = a->route;
    e->host = a->host;
    e->status = 200;
    if (caller >= 0) {
        e->ua = callers[caller].ua;
        e->lang = callers[caller].lang;
        e->pkg = callers[caller].pkg;
    } else {
        e->ua = "OpenAI/Python 1.82.0";
        e->lang = "python";
        e->pkg = "1.82.0";
    }
    e->proxy = 1;
    e->proxy_result = "TCP_TUNNEL";
    e->proxy_status = 200;
    snprintf(e->request_id, sizeof e->request_id, "req-%06d", ++reqno);
    return e;
}

#define AT(h, m) (DAY0 + ((int64_t)(h) * 3600 + (m) * 60) * 1000)

/* Normal traffic: each caller on its own account(s), sessions of a few
 * requests each, a steady client. */
static void
normal_traffic(void)
{
    static const struct {
        int caller, account;
        const char *sprefix;
        int count;
    } plan[] = {
        {CI, OA3, "s-ci", 30},        {WEB, OA1, "s-web", 30},
        {WEB, OA4, "s-webp", 14},     {BATCH, OA2, "s-bat", 30},
        {AGENT, AN1, "s-agt", 30},    {EVAL, OA4, "s-evl", 14},
        {RESEARCH, GM1, "s-res", 24}, {SUPPORT, AN2, "s-sup", 24},
    };
    for (size_t p = 0; p < sizeof plan / sizeof plan[0]; p++) {
        int sess = 0, left = 0;
        for (int i = 0; i < plan[p].count; i++) {
            /* Spread over the day, avoiding the minutes of the plants. */
            int64_t ts = DAY0 + (int64_t)i * (86400000LL / plan[p].count) +
                         rint_(0, 600) * 1000LL + p * 7000;
            struct ev *e = add(ts, plan[p].caller, plan[p].account);
            if (left == 0) {
                sess++;
                left = rint_(2, 5);
            }
            left--;
            snprintf(e->session, sizeof e->session, "%s-%d",
                     plan[p].sprefix, sess);
        }
    }
}

static void
plants(void)
{
    struct ev *e;

    /* P1 shared_account: team-c/agent through oa-pool-02 beside
     * team-b/batch, 13:05-13:40. */
    for (int i = 0; i < 4; i++)
        add(AT(13, 5 + 10 * i), AGENT, OA2);
    add(AT(13, 12), BATCH, OA2)->session[0] = '\0';
    add(AT(13, 33), BATCH, OA2);

    /* P3 sticky_break account: session s-web-hop hops oa-pool-01 -> -04. */
    for (int i = 0; i < 3; i++) {
        e = add(AT(9, 0 + 10 * i), WEB, i < 2 ? OA1 : OA4);
        strcpy(e->session, "s-web-hop");
    }

    /* P4 sticky_break egress_ip: acct01a reports a second exit IP. */
    e = add(AT(15, 2), WEB, OA1);
    e->egress_ip = "198.51.100.77";
    add(AT(15, 6), WEB, OA1);

    /* P5 sticky_break country: acct03a leaves through de for a while. */
    for (int i = 0; i < 2; i++) {
        e = add(AT(17, 30 + 3 * i), CI, OA3);
        strcpy(e->country, "de");
    }
    add(AT(17, 36), CI, OA3);
    add(AT(17, 27), CI, OA3);

    /* P6 sticky_break declared: an-01 through an undeclared session. */
    for (int i = 0; i < 3; i++) {
        e = add(AT(11, 0 + 7 * i), AGENT, AN1);
        strcpy(e->egress_session, "acct19z");
    }

    /* P7 unmapped_ban ambiguous: oa-pool-04 invalid key, no caller logged,
     * both pool callers active in the 15 minutes before. */
    add(AT(19, 40), EVAL, OA4);
    add(AT(19, 45), WEB, OA4);
    e = add(AT(19, 50), -1, OA4);
    e->status = 401;
    e->error_code = "invalid_api_key";
    e->error_message = "Incorrect API key provided: sk-proj-***************"
                       "*****wxyz. You can find your API key at "
                       "https://platform.openai.com/account/api-keys.";

    /* P8 unmapped_ban none: gm-02 (not in the map) out of quota. */
    e = add(AT(4, 10), -1, GM2);
    e->status = 429;
    e->error_code = "RESOURCE_EXHAUSTED";
    e->error_message = "Resource has been exhausted (e.g. check quota).";

    /* P9 unmapped_ban blocked: the proxy refuses an unknown session. */
    e = add(AT(20, 15), -1, OA1);
    e->caller = -2; /* proxy only */
    strcpy(e->egress_session, "acct77x");
    e->proxy_result = "TCP_DENIED";
    e->proxy_status = 407;

    /* P10 attributed bans (bans table, no finding). */
    e = add(AT(22, 40), CI, OA3);
    e->status = 401;
    e->error_code = "account_deactivated";
    e->error_message = "Your OpenAI account has been deactivated, please "
                       "check your email for more information.";
    e = add(AT(21, 5), SUPPORT, AN2);
    e->status = 429;
    e->error_code = "rate_limit_error";
    e->error_message = "Number of request tokens has exceeded your per-minute "
                       "rate limit";
    /* Not ban-class: overloaded, a server error, a context length. */
    e = add(AT(6, 31), AGENT, AN1);
    e->status = 529;
    e->error_code = "overloaded_error";
    e->error_message = "Overloaded";
    e = add(AT(7, 12), BATCH, OA2);
    e->status = 500;
    e->error_code = "server_error";
    e->error_message = "The server had an error while processing your request.";
    e = add(AT(8, 44), CI, OA3);
    e->status = 400;
    e->error_code = "context_length_exceeded";
    e->error_message = "This model's maximum context length is 128000 tokens.";

    /* P11 caller_drift interleaved: team-e/research alternates clients. */
    for (int i = 0; i < 3; i++) {
        e = add(AT(10, 0 + 5 * i), RESEARCH, GM1);
        if (i == 1) {
            e->ua = "curl/8.5.0";
            e->lang = NULL;
            e->pkg = NULL;
        }
    }
    /* P11b caller_drift single switch: team-b/batch upgrades at noon. */
    for (size_t i = 0; i < nev; i++)
        if (evs[i].caller == BATCH && evs[i].ts >= AT(12, 0)) {
            evs[i].ua = "OpenAI/Python 1.82.0";
            evs[i].pkg = "1.82.0";
        }

    /* P12 account_mix: an-01 outbound gets anthropic-beta 16:00-16:30. */
    for (int i = 0; i < 3; i++) {
        e = add(AT(16, 0 + 12 * i), AGENT, AN1);
        e->out_extra = ",\"anthropic-beta\":\"prompt-caching-2024-07-31\"";
    }

    /* P13 leak: every request on oa-pool-04 carries x-forwarded-for out. */
    for (size_t i = 0; i < nev; i++)
        if (evs[i].account == OA4)
            evs[i].out_extra = ",\"x-forwarded-for\":\"10.1.2.3\"";

    /* P14 route_variant: gm-01 reached through a second base URL. */
    for (int i = 0; i < 2; i++) {
        e = add(AT(14, 1 + 4 * i), RESEARCH, GM1);
        e->route = "https://gemini-relay.example.net/v1beta/models/"
                   "gemini-2.0-flash:generateContent";
        e->host = "gemini-relay.example.net";
    }
}

static int
cmp_ev(const void *a, const void *b)
{
    const struct ev *x = a, *y = b;
    return x->ts < y->ts ? -1 : x->ts > y->ts;
}

static const char *
out_ua(int account)
{
    const char *p = accounts[account].provider;
    return !strcmp(p, "openai")      ? "OpenAI/Python 1.82.0"
           : !strcmp(p, "anthropic") ? "Anthropic/Python 0.40.0"
                                     : "google-genai-sdk/1.0.0";
}

static void
write_gateway(FILE *f, const struct ev *e)
{
    char ts[40];
    const struct caller *c = e->caller >= 0 ? &callers[e->caller] : NULL;
    iso(e->ts, ts);
    fprintf(f, "{\"ts\":\"%s\",\"request_id\":\"%s\"", ts, e->request_id);
    if (c)
        fprintf(f, ",\"caller\":\"%s\",\"caller_key\":\"%s\"", c->name,
                c->key);
    if (e->session[0])
        fprintf(f, ",\"session\":\"%s\"", e->session);
    fprintf(f,
            ",\"provider\":\"%s\",\"account\":\"%s\",\"egress_session\":"
            "\"%s\",\"model\":\"%s\",\"route\":\"%s\",\"status\":%d",
            accounts[e->account].provider, accounts[e->account].name,
            e->egress_session, models[e->account], e->route, e->status);
    if (e->error_code)
        fprintf(f, ",\"error_code\":\"%s\"", e->error_code);
    if (e->error_message)
        fprintf(f, ",\"error_message\":\"%s\"", e->error_message);
    fprintf(f,
            ",\"latency_ms\":%d,\"tokens_in\":%d,\"tokens_out\":%d,"
            "\"cost\":%.6f,\"client_ip\":\"10.20.0.%d\",\"egress_ip\":\"%s\"",
            rint_(80, 2400), rint_(20, 4000), e->status == 200 ? rint_(5, 900)
                                                              : 0,
            rint_(1, 5000) / 1e5, e->caller >= 0 ? 10 + e->caller : 99,
            e->egress_ip);
    const char *auth = e->account == AN1 || e->account == AN2 ? "x-api-key"
                                                              : "authorization";
    fprintf(f, ",\"headers_in\":{\"content-type\":\"application/json\"");
    fprintf(f, ",\"user-agent\":\"%s\"", e->ua);
    if (e->lang)
        fprintf(f, ",\"x-stainless-lang\":\"%s\","
                   "\"x-stainless-package-version\":\"%s\"",
                e->lang, e->pkg);
    if (c)
        fprintf(f, ",\"authorization\":\"Bearer %s\"", c->key);
    fprintf(f, ",\"x-request-id\":\"%s\"}", e->request_id);
    fprintf(f, ",\"headers_out\":{\"content-type\":\"application/json\","
               "\"user-agent\":\"%s\"",
            out_ua(e->account));
    if (e->account == AN1 || e->account == AN2)
        fprintf(f, ",\"anthropic-version\":\"2023-06-01\"");
    fprintf(f, "%s", e->out_extra ? e->out_extra : "");
    if (!strcmp(auth, "x-api-key"))
        fprintf(f, ",\"x-api-key\":\"sk-ant-api03-UPSTREAM%sKEYxxxxxxxx\"}}\n",
                accounts[e->account].name);
    else
        fprintf(f, ",\"authorization\":\"Bearer sk-proj-UPSTREAM%sKEYxxxxxx\"}}"
                   "\n",
                accounts[e->account].name);
}

/* Squid logs the completion: time = start + elapsed. */
static void
write_squid(FILE *f, int64_t start, int elapsed, const char *client,
            const char *result, int status, long bytes, const char *method,
            const char *url, const char *user, const char *peer)
{
    int64_t end = start + elapsed;
    fprintf(f, "%lld.%03d %6d %s %s/%03d %ld %s %s %s %s -\n",
            (long long)(end / 1000), (int)(end % 1000), elapsed, client,
            result, status, bytes, method, url, user, peer);
}

struct sq {
    int64_t end;
    char line[512];
};

static int
cmp_sq(const void *a, const void *b)
{
    const struct sq *x = a, *y = b;
    return x->end < y->end ? -1 : x->end > y->end;
}

static int
samples(const char *dir)
{
    char path[1024];
    FILE *f;

    normal_traffic();
    plants();
    qsort(evs, nev, sizeof *evs, cmp_ev);

    /* Gateway: a rotated archive, oldest part gzipped by the caller of this
     * program (scripts/make-samples.sh). */
    FILE *parts[3];
    static const char *names[3] = {"gateway.log.2", "gateway.log.1",
                                   "gateway.log"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/gateway/%s", dir, names[i]);
        if (!(parts[i] = fopen(path, "w"))) {
            perror(path);
            return 1;
        }
    }
    for (size_t i = 0; i < nev; i++) {
        if (evs[i].caller == -2)
            continue;
        int part = evs[i].ts < AT(8, 0) ? 0 : evs[i].ts < AT(16, 0) ? 1 : 2;
        write_gateway(parts[part], &evs[i]);
    }
    for (int i = 0; i < 3; i++)
        fclose(parts[i]);

    /* Proxy: one tunnel per attempt, opened 15-60 ms after it, plus
     * unrelated traffic; sorted by completion as Squid writes it. */
    struct sq *sq = calloc(nev + 64, sizeof *sq);
    size_t nsq = 0;
    for (size_t i = 0; i < nev; i++) {
        const struct ev *e = &evs[i];
        char user[200], url[200], peer[64];
        FILE *m;
        if (!e->proxy)
            continue;
        snprintf(user, sizeof user,
                 "brd-customer-hl_4f2a9c-zone-isp-country-%s-session-%s",
                 e->country, e->egress_session);
        snprintf(url, sizeof url, "%s:443", e->host);
        snprintf(peer, sizeof peer, "HIER_DIRECT/%s",
                 e->proxy_status == 407 ? "-" : "104.18.6.192");
        int64_t start = e->ts + rint_(15, 60);
        int elapsed = e->proxy_status == 407 ? 0 : rint_(300, 9000);
        sq[nsq].end = start + elapsed;
        m = fmemopen(sq[nsq].line, sizeof sq[nsq].line, "w");
        write_squid(m, start, elapsed, "10.0.3.7", e->proxy_result,
                    e->proxy_status, e->proxy_status == 407 ? 0
                                                           : rint_(4000, 90000),
                    "CONNECT", url, user, peer);
        fclose(m);
        nsq++;
    }
    for (int i = 0; i < 40; i++) {
        /* Health checks and package mirrors: no gateway event. */
        int64_t start = DAY0 + (int64_t)i * 2160000 + 1234;
        int elapsed = rint_(20, 400);
        sq[nsq].end = start + elapsed;
        FILE *m = fmemopen(sq[nsq].line, sizeof sq[nsq].line, "w");
        write_squid(m, start, elapsed, "10.0.3.9", "TCP_MISS", 200,
                    rint_(300, 2000), "GET",
                    i % 2 ? "http://deb.debian.org/debian/dists/bookworm/"
                            "InRelease"
                          : "http://status.example.com/health",
                    "-", "HIER_DIRECT/151.101.2.132");
        fclose(m);
        nsq++;
    }
    qsort(sq, nsq, sizeof *sq, cmp_sq);
    FILE *p1, *p2;
    snprintf(path, sizeof path, "%s/proxy/access.log.1", dir);
    p1 = fopen(path, "w");
    snprintf(path, sizeof path, "%s/proxy/access.log", dir);
    p2 = fopen(path, "w");
    if (!p1 || !p2)
        return 1;
    for (size_t i = 0; i < nsq; i++)
        fputs(sq[i].line, sq[i].end < AT(12, 0) ? p1 : p2);
    fclose(p1);
    fclose(p2);
    free(sq);

    snprintf(path, sizeof path, "%s/map.csv", dir);
    if (!(f = fopen(path, "w")))
        return 1;
    fputs("caller,account,egress_session,country,max_callers\n"
          "team-a/ci-bot,oa-pool-03,acct03a,us,\n"
          "team-a/web,oa-pool-01,acct01a,us,\n"
          "team-a/web,oa-pool-04,acct04a,us,2\n"
          "team-d/eval,oa-pool-04,acct04a,us,2\n"
          "team-b/batch,oa-pool-02,acct02a,us,\n"
          "team-c/agent,an-01,acct11a,de,\n"
          "team-f/support,an-02,acct12a,gb,\n"
          "team-e/research,gm-01,acct21a,us,\n",
          f);
    fclose(f);
    free(evs);
    return 0;
}

/* ---- benchmark inputs ---------------------------------------------------- */

static const char *const hosts[] = {"api.openai.com", "api.anthropic.com",
                                    "generativelanguage.googleapis.com",
                                    "api.mistral.ai"};

static void
bench_squid(long n, int csv)
{
    int64_t t = DAY0;
    if (csv)
        puts("ts,elapsed,client,result,status,bytes,method,url,user,"
             "session,country,peer");
    for (long i = 0; i < n; i++) {
        int elapsed = rint_(40, 20000);
        const char *h = hosts[rnd() % 4];
        int acct = (int)(rnd() % 400);
        t += rint_(1, 170);
        if (csv)
            printf("%lld,%d,10.0.%d.%d,TCP_TUNNEL,200,%d,CONNECT,%s:443,"
                   "brd-customer-hl_4f2a9c-zone-isp-country-us-session-"
                   "acct%03d,acct%03d,us,104.18.%d.%d\n",
                   (long long)(t - elapsed), elapsed, acct / 250, acct % 250,
                   rint_(500, 900000), h, acct, acct, acct % 7, acct % 250);
        else
            printf("%lld.%03d %6d 10.0.%d.%d TCP_TUNNEL/200 %d CONNECT %s:443 "
                   "brd-customer-hl_4f2a9c-zone-isp-country-us-session-"
                   "acct%03d HIER_DIRECT/104.18.%d.%d -\n",
                   (long long)(t / 1000), (int)(t % 1000), elapsed,
                   acct / 250, acct % 250, rint_(500, 900000), h, acct,
                   acct % 7, acct % 250);
    }
}

static void
bench_jsonl(long n, FILE *gw, FILE *px)
{
    int64_t t = DAY0;
    for (long i = 0; i < n; i++) {
        struct ev e;
        /* A downstream session belongs to one caller and sticks to one
         * account; one event in 2,000 lands on another (a sticky break). */
        int sess = rint_(1, 5000), c = sess % NCALLERS;
        int a = (int)((unsigned)sess * 2654435761u % 8u);
        char ts[40];
        if (rnd() % 2000 == 0)
            a = (a + 1 + (int)(rnd() % 7)) % 8;
        t += rint_(1, 170);
        memset(&e, 0, sizeof e);
        iso(t, ts);
        fprintf(gw,
                "{\"ts\":\"%s\",\"request_id\":\"r-%ld\",\"caller\":\"%s\","
                "\"caller_key\":\"%s\",\"session\":\"s-%d\",\"provider\":"
                "\"%s\",\"account\":\"%s\",\"egress_session\":\"%s\","
                "\"model\":\"%s\",\"route\":\"%s\",\"status\":%d,"
                "\"latency_ms\":%d,\"tokens_in\":%d,\"tokens_out\":%d,"
                "\"headers_in\":{\"user-agent\":\"%s\",\"x-stainless-lang\":"
                "\"%s\",\"authorization\":\"Bearer %s\"},\"headers_out\":"
                "{\"user-agent\":\"%s\",\"authorization\":\"Bearer sk-up\"}}\n",
                ts, i, callers[c].name, callers[c].key, sess,
                accounts[a].provider, accounts[a].name, accounts[a].session,
                models[a], accounts[a].route, rnd() % 50 ? 200 : 429,
                rint_(80, 4000), rint_(10, 4000), rint_(1, 900),
                callers[c].ua, callers[c].lang, callers[c].key, out_ua(a));
        if (px) {
            int64_t start = t + rint_(15, 60);
            int elapsed = rint_(300, 9000);
            int64_t end = start + elapsed;
            fprintf(px,
                    "%lld.%03d %6d 10.0.3.7 TCP_TUNNEL/200 %d CONNECT %s:443 "
                    "brd-customer-hl_4f2a9c-zone-isp-country-%s-session-%s "
                    "HIER_DIRECT/104.18.6.192 -\n",
                    (long long)(end / 1000), (int)(end % 1000), elapsed,
                    rint_(4000, 90000), accounts[a].host, accounts[a].country,
                    accounts[a].session);
        }
    }
}

int
main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "samples"))
        return samples(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "squid"))
        return bench_squid(atol(argv[2]), 0), 0;
    if (argc == 3 && !strcmp(argv[1], "squid-csv"))
        return bench_squid(atol(argv[2]), 1), 0;
    if (argc == 3 && !strcmp(argv[1], "jsonl"))
        return bench_jsonl(atol(argv[2]), stdout, NULL), 0;
    if (argc == 4 && !strcmp(argv[1], "pair")) {
        char p[1024];
        snprintf(p, sizeof p, "%s/gateway.jsonl", argv[3]);
        FILE *gw = fopen(p, "w");
        snprintf(p, sizeof p, "%s/access.log", argv[3]);
        FILE *px = fopen(p, "w");
        if (!gw || !px)
            return 1;
        bench_jsonl(atol(argv[2]), gw, px);
        fclose(gw);
        fclose(px);
        return 0;
    }
    fprintf(stderr, "usage: ra_gen samples DIR | squid N | squid-csv N | "
                    "jsonl N | pair N DIR\n");
    return 2;
}
