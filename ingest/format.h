/* format.h -- format definitions (schemas/formats/NAME.fmt) and the parser
 * that runs one of them over records.
 *
 * A definition names its source and engine (regex | csv | json), how to
 * recognise non-record lines, and for each canonical field an expression:
 *
 *     field ts     = $end | ts | minus $elapsed
 *     field caller = $metadata.user_api_key_alias || $user || $end_user
 *     field status = when $type = 5 then $other.status_code || when $type = 2 then 200
 *
 * `$path` reads a regex group, a CSV column or a JSON path; a path that goes
 * through a string holding JSON text parses it. The language is described
 * in docs/formats.md. Nothing about a particular format is written in C.
 */
#ifndef RA_FORMAT_H
#define RA_FORMAT_H

#include "common/ra.h"
#include "ingest/fields.h"

struct yajl_val_s;

enum ra_engine {
    RA_ENG_REGEX, RA_ENG_CSV, RA_ENG_JSON, RA_ENG_WORDS,
    RA_ENG_COUNT
};

enum ra_vtype { RA_V_ABSENT, RA_V_STR, RA_V_INT, RA_V_REAL, RA_V_JSON };

/* A value during evaluation. Strings are borrowed from the line, the
 * parser's scratch arena or a JSON node; all valid until the next record.
 * A JSON value (an object or an array) has its tree j, its text as the
 * line wrote it in s[0..n) (a JSON line's member), or both: s is NULL
 * when the text is unknown, j when the tree is not made (who needs one
 * parses s). */
struct ra_val {
    enum ra_vtype t;
    const char *s;
    size_t n;
    int64_t i;
    double d;
    const struct yajl_val_s *j;
};

/* A reference `$first.rest.of.path`, resolved by the engine: `slot` is a
 * regex group number or a CSV column (-1 when unknown). */
struct ra_ref {
    char *first;
    int slot;
    size_t idx; /* position in ra_format.refs */
    char **rest;
    size_t nrest;
};

struct ra_expr;
struct ra_cond;

struct ra_format {
    char *name, *describe, *path;
    enum ra_source source;
    enum ra_engine engine;
    int json_too;   /* `engine csv json`: a stream whose first record is a
                       JSON object is read with the JSON engine */
    int local_time; /* zone-less times are in --tz, not UTC */
    char **examples;
    size_t nexamples;
    char *regex;                 /* regex engine: the record pattern */
    void *re;                    /* pcre2_code * */
    size_t regex_bad;            /* where regex does not compile, for the
                                    loader to name its line and column */
    void **skips;                /* pcre2_code *: known non-record lines */
    size_t nskips;
    char **skip_src;
    char **columns;              /* csv: explicit columns (else header row);
                                    words: the words' names */
    size_t ncolumns;
    void *plan;                  /* words: how records are cut */
    struct ra_cond *filter;      /* rows that fail it are skipped */
    char *filter_src;
    struct ra_expr *field[RA_F_COUNT];
    char *field_src[RA_F_COUNT];
    int require[RA_F_COUNT];
    unsigned char live[RA_F_COUNT]; /* the fields with an expression
                                       (RA_F_COUNT < 256: fields.h) */
    unsigned char required[RA_F_COUNT]; /* those require names */
    int nlive, nrequired;
    char **urules; /* username rules this format opts into */
    size_t nurules;
    struct ra_ref **refs; /* every $ref, so engines can resolve slots */
    size_t nrefs;
    char **slot_names; /* json: the distinct top-level names refs read */
    size_t nslots;
};

/* Load every *.fmt file of dir into *list (appended; a later file of the
 * same name replaces an earlier one). Returns 0 or RA_ECONFIG with the file
 * and line in err. */
int ra_formats_load_dir(struct ra_format ***list, size_t *n, const char *dir,
                        struct ra_err *err) RA_WUR;
/* Load one definition from path. Caller owns; free with ra_format_free. */
struct ra_format *ra_format_load(const char *path, struct ra_err *err);
void ra_format_free(struct ra_format *f);
void ra_formats_free(struct ra_format **list, size_t n);

/* The built-in formats ($datadir/schemas/formats) plus those of extra_dir
 * (--formats-dir or $RELAYAUDIT_FORMATS_DIR), which may override them. */
int ra_formats_load_all(struct ra_format ***list, size_t *n,
                        const char *extra_dir, struct ra_err *err) RA_WUR;
struct ra_format *ra_formats_find(struct ra_format **list, size_t n,
                                  const char *name);
/* Opt f into the username rule named rule as its `usernames` line does. */
void ra_format_add_username_rule(struct ra_format *f, const char *rule);

/* Time context for timestamps that lack a year or a zone. */
struct ra_timectx {
    int year;        /* --year, or 0 */
    int mtime_year;  /* the file's mtime year (when --year is not given) */
    int ref_month;   /* 1..12: month of the file's mtime (year inference) */
    int tz_fixed;    /* 1: tz_offset_min applies; 0: tz_name (or UTC) */
    int tz_offset_min;
    const char *tz_name; /* IANA name, or NULL for UTC */
    int used_year;   /* set when a timestamp needed the year */
};

/* A parser: one format applied to one stream. */
struct ra_parser;

struct ra_parser *ra_parser_new(struct ra_format *f, struct ra_timectx *tc);
void ra_parser_free(struct ra_parser *p);

enum ra_parse_rc {
    RA_REC = 0,   /* a record: read fields with ra_parser_field */
    RA_REJECT,    /* does not fit: *reason says why */
    RA_SKIP,      /* a known non-record line (skip pattern, filter) */
    RA_HEADER,    /* a CSV header row: neither record nor skipped */
};

/* Parse one record (a line, or a CSV record with its quoted newlines).
 * *reason is a static string on RA_REJECT. */
enum ra_parse_rc ra_parser_parse(struct ra_parser *p, const char *rec,
                                 size_t len, const char **reason);
/* 1 when records of this stream are CSV (quoted newlines join lines).
 * For `engine csv json` the first non-blank line decides. */
int ra_parser_csv_framing(struct ra_parser *p, const char *line, size_t len);
/* Where a CSV record ends, by the grammar the CSV engine reads it with
 * (libcsv, strict): fed one line of a record (cont 0 for its first), says
 * whether the record ends with that line, goes on inside a quoted cell, or
 * is malformed there. Only where ra_parser_csv_framing said 1. */
enum ra_frame { RA_FRAME_END, RA_FRAME_MORE, RA_FRAME_BAD };
enum ra_frame ra_parser_csv_frame(struct ra_parser *p, const char *line,
                                  size_t len, int cont);
enum ra_frame ra_csv_frame(void *st, const char *line, size_t len, int cont);
/* Evaluate the canonical field f for the current record into *out.
 * Returns 0, or -1 with *reason when a value is malformed. */
int ra_parser_field(struct ra_parser *p, enum ra_field f, struct ra_val *out,
                    const char **reason);
/* Scratch memory valid until the next record. */
struct ra_arena *ra_parser_arena(struct ra_parser *p);

/* Timestamps (normalize.c): parse s[0..n) in any form of FORMATS.md (or with
 * the strptime-style fmt when not NULL) into UTC ms. 0 or -1. */
int ra_parse_ts(const char *s, size_t n, const char *fmt, int local,
                struct ra_timectx *tc, int64_t *ms);

/* Engine entry points (parse_regex.c, parse_csv.c, parse_json.c,
 * parse_words.c). */
struct ra_engine_ops {
    const char *name; /* as `engine` names it */
    int (*compile)(struct ra_format *f, struct ra_err *err);
    void *(*open)(struct ra_format *f);
    enum ra_parse_rc (*parse)(void *st, struct ra_format *f, const char *rec,
                              size_t len, const char **reason);
    /* The value of ref->first for the current record. */
    void (*get)(void *st, const struct ra_ref *ref, struct ra_val *out);
    void (*close)(void *st);
};
extern const struct ra_engine_ops ra_engine_regex, ra_engine_csv,
    ra_engine_json, ra_engine_words;
const struct ra_engine_ops *ra_engine_of(enum ra_engine e);
void ra_words_plan_free(void *plan);

/* Host and port of a URL ("scheme://user:pass@host:port/path"),
 * "host:port", "[v6]:port" or a bare host; *hs NULL for a path ("/v1").
 * *default_port is 443 / 80 for https / http URLs, else 0. */
void ra_split_hostport(const char *s, size_t n, const char **hs, size_t *hn,
                       const char **ps, size_t *pn, int *default_port);

/* Value helpers shared by the engines. s[0..n) as a value: absent when
 * empty or "-". */
static inline void
ra_val_str(struct ra_val *v, const char *s, size_t n)
{
    if (n == 0 || (n == 1 && s[0] == '-')) {
        v->t = RA_V_ABSENT;
        return;
    }
    v->t = RA_V_STR;
    v->s = s;
    v->n = n;
}
void ra_val_json(struct ra_val *v, const struct yajl_val_s *j);
/* A JSON number's text s[0..n) as a value, as ra_val_json gives the node
 * yajl would make of it. */
void ra_val_number(struct ra_val *v, const char *s, size_t n);

#endif
