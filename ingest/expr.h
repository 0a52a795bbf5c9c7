/* expr.h -- the field expression language of format definitions (private
 * to ingest/: format.c builds expressions, parser.c evaluates them). */
#ifndef RA_EXPR_H
#define RA_EXPR_H

#include "ingest/format.h"

enum ra_term_kind { RA_TERM_REF, RA_TERM_LIT };

struct ra_term {
    enum ra_term_kind kind;
    struct ra_ref *ref; /* RA_TERM_REF */
    char *lit;          /* RA_TERM_LIT */
    size_t litn;
};

enum ra_opcode {
    RA_OP_INT, RA_OP_NUM, RA_OP_TS, RA_OP_MS, RA_OP_MUL, RA_OP_DIV,
    RA_OP_MINUS, RA_OP_PLUS, RA_OP_MAP, RA_OP_ABSENT, RA_OP_URLDECODE,
    RA_OP_LOWER, RA_OP_UPPER, RA_OP_TRIM, RA_OP_HOST, RA_OP_PORT,
    RA_OP_FIRST, RA_OP_LAST, RA_OP_BEFORE, RA_OP_AFTER, RA_OP_CAT, RA_OP_RE,
    RA_OP_DUR, RA_OP_UNQUOTE,
};

struct ra_op {
    enum ra_opcode code;
    struct ra_term *args;
    size_t nargs;
    void *re; /* pcre2_code * for RA_OP_RE */
    double k;
};

struct ra_cond {
    struct ra_term lhs;
    int neg;
    char **vals; /* nvals == 0: true when lhs is present */
    size_t nvals;
};

struct ra_alt {
    struct ra_cond *when;
    struct ra_term base;
    struct ra_op *ops;
    size_t nops;
};

struct ra_expr {
    struct ra_alt *alts;
    size_t nalts;
    const struct ra_ref *plain; /* the whole of it is `$name`: read at once */
};

/* Compile src into an expression for f (refs are registered in f->refs).
 * Returns NULL with a message in err. */
struct ra_expr *ra_expr_parse(struct ra_format *f, const char *src,
                              struct ra_err *err);
struct ra_cond *ra_cond_parse(struct ra_format *f, const char *src,
                              struct ra_err *err);
void ra_expr_free(struct ra_expr *e);
void ra_cond_free(struct ra_cond *c);

#endif
