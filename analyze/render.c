/* render.c -- the four report formats over a loaded struct ra_report:
 * text (aligned terminal tables, colour only when asked), md (mail and
 * wikis), json (DESIGN.md's findings contract) and csv (one row a finding).
 */
#include "analyze/report.h"
#include "common/json.h"

#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------ */

static const char *
jstr(yajl_val v)
{
    return YAJL_IS_STRING(v) ? v->u.string : NULL;
}

static double
jnum(yajl_val v)
{
    return YAJL_IS_DOUBLE(v) ? v->u.number.d : 0;
}

static const char *
estr(const struct ra_finding *f, const char *key)
{
    return jstr(ra_json_get(f->evidence, key));
}

static double
enum_(const struct ra_finding *f, const char *key)
{
    return jnum(ra_json_get(f->evidence, key));
}

/* The strings of an array joined by sep. */
static void
join(struct ra_buf *b, yajl_val a, const char *sep)
{
    int first = 1;
    for (size_t i = 0; i < ra_json_len(a); i++) {
        const char *s = jstr(ra_json_at(a, i));
        if (!s)
            continue;
        ra_buf_addf(b, "%s%s", first ? "" : sep, s);
        first = 0;
    }
}

/* The same for an evidence member. */
static void
ejoin(struct ra_buf *b, const struct ra_finding *f, const char *key,
      const char *sep)
{
    join(b, ra_json_get(f->evidence, key), sep);
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
        yajl_val cs = ra_json_get(f->evidence, "callers");
        char a[40], b[40];
        ts_str(f->window_start, a, sizeof a);
        ts_str(f->window_end, b, sizeof b);
        ra_buf_addf(subj, "account %s", f->account);
        ra_buf_addf(det, "%zu callers, limit %.0f, %s .. %s:",
                    ra_json_len(cs), enum_(f, "max_callers"), a, b);
        for (size_t i = 0; i < ra_json_len(cs); i++) {
            yajl_val c = ra_json_at(cs, i);
            const char *n = jstr(ra_json_get(c, "caller"));
            ra_buf_addf(det, " %s (%.0f)", n ? n : "?",
                        jnum(ra_json_get(c, "requests")));
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
        if (ra_json_len(ra_json_get(f->evidence, "candidates")) > 0) {
            ra_buf_adds(det, ": ");
            ejoin(det, f, "candidates", ", ");
        }
    } else if (!strcmp(f->kind, "header_variant")) {
        if (!strcmp(sub, "caller_drift")) {
            yajl_val iv = ra_json_get(f->evidence, "interleaved");
            ra_buf_addf(subj, "caller %s", f->caller);
            ra_buf_addf(det, "caller_drift: %zu inbound fingerprints, %s",
                        ra_json_len(ra_json_get(f->evidence, "fingerprints")),
                        YAJL_IS_TRUE(iv) ? "interleaved" : "one switch each");
        } else {
            ra_buf_addf(subj, "account %s", f->account);
            ra_buf_addf(det, "%s: ", sub);
            if (!strcmp(sub, "account_mix")) {
                ra_buf_addf(det, "%zu outbound fingerprints",
                            ra_json_len(
                                ra_json_get(f->evidence, "fingerprints")));
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
    const char *text = r->params ? r->params : "{}";
    yajl_val p = ra_json_parse(r->arena, text, strlen(text));
    int first = 1;
    for (size_t i = 0; i < ra_json_len(p); i++) {
        const char *k = p->u.object.keys[i];
        yajl_val it = p->u.object.values[i];
        size_t l = strlen(k);
        if (!YAJL_IS_DOUBLE(it))
            continue;
        ra_buf_addf(b, "%s", first ? "" : ", ");
        first = 0;
        if (l > 2 && !strcmp(k + l - 2, "_s")) {
            double s = it->u.number.d;
            ra_buf_addf(b, "%.*s ", (int)(l - 2), k);
            if (s >= 3600 && (long long)s % 3600 == 0)
                ra_buf_addf(b, "%.0fh", s / 3600);
            else if (s >= 60 && (long long)s % 60 == 0)
                ra_buf_addf(b, "%.0fm", s / 60);
            else
                ra_buf_addf(b, "%gs", s);
        } else {
            ra_buf_addf(b, "%s %g", k, it->u.number.d);
        }
    }
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
            size_t l = ra_text_width(t->cells[r * t->ncols + c]);
            if (l > w[c])
                w[c] = l;
        }
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            const char *s = t->cells[r * t->ncols + c];
            int last = c == t->ncols - 1;
            int paint = color && r > 0 && (int)c == sevcol;
            fprintf(f, "%s%s", c ? "  " : "", paint ? sev_color(s) : "");
            ra_text_put(f, s);
            fputs(paint ? "\033[0m" : "", f);
            if (!last)
                ra_text_pad(f, s, w[c]);
        }
        fputc('\n', f);
    }
    free(w);
}

/* A Markdown table cell: '|' escaped, a newline a space, the other
 * control characters as the text table shows them. */
static void
md_cell(FILE *f, const char *s)
{
    size_t n = strlen(s);
    char e[8];
    while (n) {
        size_t k = 1;
        if (*s == '\n') {
            fputc(' ', f);
        } else if (*s == '|') {
            fputs("\\|", f);
        } else if ((k = ra_ctl_escape(s, n, e)) != 0) {
            fputs(e, f);
        } else {
            fputc(*s, f);
            k = 1;
        }
        s += k;
        n -= k;
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
        const char *text = c->active ? c->active : "[]";
        join(&act, ra_json_parse(r->arena, text, strlen(text)), ", ");
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

/* The JSON report is a tree built in the report's arena, then printed. */
static void
key(struct ra_jtree *t, const char *k)
{
    ra_jtree_key(t, k, strlen(k));
}

static void
add_str(struct ra_jtree *t, const char *k, const char *s)
{
    key(t, k);
    if (s)
        ra_jtree_scalar(t, yajl_t_string, s, strlen(s));
    else
        ra_jtree_scalar(t, yajl_t_null, NULL, 0);
}

static void
add_int(struct ra_jtree *t, const char *k, int64_t v)
{
    char b[24];
    int n = snprintf(b, sizeof b, "%lld", (long long)v);
    key(t, k);
    ra_jtree_scalar(t, yajl_t_number, b, (size_t)n);
}

static void
add_ts(struct ra_jtree *t, const char *k, int64_t ms)
{
    char b[40];
    if (ms == RA_TS_MIN || ms == RA_TS_MAX) {
        add_str(t, k, NULL);
        return;
    }
    ra_format_ts(ms, b, sizeof b);
    add_str(t, k, b);
}

/* JSON text stored by relayaudit (params, a ban's active callers) as a
 * member; what does not parse as the expected type stays empty. */
static void
add_json(struct ra_jtree *t, const char *k, const char *text, yajl_type type)
{
    yajl_val v = text ? ra_json_parse(t->a, text, strlen(text)) : NULL;
    key(t, k);
    if (v && v->type == type) {
        ra_jtree_value(t, v);
    } else {
        ra_jtree_open(t, type);
        ra_jtree_close(t);
    }
}

static int
render_json(const struct ra_report *r, FILE *f)
{
    struct ra_jtree t = {.a = r->arena};
    struct ra_buf out = RA_BUF_INIT;
    int64_t sev[4], kind[4];

    counts(r, sev, kind);
    ra_jtree_open(&t, yajl_t_object);
    add_str(&t, "tool", "relayaudit");
    add_str(&t, "version", RA_VERSION);
    add_int(&t, "run_id", r->run_id);
    key(&t, "window");
    ra_jtree_open(&t, yajl_t_object);
    add_ts(&t, "since", r->since);
    add_ts(&t, "until", r->until);
    ra_jtree_close(&t);
    add_json(&t, "params", r->params, yajl_t_object);
    key(&t, "summary");
    ra_jtree_open(&t, yajl_t_object);
    add_int(&t, "gateway_events", r->gateway_events);
    add_int(&t, "proxy_events", r->proxy_events);
    add_int(&t, "linked", r->linked);
    add_int(&t, "rejected_lines", r->rejected_lines);
    add_int(&t, "bans", r->bans);
    add_int(&t, "bans_attributed", r->bans_attributed);
    key(&t, "findings");
    ra_jtree_open(&t, yajl_t_object);
    for (int k = 0; k < 4; k++)
        add_int(&t, kinds[k], kind[k]);
    ra_jtree_close(&t);
    key(&t, "severity");
    ra_jtree_open(&t, yajl_t_object);
    add_int(&t, "high", sev[3]);
    add_int(&t, "medium", sev[2]);
    add_int(&t, "low", sev[1]);
    ra_jtree_close(&t);
    ra_jtree_close(&t);
    key(&t, "findings");
    ra_jtree_open(&t, yajl_t_array);
    for (size_t i = 0; i < r->nfindings; i++) {
        const struct ra_finding *fi = &r->findings[i];
        yajl_val ev = fi->evidence;
        ra_jtree_open(&t, yajl_t_object);
        add_str(&t, "kind", fi->kind);
        add_str(&t, "severity", fi->severity);
        for (size_t k = 0; k < ra_json_len(ev); k++) {
            key(&t, ev->u.object.keys[k]);
            ra_jtree_value(&t, ev->u.object.values[k]);
        }
        ra_jtree_close(&t);
    }
    ra_jtree_close(&t);
    key(&t, "bans");
    ra_jtree_open(&t, yajl_t_array);
    for (size_t i = 0; i < r->nculprits; i++) {
        const struct ra_culprit *c = &r->culprits[i];
        ra_jtree_open(&t, yajl_t_object);
        add_str(&t, "account", c->account);
        add_str(&t, "class", c->cls);
        add_str(&t, "caller", c->caller);
        add_str(&t, "attribution", c->attribution);
        add_int(&t, "events", c->n);
        add_ts(&t, "first", c->first);
        add_ts(&t, "last", c->last);
        add_json(&t, "active", c->active, yajl_t_array);
        ra_jtree_close(&t);
    }
    ra_jtree_close(&t);
    ra_jtree_close(&t);

    int rc = ra_json_write_pretty(&out, t.root) ? RA_EIO : 0;
    if (rc == 0 && (fwrite(out.data, 1, out.len, f) != out.len ||
                    fputc('\n', f) == EOF))
        rc = RA_EIO;
    ra_buf_release(&out);
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
        struct ra_buf ev = RA_BUF_INIT;
        if (ra_json_write(&ev, fi->evidence) == 0)
            csv_field(f, ev.data);
        ra_buf_release(&ev);
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
