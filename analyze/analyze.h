/* analyze.h -- joins, ban classification and attribution, and the four
 * detectors, run as SQL (analyze/sql/NAME.sql) over the canonical tables.
 */
#ifndef RA_ANALYZE_H
#define RA_ANALYZE_H

#include "common/ra.h"

struct sqlite3;
struct sqlite3_stmt;

#define RA_TS_MIN (-9223372036854775807LL)
#define RA_TS_MAX 9223372036854775807LL

/* Thresholds, in milliseconds (DESIGN.md defaults via ra_params_init). */
struct ra_params {
    int64_t since, until; /* RA_TS_MIN / RA_TS_MAX when open */
    int64_t window, lookback, join_tolerance, session_ttl, sticky_window;
    int64_t max_callers;
    int progress; /* show each step on stderr (a terminal); not a parameter
                     of the analysis: not in runs.params */
};

void ra_params_init(struct ra_params *p);
/* The parameters as a JSON object (runs.params, the report). */
void ra_params_json(const struct ra_params *p, struct ra_buf *out);

#define RA_NSTEPS 13

struct ra_analysis {
    int64_t run_id;
    int64_t links, bans, findings;
    /* Seconds per step, for `make bench` and RELAYAUDIT_TIMINGS; each
     * step's by its own clock (some run beside the links). */
    double t_indexes, t_steps[RA_NSTEPS], t_commit;
};

/* The name of step i after the index builds (analyze/sql/NAME.sql, or
 * `links`: analyze/join.c), in the order their findings are numbered. */
const char *ra_step_name(int i);

/* Recompute the links and run every detector over p's window, replacing
 * the findings of an earlier run over exactly the same window, all in one
 * transaction (the steps that need no links run meanwhile on a second
 * thread when there is a second core). Returns 0, or RA_EDB / RA_ECONFIG
 * with err filled (nothing is changed then). */
int ra_analyze(struct sqlite3 *db, const struct ra_params *p,
               struct ra_analysis *out, struct ra_err *err) RA_WUR;

/* A named parameter for ra_sql_run. */
struct ra_sqlparam {
    const char *name; /* with its ':' */
    int64_t value;
};

/* Run every statement of $datadir/analyze/sql/<name>.sql, binding the named
 * parameters it uses. When row is not NULL it is called for each result row
 * with the statement's index; a non-zero return stops with that code. */
int ra_sql_run(struct sqlite3 *db, const char *name,
               const struct ra_sqlparam *params, size_t nparams,
               int (*row)(void *ctx, int stmt, struct sqlite3_stmt *st),
               void *ctx, struct ra_err *err) RA_WUR;
/* The cores that an analysis's own threads leave idle, as they start,
 * wait and end (-1: none is under way, the connections' own limits
 * hold). Each statement that ra_sql_run starts may give its sorts that
 * many helper threads, up to 4: helpers pay on a core left idle, and on 2
 * cores with both threads at work they cost the 5 M + 5 M analysis 2 s
 * more CPU (four threads taking turns on two cores; bench/RESULTS.md). */
void ra_sql_idle_cores(int n);
void ra_sql_idle_change(int delta);

/* Whether st's first column is named group_into; if so, run it with
 * ra_group_into, as analyze/group.c says: its rows grouped in memory, at
 * most cap groups at a time, into the temp tables those columns name. */
#define RA_GROUP_CAP 65536
int ra_group_stmt(struct sqlite3_stmt *st);
int ra_group_into(struct sqlite3 *db, struct sqlite3_stmt *st, size_t cap,
                  struct ra_err *err) RA_WUR;

/* ra_switches(query, nord, rows) on db (analyze/switches.c): 0 or
 * RA_EDB. */
int ra_switches_register(struct sqlite3 *db);

/* The one statement of analyze/sql/NAME.sql, prepared on db (parameters
 * left to the caller). */
int ra_sql_prepare(struct sqlite3 *db, const char *name,
                   struct sqlite3_stmt **st, struct ra_err *err) RA_WUR;

#endif
