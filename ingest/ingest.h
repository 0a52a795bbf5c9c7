/* ingest.h -- from paths to rows: walks directories in rotation order,
 * recognises files already in the ledger, picks or checks the format, and
 * streams each file through reader -> parser -> normalizer -> writer.
 */
#ifndef RA_INGEST_H
#define RA_INGEST_H

#include "common/ra.h"
#include "ingest/fields.h"

struct ra_ingest_opts {
    const char *db_path;
    unsigned source;         /* RA_SRC_* or 0 for any */
    const char *format;      /* NULL or "auto": detect per file */
    const char *formats_dir; /* extra definitions (--formats-dir) */
    size_t max_line;
    int year;       /* --year, 0 = the file's mtime */
    const char *tz; /* --tz, NULL = UTC */
    /* --username-rule: opt-in username rules (usernames.rules) every proxy
     * format applies besides its own, comma-separated; NULL = none */
    const char *username_rules;
    /* Diagnostics (per-file summaries, rejects) go here; NULL = silent. */
    void (*note)(void *ctx, const char *msg);
    void *note_ctx;
    int progress; /* report progress while reading (stderr is a tty) */
};

struct ra_ingest_totals {
    int64_t files, skipped_files, records, rejected, skipped, failed;
};

/* Ingest every path. Returns 0 when every file was read to its end, RA_EIO
 * when at least one was not (the others were still ingested), RA_EUSAGE for
 * an option that cannot apply, RA_EDB / RA_ECONFIG for a fatal error. */
int ra_ingest_run(const struct ra_ingest_opts *o, char *const *paths,
                  size_t npaths, struct ra_ingest_totals *t,
                  struct ra_err *err);

/* The options' checks ra_ingest_run makes before it reads a file (zone,
 * formats, the format named for o->source, username rules), alone: 0, or
 * RA_EUSAGE / RA_ECONFIG with err set. */
int ra_ingest_options_ok(const struct ra_ingest_opts *o, struct ra_err *err);

/* Parse one line (or CSV record) with format f and describe the canonical
 * record it gives as "name = value" lines appended to out. For a CSV format
 * header is its header row (or NULL). Returns 0, or -1 with the reason
 * appended to out. */
struct ra_format;
int ra_ingest_preview(struct ra_format *f, const char *header,
                      const char *line, struct ra_buf *out,
                      struct ra_err *err);

/* `formats --check`: read path with format f and append its match rate
 * and first failing lines (redacted) to out. 0, or RA_EIO when the file
 * could not be read to its end (what was read is still reported). */
int ra_ingest_check(struct ra_format *f, const char *path, const char *tz,
                    int year, struct ra_buf *out, struct ra_err *err);

/* Parse --tz: "UTC", "+03:30", "-0500" or an IANA zone name. Fills the zone
 * part of tc (and sets TZ for IANA names). 0 or -1. */
struct ra_timectx;
int ra_tz_parse(const char *tz, struct ra_timectx *tc);

#endif
