/* rules.h -- classification rules and identity headers as temp tables. */
#ifndef RA_RULES_H
#define RA_RULES_H

#include "common/ra.h"
#include "ingest/normalize.h"

#include "ingest/regex.h"

struct sqlite3;

/* schemas/classify.rules into temp.ra_rules. 0 or RA_ECONFIG/RA_EDB. */
int ra_rules_load(struct sqlite3 *db, struct ra_err *err) RA_WUR;
/* headers.conf `identity` into temp.ra_identity (GLOB patterns). */
int ra_identity_load(struct sqlite3 *db, struct ra_err *err) RA_WUR;

#endif
