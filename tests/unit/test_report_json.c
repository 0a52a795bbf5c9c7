/* test_report_json.c -- the JSON report against DESIGN.md's contract, field
 * by field: names, types and allowed values, on the samples' analysis. */
#include "analyze/analyze.h"
#include "analyze/report.h"
#include "check.h"
#include "ingest/ingest.h"
#include "ingest/writer.h"

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

static const cJSON *
member(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!v)
        fprintf(stderr, "missing member '%s'\n", k);
    return v;
}

#define HAS(o, k, pred) CHECK(pred(member(o, k)))

static int
is_str_or_null(const cJSON *v)
{
    return v && (cJSON_IsString(v) || cJSON_IsNull(v));
}

static int
is_str_array(const cJSON *v)
{
    const cJSON *it;
    if (!cJSON_IsArray(v))
        return 0;
    cJSON_ArrayForEach(it, v) if (!cJSON_IsString(it)) return 0;
    return 1;
}

static int
is_iso(const cJSON *v)
{
    return cJSON_IsString(v) && strlen(v->valuestring) >= 20 &&
           v->valuestring[4] == '-' && v->valuestring[10] == 'T' &&
           v->valuestring[strlen(v->valuestring) - 1] == 'Z';
}

static int
one_of(const cJSON *v, const char *const *set)
{
    if (!cJSON_IsString(v))
        return 0;
    for (; *set; set++)
        if (!strcmp(v->valuestring, *set))
            return 1;
    return 0;
}

static void
check_finding(const cJSON *f)
{
    static const char *const sev[] = {"high", "medium", "low", NULL};
    static const char *const brk[] = {"account", "egress_ip", "country",
                                      "declared", NULL};
    static const char *const cls[] = {"ban", "quota", "rate_limit",
                                      "blocked", NULL};
    static const char *const att[] = {"none", "ambiguous", NULL};
    static const char *const var[] = {"caller_drift", "account_mix", "leak",
                                      "route_variant", "route_mismatch",
                                      NULL};
    const cJSON *k = member(f, "kind");
    CHECK(one_of(member(f, "severity"), sev));
    CHECK(cJSON_IsString(k));
    if (!cJSON_IsString(k))
        return;
    if (!strcmp(k->valuestring, "shared_account")) {
        const cJSON *c, *cs = member(f, "callers");
        HAS(f, "account", cJSON_IsString);
        HAS(f, "window_start", is_iso);
        HAS(f, "window_end", is_iso);
        CHECK(cJSON_IsArray(cs) && cJSON_GetArraySize(cs) >= 2);
        cJSON_ArrayForEach(c, cs)
        {
            HAS(c, "caller", cJSON_IsString);
            HAS(c, "requests", cJSON_IsNumber);
        }
    } else if (!strcmp(k->valuestring, "sticky_break")) {
        HAS(f, "session", is_str_or_null);
        HAS(f, "egress_session", is_str_or_null);
        HAS(f, "account", is_str_or_null);
        CHECK(one_of(member(f, "break"), brk));
        HAS(f, "values", is_str_array);
    } else if (!strcmp(k->valuestring, "unmapped_ban")) {
        HAS(f, "account", is_str_or_null);
        HAS(f, "ts", is_iso);
        HAS(f, "request_id", is_str_or_null);
        CHECK(one_of(member(f, "class"), cls));
        CHECK(one_of(member(f, "attribution"), att));
        HAS(f, "candidates", is_str_array);
    } else if (!strcmp(k->valuestring, "header_variant")) {
        CHECK(one_of(member(f, "variant"), var));
        HAS(f, "caller", is_str_or_null);
        HAS(f, "session", is_str_or_null);
        HAS(f, "account", is_str_or_null);
        HAS(f, "fingerprints", is_str_array);
        HAS(f, "headers", is_str_array);
    } else {
        CHECK(!"unknown kind");
    }
}

int
main(void)
{
    char dir[] = "/tmp/ra_json_XXXXXX", db_path[64], src[3][1024];
    struct ra_ingest_opts o = {0};
    struct ra_ingest_totals t;
    struct ra_err err = {0};
    struct ra_params p;
    struct ra_analysis a;
    struct ra_report r;
    sqlite3 *db;
    char *out = NULL;
    size_t outlen = 0;

    if (!mkdtemp(dir))
        return 1;
    snprintf(db_path, sizeof db_path, "%s/t.db", dir);
    snprintf(src[0], sizeof src[0], "%s/samples/map.csv", ra_datadir());
    snprintf(src[1], sizeof src[1], "%s/samples/gateway", ra_datadir());
    snprintf(src[2], sizeof src[2], "%s/samples/proxy", ra_datadir());
    o.db_path = db_path;
    o.max_line = 1 << 20;
    char *map[] = {src[0]}, *logs[] = {src[1], src[2]};
    o.source = RA_SRC_MAP;
    CHECK(ra_ingest_run(&o, map, 1, &t, &err) == 0);
    o.source = 0;
    CHECK(ra_ingest_run(&o, logs, 2, &t, &err) == 0);
    CHECK(ra_db_open(db_path, 0, &db, &err) == 0);
    ra_params_init(&p);
    p.since = 1795478400000LL;
    p.until = p.since + 86400000;
    CHECK(ra_analyze(db, &p, &a, &err) == 0);
    CHECK(ra_report_load(db, 1, p.since, p.until, &r, &err) == 0);
    FILE *f = open_memstream(&out, &outlen);
    CHECK(ra_report_render(&r, RA_RPT_JSON, 0, f) == 0);
    fclose(f);
    ra_report_release(&r);
    sqlite3_close(db);

    cJSON *root = cJSON_Parse(out);
    CHECK(root != NULL);
    if (root) {
        const cJSON *w = member(root, "window"), *s = member(root, "summary");
        const cJSON *fs, *it;
        CHECK(cJSON_IsString(member(root, "tool")) &&
              !strcmp(member(root, "tool")->valuestring, "relayaudit"));
        HAS(root, "version", cJSON_IsString);
        CHECK_STR(cJSON_GetStringValue(member(w, "since")),
                  "2026-11-24T00:00:00Z");
        CHECK_STR(cJSON_GetStringValue(member(w, "until")),
                  "2026-11-25T00:00:00Z");
        CHECK_INT(member(member(root, "params"), "window_s")->valuedouble,
                  3600);
        CHECK_INT(member(member(root, "params"), "max_callers")->valuedouble,
                  1);
        CHECK_INT(member(s, "gateway_events")->valuedouble, 231);
        CHECK_INT(member(s, "proxy_events")->valuedouble, 272);
        CHECK_INT(member(s, "linked")->valuedouble, 231);
        CHECK_INT(member(s, "rejected_lines")->valuedouble, 0);
        CHECK_INT(member(s, "bans")->valuedouble, 5);
        CHECK_INT(member(s, "bans_attributed")->valuedouble, 2);
        fs = member(s, "findings");
        CHECK_INT(member(fs, "shared_account")->valuedouble, 1);
        CHECK_INT(member(fs, "sticky_break")->valuedouble, 5);
        CHECK_INT(member(fs, "unmapped_ban")->valuedouble, 3);
        CHECK_INT(member(fs, "header_variant")->valuedouble, 5);
        CHECK_INT(cJSON_GetArraySize(member(root, "findings")), 14);
        cJSON_ArrayForEach(it, member(root, "findings")) check_finding(it);
    }
    cJSON_Delete(root);
    free(out);
    unlink(db_path);
    char side[80];
    snprintf(side, sizeof side, "%s-wal", db_path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", db_path);
    unlink(side);
    rmdir(dir);
    return check_done();
}
