/* join.h -- gateway <-> proxy links (join.c). */
#ifndef RA_JOIN_H
#define RA_JOIN_H

#include "analyze/analyze.h"

/* The proxy events' stream of the session pass, spilled by session group
 * on another connection to the same data, for ra_join to read. ready,
 * called once the join needs it, waits until spill is set (0), or returns
 * the error that kept it from being set. */
struct ra_spill;
struct ra_link_stream {
    struct ra_spill *spill;
    int (*ready)(void *ctx, struct ra_err *err);
    void *ctx;
};

/* Spill the proxy stream of db (a second connection, inside a read
 * transaction that sees what the join's connection sees) into out. */
int ra_link_proxy_stream(struct sqlite3 *db, struct ra_link_stream *out,
                         struct ra_err *err) RA_WUR;

/* Replace the links (link_rows) by the matching of DESIGN.md over all
 * events, inside the caller's transaction: made, request ids first, then
 * sessions, when one INSERT first reads them, and stored in proxy id
 * order; then the gateway side's unique index.
 * Sets *nlinks. With pre, the proxy stream is pre's: the gateway stream is
 * spilled while it is made elsewhere, then pre->ready is called and the
 * spill taken (and freed here, whatever happens); until then pre->spill
 * stays the caller's. Without pre, it is spilled here. */
int ra_join(struct sqlite3 *db, int64_t tolerance, int64_t *nlinks,
            struct ra_link_stream *pre, struct ra_err *err) RA_WUR;

#endif
