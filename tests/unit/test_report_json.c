/* test_report_json.c -- the JSON report against DESIGN.md's contract, field
 * by field: names, types and allowed values, on the samples' analysis. */
#include "analyze/analyze.h"
#include "analyze/report.h"
#include "check.h"
#include "common/json.h"
#include "ingest/ingest.h"
#include "ingest/writer.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

static yajl_val
member(yajl_val o, const char *k)
{
    yajl_val v = ra_json_get(o, k);
    if (!v)
        fprintf(stderr, "missing member '%s'\n", k);
    return v;
}

#define HAS(o, k, pred) CHECK(pred(member(o, k)))

static int
is_str(yajl_val v)
{
    return YAJL_IS_STRING(v);
}

static int
is_num(yajl_val v)
{
    return YAJL_IS_NUMBER(v);
}

static int
is_str_or_null(yajl_val v)
{
    return YAJL_IS_STRING(v) || YAJL_IS_NULL(v);
}

static int
is_str_array(yajl_val v)
{
    if (!YAJL_IS_ARRAY(v))
        return 0;
    for (size_t i = 0; i < v->u.array.len; i++)
        if (!YAJL_IS_STRING(v->u.array.values[i]))
            return 0;
    return 1;
}

static int
is_iso(yajl_val v)
{
    const char *s = YAJL_IS_STRING(v) ? v->u.string : "";
    return strlen(s) >= 20 && s[4] == '-' && s[10] == 'T' &&
           s[strlen(s) - 1] == 'Z';
}

static int
one_of(yajl_val v, const char *const *set)
{
    if (!YAJL_IS_STRING(v))
        return 0;
    for (; *set; set++)
        if (!strcmp(v->u.string, *set))
            return 1;
    return 0;
}

/* An integer member's value (-1 when it is not one). */
static long long
int_of(yajl_val o, const char *k)
{
    yajl_val v = member(o, k);
    return YAJL_IS_INTEGER(v) ? v->u.number.i : -1;
}

static const char *
str_of(yajl_val o, const char *k)
{
    yajl_val v = member(o, k);
    return YAJL_IS_STRING(v) ? v->u.string : NULL;
}

static void
check_finding(yajl_val f)
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
    const char *k = str_of(f, "kind");
    CHECK(one_of(member(f, "severity"), sev));
    CHECK(k != NULL);
    if (!k)
        return;
    if (!strcmp(k, "shared_account")) {
        yajl_val cs = member(f, "callers");
        HAS(f, "account", is_str);
        HAS(f, "window_start", is_iso);
        HAS(f, "window_end", is_iso);
        CHECK(YAJL_IS_ARRAY(cs) && ra_json_len(cs) >= 2);
        for (size_t i = 0; i < ra_json_len(cs); i++) {
            HAS(ra_json_at(cs, i), "caller", is_str);
            HAS(ra_json_at(cs, i), "requests", is_num);
        }
    } else if (!strcmp(k, "sticky_break")) {
        HAS(f, "session", is_str_or_null);
        HAS(f, "egress_session", is_str_or_null);
        HAS(f, "account", is_str_or_null);
        CHECK(one_of(member(f, "break"), brk));
        HAS(f, "values", is_str_array);
    } else if (!strcmp(k, "unmapped_ban")) {
        HAS(f, "account", is_str_or_null);
        HAS(f, "ts", is_iso);
        HAS(f, "request_id", is_str_or_null);
        CHECK(one_of(member(f, "class"), cls));
        CHECK(one_of(member(f, "attribution"), att));
        HAS(f, "candidates", is_str_array);
    } else if (!strcmp(k, "header_variant")) {
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
    CHECK(ra_db_open(db_path, RA_DB_CREATE, &db, &err) == 0);
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

    struct ra_arena *arena = ra_arena_new();
    yajl_val root = ra_json_parse(arena, out, outlen);
    CHECK(YAJL_IS_OBJECT(root));
    if (root) {
        yajl_val w = member(root, "window"), s = member(root, "summary");
        yajl_val fs, all;
        CHECK_STR(str_of(root, "tool"), "relayaudit");
        HAS(root, "version", is_str);
        CHECK_STR(str_of(w, "since"), "2026-11-24T00:00:00Z");
        CHECK_STR(str_of(w, "until"), "2026-11-25T00:00:00Z");
        CHECK_INT(int_of(member(root, "params"), "window_s"), 3600);
        CHECK_INT(int_of(member(root, "params"), "max_callers"), 1);
        CHECK_INT(int_of(s, "gateway_events"), 231);
        CHECK_INT(int_of(s, "proxy_events"), 272);
        CHECK_INT(int_of(s, "linked"), 231);
        CHECK_INT(int_of(s, "rejected_lines"), 0);
        CHECK_INT(int_of(s, "bans"), 5);
        CHECK_INT(int_of(s, "bans_attributed"), 2);
        fs = member(s, "findings");
        CHECK_INT(int_of(fs, "shared_account"), 1);
        CHECK_INT(int_of(fs, "sticky_break"), 5);
        CHECK_INT(int_of(fs, "unmapped_ban"), 3);
        CHECK_INT(int_of(fs, "header_variant"), 5);
        all = member(root, "findings");
        CHECK(YAJL_IS_ARRAY(all));
        CHECK_INT(ra_json_len(all), 14);
        for (size_t i = 0; i < ra_json_len(all); i++)
            check_finding(ra_json_at(all, i));
    }
    ra_arena_free(arena);
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
