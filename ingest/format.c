/* format.c -- loads format definitions from schemas/formats/NAME.fmt and
 * compiles their field expressions.
 *
 * A definition is a list of `key value` lines; `field NAME = EXPR` lines map
 * canonical fields (docs/formats.md). Every error names the file and line.
 */
#include "ingest/format.h"
#include "ingest/expr.h"

#include "ingest/regex.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct ra_field_info ra_field_info[RA_F_COUNT] = {
#define X(id, name, type, src) {name, type, src},
    RA_FIELD_LIST(X)
#undef X
};

int
ra_field_lookup(const char *name, size_t n)
{
    for (int i = 0; i < RA_F_COUNT; i++)
        if (strlen(ra_field_info[i].name) == n &&
            !memcmp(ra_field_info[i].name, name, n))
            return i;
    return -1;
}

const char *
ra_source_name(enum ra_source s)
{
    return s == RA_SRC_GATEWAY ? "gateway"
           : s == RA_SRC_PROXY ? "proxy"
                               : "map";
}

/* ---- expressions ------------------------------------------------------ */

struct lexer {
    const char *p;
    struct ra_format *f;
    struct ra_err *err;
};

enum tok { T_END, T_OR, T_PIPE, T_REF, T_STR, T_WORD };

static enum tok
lex(struct lexer *lx, char **text, size_t *len)
{
    const char *p = lx->p;
    while (*p == ' ' || *p == '\t')
        p++;
    if (!*p) {
        lx->p = p;
        return T_END;
    }
    if (p[0] == '|' && p[1] == '|') {
        lx->p = p + 2;
        return T_OR;
    }
    if (p[0] == '|') {
        lx->p = p + 1;
        return T_PIPE;
    }
    if (p[0] == '"') {
        struct ra_buf b = RA_BUF_INIT;
        p++;
        while (*p && *p != '"') {
            if (*p == '\\' && (p[1] == '"' || p[1] == '\\')) {
                /* \" and \\ are escapes; any other backslash is kept,
                 * so regex patterns read as written. */
                p++;
                ra_buf_addc(&b, *p);
            } else {
                ra_buf_addc(&b, *p);
            }
            p++;
        }
        if (*p != '"') {
            ra_buf_release(&b);
            ra_err_set(lx->err, RA_ECONFIG, "unterminated string");
            lx->p = p;
            return T_END;
        }
        ra_buf_add(&b, "", 0);
        lx->p = p + 1;
        *text = b.data;
        *len = b.len;
        return T_STR;
    }
    const char *s = p;
    while (*p && *p != ' ' && *p != '\t' && *p != '|')
        p++;
    lx->p = p;
    *text = xstrndup(s, (size_t)(p - s));
    *len = (size_t)(p - s);
    return s[0] == '$' ? T_REF : T_WORD;
}

static enum tok
peek(struct lexer *lx)
{
    const char *save = lx->p;
    char *t = NULL;
    size_t n;
    enum tok k = lex(lx, &t, &n);
    free(t);
    lx->p = save;
    return k;
}

static struct ra_ref *
make_ref(struct ra_format *f, const char *path)
{
    struct ra_ref *r = xcalloc(1, sizeof *r);
    const char *dot = strchr(path, '.');
    r->slot = -1;
    r->idx = f->nrefs;
    r->first = xstrndup(path, dot ? (size_t)(dot - path) : strlen(path));
    while (dot) {
        const char *s = dot + 1;
        dot = strchr(s, '.');
        r->rest = xrealloc(r->rest, (r->nrest + 1) * sizeof *r->rest);
        r->rest[r->nrest++] =
            xstrndup(s, dot ? (size_t)(dot - s) : strlen(s));
    }
    f->refs = xrealloc(f->refs, (f->nrefs + 1) * sizeof *f->refs);
    f->refs[f->nrefs++] = r;
    return r;
}

/* Turn a token into a term; takes ownership of text. */
static void
make_term(struct lexer *lx, enum tok k, char *text, size_t n,
          struct ra_term *t)
{
    memset(t, 0, sizeof *t);
    if (k == T_REF) {
        t->kind = RA_TERM_REF;
        t->ref = make_ref(lx->f, text + 1);
        free(text);
    } else {
        t->kind = RA_TERM_LIT;
        t->lit = text;
        t->litn = n;
    }
}

static void
term_release(struct ra_term *t)
{
    free(t->lit); /* refs belong to the format */
}

static const struct {
    const char *name;
    enum ra_opcode code;
    int min, max; /* argument counts; max -1 = any */
} op_table[] = {
    {"int", RA_OP_INT, 0, 0},         {"num", RA_OP_NUM, 0, 0},
    {"ts", RA_OP_TS, 0, 1},           {"ms", RA_OP_MS, 0, 0},
    {"mul", RA_OP_MUL, 1, 1},         {"div", RA_OP_DIV, 1, 1},
    {"minus", RA_OP_MINUS, 1, 2},     {"plus", RA_OP_PLUS, 1, 2},
    {"map", RA_OP_MAP, 1, -1},        {"absent", RA_OP_ABSENT, 1, -1},
    {"urldecode", RA_OP_URLDECODE, 0, 0}, {"lower", RA_OP_LOWER, 0, 0},
    {"upper", RA_OP_UPPER, 0, 0},     {"trim", RA_OP_TRIM, 0, 0},
    {"host", RA_OP_HOST, 0, 0},       {"port", RA_OP_PORT, 0, 0},
    {"first", RA_OP_FIRST, 0, 1},     {"last", RA_OP_LAST, 0, 1},
    {"before", RA_OP_BEFORE, 1, 1},   {"after", RA_OP_AFTER, 1, 1},
    {"cat", RA_OP_CAT, 1, -1},        {"re", RA_OP_RE, 1, 1},
    {"dur", RA_OP_DUR, 0, 0},         {"unquote", RA_OP_UNQUOTE, 0, 0},
};

static void
op_release(struct ra_op *op)
{
    for (size_t i = 0; i < op->nargs; i++)
        term_release(&op->args[i]);
    free(op->args);
    pcre2_code_free(op->re);
}

static int
parse_op(struct lexer *lx, struct ra_op *op)
{
    char *name = NULL;
    size_t n;
    enum tok k = lex(lx, &name, &n);
    size_t i;

    memset(op, 0, sizeof *op);
    if (k != T_WORD) {
        free(name);
        return ra_err_set(lx->err, RA_ECONFIG, "expected an operation after "
                                               "'|'");
    }
    for (i = 0; i < sizeof op_table / sizeof op_table[0]; i++)
        if (!strcmp(op_table[i].name, name))
            break;
    if (i == sizeof op_table / sizeof op_table[0]) {
        ra_err_set(lx->err, RA_ECONFIG, "unknown operation '%s'", name);
        free(name);
        return RA_ECONFIG;
    }
    op->code = op_table[i].code;
    for (;;) {
        k = peek(lx);
        if (k == T_END || k == T_OR || k == T_PIPE)
            break;
        char *t = NULL;
        k = lex(lx, &t, &n);
        op->args = xrealloc(op->args, (op->nargs + 1) * sizeof *op->args);
        make_term(lx, k, t, n, &op->args[op->nargs++]);
    }
    if ((int)op->nargs < op_table[i].min ||
        (op_table[i].max >= 0 && (int)op->nargs > op_table[i].max)) {
        ra_err_set(lx->err, RA_ECONFIG, "wrong number of arguments to '%s'",
                   name);
        free(name);
        return RA_ECONFIG;
    }
    free(name);
    if ((op->code == RA_OP_MUL || op->code == RA_OP_DIV) &&
        (op->args[0].kind != RA_TERM_LIT ||
         ra_parse_f64(op->args[0].lit, op->args[0].litn, &op->k) != 0 ||
         op->k == 0))
        return ra_err_set(lx->err, RA_ECONFIG, "'mul' and 'div' take a "
                                               "non-zero number");
    if ((op->code == RA_OP_MINUS || op->code == RA_OP_PLUS)) {
        op->k = 1;
        if (op->nargs == 2 &&
            (op->args[1].kind != RA_TERM_LIT ||
             ra_parse_f64(op->args[1].lit, op->args[1].litn, &op->k) != 0))
            return ra_err_set(lx->err, RA_ECONFIG, "'minus' and 'plus' take "
                                                   "a field and a number");
    }
    if (op->code == RA_OP_RE) {
        if (op->args[0].kind != RA_TERM_LIT)
            return ra_err_set(lx->err, RA_ECONFIG, "'re' takes a pattern");
        op->re = ra_re_compile(op->args[0].lit, op->args[0].litn, lx->err);
        if (!op->re)
            return RA_ECONFIG;
    }
    return 0;
}

static struct ra_cond *
parse_cond(struct lexer *lx)
{
    char *t = NULL;
    size_t n;
    enum tok k = lex(lx, &t, &n);
    struct ra_cond *c;

    if (k != T_REF) {
        free(t);
        ra_err_set(lx->err, RA_ECONFIG, "a condition starts with a $field");
        return NULL;
    }
    c = xcalloc(1, sizeof *c);
    make_term(lx, k, t, n, &c->lhs);
    k = peek(lx);
    if (k != T_WORD)
        return c;
    const char *save = lx->p;
    k = lex(lx, &t, &n);
    if (strcmp(t, "=") && strcmp(t, "!=")) {
        free(t);
        lx->p = save; /* e.g. 'then' */
        return c;
    }
    c->neg = t[0] == '!';
    free(t);
    k = lex(lx, &t, &n);
    if (k != T_WORD && k != T_STR) {
        free(t);
        ra_cond_free(c);
        ra_err_set(lx->err, RA_ECONFIG, "expected values after '='");
        return NULL;
    }
    /* Values are comma-separated: `$type = 2,5`. */
    char *s = t;
    for (;;) {
        char *comma = k == T_WORD ? strchr(s, ',') : NULL;
        size_t l = comma ? (size_t)(comma - s) : strlen(s);
        c->vals = xrealloc(c->vals, (c->nvals + 1) * sizeof *c->vals);
        c->vals[c->nvals++] = xstrndup(s, l);
        if (!comma)
            break;
        s = comma + 1;
    }
    free(t);
    return c;
}

void
ra_cond_free(struct ra_cond *c)
{
    if (!c)
        return;
    term_release(&c->lhs);
    for (size_t i = 0; i < c->nvals; i++)
        free(c->vals[i]);
    free(c->vals);
    free(c);
}

struct ra_cond *
ra_cond_parse(struct ra_format *f, const char *src, struct ra_err *err)
{
    struct lexer lx = {src, f, err};
    struct ra_cond *c = parse_cond(&lx);
    if (c && peek(&lx) != T_END) {
        ra_cond_free(c);
        ra_err_set(err, RA_ECONFIG, "unexpected text after the condition");
        return NULL;
    }
    return c;
}

static int
parse_alt(struct lexer *lx, struct ra_alt *a)
{
    char *t = NULL;
    size_t n;
    enum tok k;

    memset(a, 0, sizeof *a);
    k = lex(lx, &t, &n);
    if (k == T_WORD && !strcmp(t, "when")) {
        free(t);
        a->when = parse_cond(lx);
        if (!a->when)
            return RA_ECONFIG;
        k = lex(lx, &t, &n);
        if (k != T_WORD || strcmp(t, "then")) {
            free(t);
            return ra_err_set(lx->err, RA_ECONFIG, "expected 'then'");
        }
        free(t);
        k = lex(lx, &t, &n);
    }
    if (k != T_REF && k != T_STR && k != T_WORD) {
        free(t);
        if (!lx->err->code)
            ra_err_set(lx->err, RA_ECONFIG, "expected a $field or a value");
        return RA_ECONFIG;
    }
    make_term(lx, k, t, n, &a->base);
    while (peek(lx) == T_PIPE) {
        lex(lx, &t, &n);
        a->ops = xrealloc(a->ops, (a->nops + 1) * sizeof *a->ops);
        int rc = parse_op(lx, &a->ops[a->nops]);
        a->nops++;
        if (rc)
            return rc;
    }
    return 0;
}

static void
alt_release(struct ra_alt *a)
{
    ra_cond_free(a->when);
    term_release(&a->base);
    for (size_t i = 0; i < a->nops; i++)
        op_release(&a->ops[i]);
    free(a->ops);
}

void
ra_expr_free(struct ra_expr *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->nalts; i++)
        alt_release(&e->alts[i]);
    free(e->alts);
    free(e);
}

struct ra_expr *
ra_expr_parse(struct ra_format *f, const char *src, struct ra_err *err)
{
    struct lexer lx = {src, f, err};
    struct ra_expr *e = xcalloc(1, sizeof *e);

    err->code = 0;
    for (;;) {
        e->alts = xrealloc(e->alts, (e->nalts + 1) * sizeof *e->alts);
        int rc = parse_alt(&lx, &e->alts[e->nalts]);
        e->nalts++;
        if (rc)
            goto fail;
        enum tok k = peek(&lx);
        if (k == T_END)
            break;
        char *t = NULL;
        size_t n;
        k = lex(&lx, &t, &n);
        free(t);
        if (k != T_OR) {
            ra_err_set(err, RA_ECONFIG, "expected '|' or '||'");
            goto fail;
        }
    }
    const struct ra_alt *a = &e->alts[0];
    if (e->nalts == 1 && !a->when && !a->nops && a->base.kind == RA_TERM_REF &&
        !a->base.ref->nrest)
        e->plain = a->base.ref;
    return e;

fail:
    ra_expr_free(e);
    return NULL;
}

/* ---- definition files -------------------------------------------------- */

static void
push_str(char ***v, size_t *n, const char *s)
{
    *v = xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = xstrdup(s);
}

/* One `key value` line of a definition. */
static int
apply_line(struct ra_format *f, char *key, char *val, struct ra_err *err)
{
    if (!strcmp(key, "name")) {
        free(f->name);
        f->name = xstrdup(val);
    } else if (!strcmp(key, "describe")) {
        free(f->describe);
        f->describe = xstrdup(val);
    } else if (!strcmp(key, "source")) {
        if (!strcmp(val, "gateway"))
            f->source = RA_SRC_GATEWAY;
        else if (!strcmp(val, "proxy"))
            f->source = RA_SRC_PROXY;
        else if (!strcmp(val, "map"))
            f->source = RA_SRC_MAP;
        else
            return ra_err_set(err, RA_ECONFIG, "unknown source '%s'", val);
    } else if (!strcmp(key, "engine")) {
        int e = RA_ENG_COUNT;
        f->json_too = !strcmp(val, "csv json");
        if (f->json_too)
            e = RA_ENG_CSV;
        else
            for (e = 0; e < RA_ENG_COUNT; e++)
                if (!strcmp(val, ra_engine_of((enum ra_engine)e)->name))
                    break;
        if (e == RA_ENG_COUNT)
            return ra_err_set(err, RA_ECONFIG, "unknown engine '%s' (regex, "
                                               "words, csv, json or 'csv "
                                               "json')",
                              val);
        f->engine = (enum ra_engine)e;
    } else if (!strcmp(key, "example")) {
        push_str(&f->examples, &f->nexamples, val);
    } else if (!strcmp(key, "regex")) {
        size_t a = f->regex ? strlen(f->regex) : 0, b = strlen(val);
        f->regex = xrealloc(f->regex, a + b + 1);
        memcpy(f->regex + a, val, b + 1);
    } else if (!strcmp(key, "skip")) {
        void *re = ra_re_compile(val, RA_RE_NUL, err);
        if (!re)
            return RA_ECONFIG;
        f->skips = xrealloc(f->skips, (f->nskips + 1) * sizeof *f->skips);
        f->skips[f->nskips] = re;
        size_t dummy = f->nskips;
        push_str(&f->skip_src, &dummy, val);
        f->nskips++;
    } else if (!strcmp(key, "columns")) {
        for (char *s = val; s;) {
            char *c = strchr(s, ',');
            if (c)
                *c = '\0';
            push_str(&f->columns, &f->ncolumns, s);
            s = c ? c + 1 : NULL;
        }
    } else if (!strcmp(key, "filter")) {
        ra_cond_free(f->filter);
        free(f->filter_src);
        f->filter_src = xstrdup(val);
        f->filter = ra_cond_parse(f, val, err);
        if (!f->filter)
            return RA_ECONFIG;
    } else if (!strcmp(key, "require")) {
        for (char *s = strtok(val, " \t,"); s; s = strtok(NULL, " \t,")) {
            int id = ra_field_lookup(s, strlen(s));
            if (id < 0)
                return ra_err_set(err, RA_ECONFIG, "unknown field '%s'", s);
            f->require[id] = 1;
        }
    } else if (!strcmp(key, "usernames")) {
        for (char *s = strtok(val, " \t,"); s; s = strtok(NULL, " \t,"))
            push_str(&f->urules, &f->nurules, s);
    } else if (!strcmp(key, "time")) {
        if (strcmp(val, "local") && strcmp(val, "utc"))
            return ra_err_set(err, RA_ECONFIG, "time is 'local' or 'utc'");
        f->local_time = !strcmp(val, "local");
    } else if (!strcmp(key, "field")) {
        char *eq = strchr(val, '=');
        if (!eq)
            return ra_err_set(err, RA_ECONFIG, "expected 'field NAME = EXPR'");
        char *end = eq;
        while (end > val && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        int id = ra_field_lookup(val, (size_t)(end - val));
        if (id < 0) {
            *end = '\0';
            return ra_err_set(err, RA_ECONFIG, "unknown field '%s'", val);
        }
        const char *src = eq + 1;
        while (*src == ' ' || *src == '\t')
            src++;
        ra_expr_free(f->field[id]);
        free(f->field_src[id]);
        f->field_src[id] = xstrdup(src);
        f->field[id] = ra_expr_parse(f, src, err);
        if (!f->field[id])
            return RA_ECONFIG;
    } else {
        return ra_err_set(err, RA_ECONFIG, "unknown key '%s'", key);
    }
    return 0;
}

const struct ra_engine_ops *
ra_engine_of(enum ra_engine e)
{
    static const struct ra_engine_ops *const ops[] = {
        [RA_ENG_REGEX] = &ra_engine_regex,
        [RA_ENG_CSV] = &ra_engine_csv,
        [RA_ENG_JSON] = &ra_engine_json,
        [RA_ENG_WORDS] = &ra_engine_words,
    };
    return ops[e];
}

struct load {
    struct ra_format *f;
    struct ra_err *err;
    const char *path;
    int have_source, have_engine;
    struct ra_buf regex_lines; /* struct piece: where each `regex` line is */
};

struct piece {
    int line;
    size_t start; /* in f->regex */
};

static int
load_line(void *ctx, int lineno, char *k, char *v)
{
    struct load *ld = ctx;
    if (strcmp(k, "example")) /* an example line is kept byte for byte */
        ra_rtrim(v);
    ld->have_source |= !strcmp(k, "source");
    ld->have_engine |= !strcmp(k, "engine");
    if (!strcmp(k, "regex")) {
        struct piece pc = {lineno, ld->f->regex ? strlen(ld->f->regex) : 0};
        ra_buf_add(&ld->regex_lines, &pc, sizeof pc);
    }
    if (apply_line(ld->f, k, v, ld->err) != 0) {
        char msg[sizeof ld->err->msg];
        snprintf(msg, sizeof msg, "%s", ld->err->msg);
        ra_err_set(ld->err, RA_ECONFIG, "%s:%d: %s", ld->path, lineno, msg);
        return RA_ECONFIG;
    }
    return 0;
}

struct ra_format *
ra_format_load(const char *path, struct ra_err *err)
{
    size_t len;
    char *text = ra_read_small_file(path, &len, err);
    struct ra_format *f;

    if (!text)
        return NULL;
    f = xcalloc(1, sizeof *f);
    f->path = xstrdup(path);
    struct load ld = {f, err, path, 0, 0, RA_BUF_INIT};
    if (ra_config_lines(text, load_line, &ld))
        goto fail;
    int have_source = ld.have_source, have_engine = ld.have_engine;
    if (!f->name || !have_source || !have_engine) {
        ra_err_set(err, RA_ECONFIG, "%s: a definition needs name, source "
                                    "and engine",
                   path);
        goto fail;
    }
    if (f->engine == RA_ENG_REGEX && !f->regex) {
        ra_err_set(err, RA_ECONFIG, "%s: a regex format needs 'regex'", path);
        goto fail;
    }
    for (int i = 0; i < RA_F_COUNT; i++) {
        if (f->field[i] && !(ra_field_info[i].sources & f->source)) {
            ra_err_set(err, RA_ECONFIG, "%s: field '%s' is not a %s field",
                       path, ra_field_info[i].name,
                       ra_source_name(f->source));
            goto fail;
        }
        if (f->field[i])
            f->live[f->nlive++] = (unsigned char)i;
        if (f->require[i])
            f->required[f->nrequired++] = (unsigned char)i;
    }
    if (ra_engine_of(f->engine)->compile(f, err) != 0 ||
        (f->json_too && ra_engine_json.compile(f, err) != 0)) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        if (f->engine == RA_ENG_REGEX && !f->re) {
            /* The pattern is its `regex` lines joined: name the line. */
            const struct piece *pc = (const void *)ld.regex_lines.data;
            size_t i = ld.regex_lines.len / sizeof *pc;
            while (--i > 0 && pc[i].start > f->regex_bad)
                ;
            ra_err_set(err, RA_ECONFIG, "%s:%d: bad pattern, at character "
                                        "%zu of this line's regex: %s",
                       path, pc[i].line, f->regex_bad - pc[i].start + 1, msg);
        } else {
            ra_err_set(err, RA_ECONFIG, "%s: %s", path, msg);
        }
        goto fail;
    }
    ra_buf_release(&ld.regex_lines);
    free(text);
    return f;

fail:
    ra_buf_release(&ld.regex_lines);
    free(text);
    ra_format_free(f);
    return NULL;
}

void
ra_format_free(struct ra_format *f)
{
    if (!f)
        return;
    free(f->name);
    free(f->describe);
    free(f->path);
    for (size_t i = 0; i < f->nexamples; i++)
        free(f->examples[i]);
    free(f->examples);
    free(f->regex);
    pcre2_code_free(f->re);
    for (size_t i = 0; i < f->nskips; i++) {
        pcre2_code_free(f->skips[i]);
        free(f->skip_src[i]);
    }
    free(f->skips);
    free(f->skip_src);
    for (size_t i = 0; i < f->ncolumns; i++)
        free(f->columns[i]);
    free(f->columns);
    ra_words_plan_free(f->plan);
    ra_cond_free(f->filter);
    free(f->filter_src);
    for (int i = 0; i < RA_F_COUNT; i++) {
        ra_expr_free(f->field[i]);
        free(f->field_src[i]);
    }
    for (size_t i = 0; i < f->nurules; i++)
        free(f->urules[i]);
    free(f->urules);
    for (size_t i = 0; i < f->nrefs; i++) {
        struct ra_ref *r = f->refs[i];
        free(r->first);
        for (size_t j = 0; j < r->nrest; j++)
            free(r->rest[j]);
        free(r->rest);
        free(r);
    }
    free(f->refs);
    for (size_t i = 0; i < f->nslots; i++)
        free(f->slot_names[i]);
    free(f->slot_names);
    free(f);
}

void
ra_formats_free(struct ra_format **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ra_format_free(list[i]);
    free(list);
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int
ra_formats_load_dir(struct ra_format ***list, size_t *n, const char *dir,
                    struct ra_err *err)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t nn = 0;
    int rc = 0;

    if (!d)
        return ra_err_set(err, RA_ECONFIG, "cannot open formats directory "
                                           "'%s'",
                          dir);
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (e->d_name[0] != '.' && l > 4 && !strcmp(e->d_name + l - 4, ".fmt"))
            push_str(&names, &nn, e->d_name);
    }
    closedir(d);
    if (nn)
        qsort(names, nn, sizeof *names, cmp_str);
    for (size_t i = 0; i < nn && rc == 0; i++) {
        struct ra_buf p = RA_BUF_INIT;
        ra_buf_addf(&p, "%s/%s", dir, names[i]);
        struct ra_format *f = ra_format_load(p.data, err);
        ra_buf_release(&p);
        if (!f) {
            rc = RA_ECONFIG;
            break;
        }
        size_t j;
        for (j = 0; j < *n; j++)
            if (!strcmp((*list)[j]->name, f->name))
                break;
        if (j < *n) {
            ra_format_free((*list)[j]);
            (*list)[j] = f;
        } else {
            *list = xrealloc(*list, (*n + 1) * sizeof **list);
            (*list)[(*n)++] = f;
        }
    }
    for (size_t i = 0; i < nn; i++)
        free(names[i]);
    free(names);
    return rc;
}

int
ra_formats_load_all(struct ra_format ***list, size_t *n,
                    const char *extra_dir, struct ra_err *err)
{
    struct ra_buf p = RA_BUF_INIT;
    int rc;

    ra_buf_addf(&p, "%s/schemas/formats", ra_datadir());
    rc = ra_formats_load_dir(list, n, p.data, err);
    ra_buf_release(&p);
    if (rc == 0 && !extra_dir)
        extra_dir = getenv("RELAYAUDIT_FORMATS_DIR");
    if (rc == 0 && extra_dir && *extra_dir)
        rc = ra_formats_load_dir(list, n, extra_dir, err);
    if (rc) { /* nothing is left to the caller but the error */
        ra_formats_free(*list, *n);
        *list = NULL;
        *n = 0;
    }
    return rc;
}

void
ra_format_add_username_rule(struct ra_format *f, const char *rule)
{
    for (size_t i = 0; i < f->nurules; i++)
        if (!strcmp(f->urules[i], rule))
            return;
    push_str(&f->urules, &f->nurules, rule);
}

struct ra_format *
ra_formats_find(struct ra_format **list, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(list[i]->name, name))
            return list[i];
    return NULL;
}
