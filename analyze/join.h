/* join.h -- gateway <-> proxy links (join.c). */
#ifndef RA_JOIN_H
#define RA_JOIN_H

#include "analyze/analyze.h"

/* Replace the links table by the matching of DESIGN.md over all events.
 * Inside the caller's transaction. Sets *nlinks. */
int ra_join(struct sqlite3 *db, int64_t tolerance, int64_t *nlinks,
            struct ra_err *err) RA_WUR;

#endif
