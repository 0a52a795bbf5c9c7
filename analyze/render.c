/* render.c -- the four report formats over a loaded struct ra_report:
 * text (aligned terminal tables, colour only when asked), md (mail and
 * wikis), json (DESIGN.md's findings contract) and csv (one row a finding).
 */
#include "analyze/report.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------ */

static const char *
estr(const struct ra_finding *f, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(f->evidence, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double
enum_(const struct ra_finding *f, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(f->evidence, key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* The strings of an evidence array joined by sep. */
static void
ejoin(struct ra_buf *b, const struct ra_finding *f, const char *key,
      const char *sep)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(f->evidence, key), *it;
    int first = 1;
    cJSON_ArrayForEach(it, a)
    {
        if (!cJSON_IsString(it))
            continue;
        ra_buf_addf(b, "%s%s", first ? "" : sep, it->valuestring);
        first = 0;
    }
}

static void
ts_str(int64_t ms, char *out, size_t n)
{
    if (ms == RA_TS_MIN || ms == RA_TS_MAX)
        snprintf(out, n, "-");
    else
        ra_format_ts(ms, out, n);
}

/* The subject and a one-line summary of a finding's evidence. */
static void
describe(const struct ra_finding *f, struct ra_buf *subj, struct ra_buf *det)
{
    const char *sub = f->sub ? f->sub : "";
    if (!strcmp(f->kind, "shared_account")) {
        const cJSON *cs = cJSON_GetObjectItemCaseSensitive(f->evidence,
                                                           "callers"),
                    *c;
        char a[40], b[40];
        ts_str(f->window_start, a, sizeof a);
        ts_str(f->window_end, b, sizeof b);
        ra_buf_addf(subj, "account %s", f->account);
        ra_buf_addf(det, "%d callers, limit %.0f, %s .. %s:",
                    cJSON_GetArraySize(cs), enum_(f, "max_callers"), a, b);
        cJSON_ArrayForEach(c, cs)
        {
            const cJSON *n = cJSON_GetObjectItemCaseSensitive(c, "caller");
            const cJSON *q = cJSON_GetObjectItemCaseSensitive(c, "requests");
            ra_buf_addf(det, " %s (%.0f)",
                        cJSON_IsString(n) ? n->valuestring : "?",
                        cJSON_IsNumber(q) ? q->valuedouble : 0);
        }
    } else if (!strcmp(f->kind, "sticky_break")) {
        double sw = enum_(f, "switches");
        if (!strcmp(sub, "account")) {
            ra_buf_addf(subj, "session %s", f->session);
            ra_buf_adds(det, "accounts ");
            ejoin(det, f, "values", " -> ");
        } else if (!strcmp(sub, "declared")) {
            const char *what = estr(f, "observed");
            ra_buf_addf(subj, "account %s", f->account);
            ra_buf_addf(det, "undeclared %s ",
                        what && !strcmp(what, "country") ? "country"
                                                         : "egress session");
            ejoin(det, f, "values", ", ");
            ra_buf_adds(det, " (map: ");
            ejoin(det, f, "declared", ", ");
            ra_buf_addf(det, "), %.0f events", enum_(f, "events"));
            sw = 0;
        } else {
            ra_buf_addf(subj, "egress session %s", f->egress_session);
            ra_buf_addf(det, "%s ", !strcmp(sub, "country") ? "country"
                                                            : "exit IP");
            ejoin(det, f, "values", " -> ");
        }
        if (sw > 0)
            ra_buf_addf(det, ", %.0f switch%s", sw, sw == 1 ? "" : "es");
        if (enum_(f, "retries") > 0)
            ra_buf_addf(det, " (%.0f retries)", enum_(f, "retries"));
    } else if (!strcmp(f->kind, "unmapped_ban")) {
        const char *rid = estr(f, "request_id");
        if (f->account)
            ra_buf_addf(subj, "account %s", f->account);
        else if (f->egress_session)
            ra_buf_addf(subj, "egress session %s", f->egress_session);
        else
            ra_buf_adds(subj, "account unknown");
        ra_buf_addf(det, "%s on a %s event at %s", sub,
                    estr(f, "source") ? estr(f, "source") : "?",
                    estr(f, "ts") ? estr(f, "ts") : "?");
        if (rid)
            ra_buf_addf(det, " (request %s)", rid);
        ra_buf_addf(det, ", attribution %s",
                    estr(f, "attribution") ? estr(f, "attribution") : "?");
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(f->evidence,
                                                          "candidates");
        if (cJSON_GetArraySize(c) > 0) {
            ra_buf_adds(det, ": ");
            ejoin(det, f, "candidates", ", ");
        }
    } else if (!strcmp(f->kind, "header_variant")) {
        if (!strcmp(sub, "caller_drift")) {
            const cJSON *iv = cJSON_GetObjectItemCaseSensitive(f->evidence,
                                                               "interleaved");
            ra_buf_addf(subj, "caller %s", f->caller);
            ra_buf_addf(det, "caller_drift: %d inbound fingerprints, %s",
                        cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
                            f->evidence, "fingerprints")),
                        cJSON_IsTrue(iv) ? "interleaved" : "one switch each");
        } else {
            ra_buf_addf(subj, "account %s", f->account);
            ra_buf_addf(det, "%s: ", sub);
            if (!strcmp(sub, "account_mix")) {
                ra_buf_addf(det, "%d outbound fingerprints",
                            cJSON_GetArraySize(
                                cJSON_GetObjectItemCaseSensitive(
                                    f->evidence, "fingerprints")));
            } else if (!strcmp(sub, "leak")) {
                ra_buf_adds(det, "sends ");
                ejoin(det, f, "headers", ", ");
                ra_buf_addf(det, " upstream (%.0f requests)",
                            enum_(f, "requests"));
            } else if (!strcmp(sub, "route_variant")) {
                ejoin(det, f, "routes", ", ");
            } else {
                ejoin(det, f, "pairs", ", ");
                ra_buf_addf(det, " (%.0f events)", enum_(f, "events"));
            }
        }
    }
}

static const char *const kinds[] = {"shared_account", "sticky_break",
                                    "unmapped_ban", "header_variant"};

static void
counts(const struct ra_report *r, int64_t sev[4], int64_t kind[4])
{
    memset(sev, 0, 4 * sizeof *sev);
    memset(kind, 0, 4 * sizeof *kind);
    for (size_t i = 0; i < r->nfindings; i++) {
        sev[ra_severity_rank(r->findings[i].severity)]++;
        for (int k = 0; k < 4; k++)
            if (!strcmp(r->findings[i].kind, kinds[k]))
                kind[k]++;
    }
}

static double
pct(int64_t a, int64_t b)
{
    return b ? 100.0 * (double)a / (double)b : 0.0;
}

static void
window_str(const struct ra_report *r, struct ra_buf *b)
{
    char a[40], z[40];
    if (r->since == RA_TS_MIN && r->until == RA_TS_MAX) {
        ra_buf_adds(b, "all data");
        return;
    }
    ts_str(r->since, a, sizeof a);
    ts_str(r->until, z, sizeof z);
    ra_buf_addf(b, "%s .. %s", r->since == RA_TS_MIN ? "start" : a,
                r->until == RA_TS_MAX ? "end" : z);
}

/* "window 1h, max_callers 1, ..." from the params JSON. */
static void
params_str(const struct ra_report *r, struct ra_buf *b)
{
    cJSON *p = cJSON_Parse(r->params ? r->params : "{}"), *it;
    int first = 1;
    cJSON_ArrayForEach(it, p)
    {
        size_t l = strlen(it->string);
        if (!cJSON_IsNumber(it))
            continue;
        ra_buf_addf(b, "%s", first ? "" : ", ");
        first = 0;
        if (l > 2 && !strcmp(it->string + l - 2, "_s")) {
            double s = it->valuedouble;
            ra_buf_addf(b, "%.*s ", (int)(l - 2), it->string);
            if (s >= 3600 && (long long)s % 3600 == 0)
                ra_buf_addf(b, "%.0fh", s / 3600);
            else if (s >= 60 && (long long)s % 60 == 0)
                ra_buf_addf(b, "%.0fm", s / 60);
            else
                ra_buf_addf(b, "%gs", s);
        } else {
            ra_buf_addf(b, "%s %g", it->string, it->valuedouble);
        }
    }
    cJSON_Delete(p);
}

/* ---- text and md tables --------------------------------------------------- */

struct table {
    char **cells;
    size_t ncols, nrows;
};

static void
table_add(struct table *t, const char *const *row)
{
    t->cells = xrealloc(t->cells, (t->nrows + 1) * t->ncols * sizeof(char *));
    for (size_t i = 0; i < t->ncols; i++)
        t->cells[t->nrows * t->ncols + i] = xstrdup(row[i] ? row[i] : "-");
    t->nrows++;
}

static void
table_free(struct table *t)
{
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
}

static const char *
sev_color(const char *s)
{
    int r = ra_severity_rank(s);
    return r == 3 ? "\033[1;31m" : r == 2 ? "\033[33m" : "\033[36m";
}

/* Text: columns aligned, header row first; the severity column coloured
 * when color is set. */
static void
table_text(const struct table *t, FILE *f, int color, int sevcol)
{
    size_t *w = xcalloc(t->ncols, sizeof *w);
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++) {
            size_t l = strlen(t->cells[r * t->ncols + c]);
            if (l > w[c])
                w[c] = l;
        }
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            const char *s = t->cells[r * t->ncols + c];
            int last = c == t->ncols - 1;
            int paint = color && r > 0 && (int)c == sevcol;
            fprintf(f, "%s%s%s%s", c ? "  " : "", paint ? sev_color(s) : "",
                    s, paint ? "\033[0m" : "");
            if (!last)
                fprintf(f, "%*s", (int)(w[c] - strlen(s)), "");
        }
        fputc('\n', f);
    }
    free(w);
}

static void
md_cell(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", f);
        else if (*s == '\n')
            fputc(' ', f);
        else
            fputc(*s, f);
    }
}

static void
table_md(const struct table *t, FILE *f)
{
    for (size_t r = 0; r < t->nrows; r++) {
        fputc('|', f);
        for (size_t c = 0; c < t->ncols; c++) {
            fputc(' ', f);
            md_cell(f, t->cells[r * t->ncols + c]);
            fputs(" |", f);
        }
        fputc('\n', f);
        if (r == 0) {
            fputc('|', f);
            for (size_t c = 0; c < t->ncols; c++)
                fputs(" --- |", f);
            fputc('\n', f);
        }
    }
}

static void
build_tables(const struct ra_report *r, struct table *ft, struct table *ct)
{
    static const char *const fh[] = {"severity", "kind", "subject", "detail"};
    static const char *const ch[] = {"class",  "account", "caller",
                                     "how",    "events",  "first",
                                     "active before"};
    ft->ncols = 4;
    table_add(ft, fh);
    for (size_t i = 0; i < r->nfindings; i++) {
        struct ra_buf s = RA_BUF_INIT, d = RA_BUF_INIT;
        describe(&r->findings[i], &s, &d);
        const char *row[] = {r->findings[i].severity, r->findings[i].kind,
                             s.data, d.data};
        table_add(ft, row);
        ra_buf_release(&s);
        ra_buf_release(&d);
    }
    ct->ncols = 7;
    table_add(ct, ch);
    for (size_t i = 0; i < r->nculprits; i++) {
        const struct ra_culprit *c = &r->culprits[i];
        char n[24], first[40];
        struct ra_buf act = RA_BUF_INIT;
        cJSON *a = cJSON_Parse(c->active ? c->active : "[]"), *it;
        cJSON_ArrayForEach(it, a) if (cJSON_IsString(it))
            ra_buf_addf(&act, "%s%s", act.len ? ", " : "", it->valuestring);
        cJSON_Delete(a);
        snprintf(n, sizeof n, "%lld", (long long)c->n);
        ts_str(c->first, first, sizeof first);
        const char *row[] = {c->cls,  c->account, c->caller,
                             c->attribution, n, first,
                             act.len ? act.data : "-"};
        table_add(ct, row);
        ra_buf_release(&act);
    }
}

static void
render_text(const struct ra_report *r, FILE *f, int color, int md)
{
    struct ra_buf win = RA_BUF_INIT, par = RA_BUF_INIT;
    struct table ft = {0}, ct = {0};
    int64_t sev[4], kind[4];
    char started[40];

    window_str(r, &win);
    params_str(r, &par);
    counts(r, sev, kind);
    ts_str(r->started, started, sizeof started);
    build_tables(r, &ft, &ct);
    if (md) {
        fprintf(f, "# relayaudit report\n\n");
        fprintf(f, "- **Window:** %s (analysis run %lld, %s)\n", win.data,
                (long long)r->run_id, started);
        fprintf(f, "- **Parameters:** %s\n", par.data);
        fprintf(f, "- **Coverage:** %lld gateway events, %lld proxy events; "
                   "%lld linked to a proxy event (%.1f%%); %lld ban-class "
                   "events, %lld attributed (%.1f%%); %lld rejected lines\n",
                (long long)r->gateway_events, (long long)r->proxy_events,
                (long long)r->linked, pct(r->linked, r->gateway_events),
                (long long)r->bans, (long long)r->bans_attributed,
                pct(r->bans_attributed, r->bans),
                (long long)r->rejected_lines);
        fprintf(f, "\n## Findings: %zu (%lld high, %lld medium, %lld low)\n\n",
                r->nfindings, (long long)sev[3], (long long)sev[2],
                (long long)sev[1]);
        fprintf(f, "shared_account %lld, sticky_break %lld, unmapped_ban "
                   "%lld, header_variant %lld\n\n",
                (long long)kind[0], (long long)kind[1], (long long)kind[2],
                (long long)kind[3]);
        if (r->nfindings)
            table_md(&ft, f);
        fprintf(f, "\n## Who got accounts banned\n\n");
        if (r->nculprits)
            table_md(&ct, f);
        else
            fprintf(f, "No ban-class events.\n");
    } else {
        fprintf(f, "relayaudit report, analysis run %lld (%s)\n",
                (long long)r->run_id, started);
        fprintf(f, "window      %s\n", win.data);
        fprintf(f, "parameters  %s\n", par.data);
        fprintf(f, "coverage    %lld gateway events, %lld proxy events; %lld "
                   "linked to a proxy event (%.1f%%)\n",
                (long long)r->gateway_events, (long long)r->proxy_events,
                (long long)r->linked, pct(r->linked, r->gateway_events));
        fprintf(f, "            %lld ban-class events, %lld attributed "
                   "(%.1f%%); %lld rejected lines\n",
                (long long)r->bans, (long long)r->bans_attributed,
                pct(r->bans_attributed, r->bans),
                (long long)r->rejected_lines);
        fprintf(f, "\n%zu findings: %lld high, %lld medium, %lld low "
                   "(shared_account %lld, sticky_break %lld, unmapped_ban "
                   "%lld, header_variant %lld)\n\n",
                r->nfindings, (long long)sev[3], (long long)sev[2],
                (long long)sev[1], (long long)kind[0], (long long)kind[1],
                (long long)kind[2], (long long)kind[3]);
        if (r->nfindings)
            table_text(&ft, f, color, 0);
        fprintf(f, "\nwho got accounts banned (ban-class events by account "
                   "and caller):\n\n");
        if (r->nculprits)
            table_text(&ct, f, 0, -1);
        else
            fprintf(f, "no ban-class events\n");
    }
    table_free(&ft);
    table_free(&ct);
    ra_buf_release(&win);
    ra_buf_release(&par);
}

/* ---- json and csv ------------------------------------------------------- */

static void
add_ts(cJSON *o, const char *k, int64_t ms)
{
    char b[40];
    if (ms == RA_TS_MIN || ms == RA_TS_MAX) {
        cJSON_AddNullToObject(o, k);
        return;
    }
    ra_format_ts(ms, b, sizeof b);
    cJSON_AddStringToObject(o, k, b);
}

static int
render_json(const struct ra_report *r, FILE *f)
{
    cJSON *root = cJSON_CreateObject(), *o, *arr;
    int64_t sev[4], kind[4];

    counts(r, sev, kind);
    cJSON_AddStringToObject(root, "tool", "relayaudit");
    cJSON_AddStringToObject(root, "version", RA_VERSION);
    cJSON_AddNumberToObject(root, "run_id", (double)r->run_id);
    o = cJSON_AddObjectToObject(root, "window");
    add_ts(o, "since", r->since);
    add_ts(o, "until", r->until);
    cJSON *params = cJSON_Parse(r->params ? r->params : "{}");
    cJSON_AddItemToObject(root, "params",
                          params ? params : cJSON_CreateObject());
    o = cJSON_AddObjectToObject(root, "summary");
    cJSON_AddNumberToObject(o, "gateway_events", (double)r->gateway_events);
    cJSON_AddNumberToObject(o, "proxy_events", (double)r->proxy_events);
    cJSON_AddNumberToObject(o, "linked", (double)r->linked);
    cJSON_AddNumberToObject(o, "rejected_lines", (double)r->rejected_lines);
    cJSON_AddNumberToObject(o, "bans", (double)r->bans);
    cJSON_AddNumberToObject(o, "bans_attributed", (double)r->bans_attributed);
    cJSON *fk = cJSON_AddObjectToObject(o, "findings");
    for (int k = 0; k < 4; k++)
        cJSON_AddNumberToObject(fk, kinds[k], (double)kind[k]);
    cJSON *fs = cJSON_AddObjectToObject(o, "severity");
    cJSON_AddNumberToObject(fs, "high", (double)sev[3]);
    cJSON_AddNumberToObject(fs, "medium", (double)sev[2]);
    cJSON_AddNumberToObject(fs, "low", (double)sev[1]);
    arr = cJSON_AddArrayToObject(root, "findings");
    for (size_t i = 0; i < r->nfindings; i++) {
        const struct ra_finding *fi = &r->findings[i];
        cJSON *item = cJSON_CreateObject(), *it;
        cJSON_AddStringToObject(item, "kind", fi->kind);
        cJSON_AddStringToObject(item, "severity", fi->severity);
        cJSON_ArrayForEach(it, fi->evidence)
            cJSON_AddItemToObject(item, it->string, cJSON_Duplicate(it, 1));
        cJSON_AddItemToArray(arr, item);
    }
    arr = cJSON_AddArrayToObject(root, "bans");
    for (size_t i = 0; i < r->nculprits; i++) {
        const struct ra_culprit *c = &r->culprits[i];
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "account", c->account);
        cJSON_AddStringToObject(item, "class", c->cls);
        if (c->caller)
            cJSON_AddStringToObject(item, "caller", c->caller);
        else
            cJSON_AddNullToObject(item, "caller");
        cJSON_AddStringToObject(item, "attribution", c->attribution);
        cJSON_AddNumberToObject(item, "events", (double)c->n);
        add_ts(item, "first", c->first);
        add_ts(item, "last", c->last);
        cJSON *act = cJSON_Parse(c->active ? c->active : "[]");
        cJSON_AddItemToObject(item, "active", act ? act : cJSON_CreateArray());
        cJSON_AddItemToArray(arr, item);
    }
    char *s = cJSON_Print(root);
    int rc = s ? 0 : RA_EIO;
    /* cJSON indents with tabs and writes "key":<tab>value; strings never
     * hold a raw tab (it is escaped), so every tab is layout. */
    for (const char *c = s; rc == 0 && *c; c++)
        if (*c != '\t')
            rc = fputc(*c, f) == EOF ? RA_EIO : 0;
        else
            rc = fputs(c > s && c[-1] == ':' ? " " : "  ", f) < 0 ? RA_EIO : 0;
    if (rc == 0 && fputc('\n', f) == EOF)
        rc = RA_EIO;
    cJSON_free(s);
    cJSON_Delete(root);
    return rc;
}

static void
csv_field(FILE *f, const char *s)
{
    if (!s) {
        return;
    }
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void
render_csv(const struct ra_report *r, FILE *f)
{
    fputs("kind,severity,sub,account,caller,session,egress_session,ts,"
          "window_start,window_end,summary,evidence\n",
          f);
    for (size_t i = 0; i < r->nfindings; i++) {
        const struct ra_finding *fi = &r->findings[i];
        struct ra_buf s = RA_BUF_INIT, d = RA_BUF_INIT;
        char t[3][40];
        const char *cells[] = {fi->kind,    fi->severity, fi->sub,
                               fi->account, fi->caller,   fi->session,
                               fi->egress_session};
        for (size_t c = 0; c < 7; c++) {
            csv_field(f, cells[c]);
            fputc(',', f);
        }
        ts_str(fi->ts, t[0], sizeof t[0]);
        ts_str(fi->window_start, t[1], sizeof t[1]);
        ts_str(fi->window_end, t[2], sizeof t[2]);
        for (int k = 0; k < 3; k++) {
            if (strcmp(t[k], "-"))
                fputs(t[k], f);
            fputc(',', f);
        }
        describe(fi, &s, &d);
        ra_buf_addf(&s, ": %s", d.data ? d.data : "");
        csv_field(f, s.data);
        fputc(',', f);
        char *ev = cJSON_PrintUnformatted(fi->evidence);
        csv_field(f, ev);
        cJSON_free(ev);
        fputc('\n', f);
        ra_buf_release(&s);
        ra_buf_release(&d);
    }
}

int
ra_report_render(const struct ra_report *r, enum ra_report_format fmt,
                 int color, FILE *f)
{
    switch (fmt) {
    case RA_RPT_TEXT:
        render_text(r, f, color, 0);
        break;
    case RA_RPT_MD:
        render_text(r, f, 0, 1);
        break;
    case RA_RPT_JSON:
        if (render_json(r, f))
            return RA_EIO;
        break;
    case RA_RPT_CSV:
        render_csv(r, f);
        break;
    }
    return ferror(f) ? RA_EIO : 0;
}
