/* normalize.h -- turns parsed field values into canonical ones: timestamps
 * to UTC ms, caller keys to hashes, headers to fingerprints, proxy
 * usernames to sessions and countries, and secrets out of every text.
 *
 * The rules are data (schemas/redact.rules, schemas/headers.conf,
 * schemas/usernames.rules), loaded once into a struct ra_norm.
 */
#ifndef RA_NORMALIZE_H
#define RA_NORMALIZE_H

#include "ingest/format.h"

struct ra_norm;

/* Load the rules from $datadir/schemas. NULL with err on failure. */
struct ra_norm *ra_norm_load(struct ra_err *err);
void ra_norm_free(struct ra_norm *n);
/* Frees the calling thread's match data (each thread that normalized). */
void ra_norm_thread_done(void);

/* Replace secrets in s[0..len) by "[redacted]". Returns s itself when it
 * holds none (no copy), else a copy in arena; *outlen is set. */
const char *ra_redact(struct ra_norm *n, struct ra_arena *a, const char *s,
                      size_t len, size_t *outlen);

/* Headers as an ordered JSON object, an array of [name, value] pairs, or
 * JSON text of either. Writes the stored form (JSON array of pairs, only
 * variant values, credentials never) to *json (arena) and the 16-hex
 * fingerprint to fp. *ua is the user-agent value when present (else NULL).
 * Returns 0, or -1 when v is not headers. */
int ra_headers_normalize(struct ra_norm *n, struct ra_arena *a,
                         const struct ra_val *v, const char **json,
                         size_t *jlen, char fp[17], const char **ua,
                         size_t *ualen);

/* The fingerprint of an already-split header list (for tests and tools):
 * names[i] (any case) with values[i] (NULL when not logged). */
void ra_headers_fingerprint(struct ra_norm *n, const char *const *names,
                            const char *const *values, size_t count,
                            char fp[17]);

/* 1 when usernames.rules has a rule of that name; names gets them all,
 * comma-separated, for a message. */
int ra_username_rule_known(const struct ra_norm *n, const char *name,
                           struct ra_buf *names);
/* Username rules: session and country of a proxy username. rules/nrules
 * are the opt-in rules a format names (the prefixed ones always apply).
 * Outputs point into user or into arena; NULL when absent. */
void ra_username_parse(struct ra_norm *n, struct ra_arena *a,
                       const char *user, size_t len, char *const *rules,
                       size_t nrules, const char **session, size_t *slen,
                       const char **country, size_t *clen,
                       const char **rule_name);

/* The identity header names (headers.conf `identity`), for the analysis. */
size_t ra_norm_identity_headers(struct ra_norm *n, const char *const **out);

#endif
