/* fields.h -- the canonical fields of DESIGN.md, in one table.
 *
 * This table is the database contract, not a format: every format maps its
 * own fields onto these names, and the writer stores them under the same
 * names. X(ID, "name", type, sources)
 */
#ifndef RA_FIELDS_H
#define RA_FIELDS_H

enum ra_source { RA_SRC_GATEWAY = 1, RA_SRC_PROXY = 2, RA_SRC_MAP = 4 };

enum ra_ftype {
    RA_T_TEXT,  /* stored as text, secrets redacted */
    RA_T_INT,   /* integer */
    RA_T_REAL,  /* floating point */
    RA_T_TS,    /* UTC milliseconds */
    RA_T_KEY,   /* caller_key: sha256 hex of the raw key */
    RA_T_HDRS,  /* headers: JSON object or [[name,value],...] */
    RA_T_LOWER, /* text stored lower-case (country, host) */
    RA_T_MSG,   /* text cut to 512 bytes after redaction */
};

#define RA_G RA_SRC_GATEWAY
#define RA_P RA_SRC_PROXY
#define RA_M RA_SRC_MAP
#define RA_FIELD_LIST(X)                                                     \
    X(TS, "ts", RA_T_TS, RA_G | RA_P)                                        \
    X(REQUEST_ID, "request_id", RA_T_TEXT, RA_G | RA_P)                      \
    X(CALLER, "caller", RA_T_TEXT, RA_G | RA_M)                              \
    X(CALLER_KEY, "caller_key", RA_T_KEY, RA_G)                              \
    X(TEAM, "team", RA_T_TEXT, RA_G)                                         \
    X(SESSION, "session", RA_T_TEXT, RA_G)                                   \
    X(PROVIDER, "provider", RA_T_LOWER, RA_G)                                \
    X(ACCOUNT, "account", RA_T_TEXT, RA_G | RA_M)                            \
    X(EGRESS_SESSION, "egress_session", RA_T_TEXT, RA_G | RA_P | RA_M)       \
    X(MODEL, "model", RA_T_TEXT, RA_G)                                       \
    X(ROUTE, "route", RA_T_TEXT, RA_G)                                       \
    X(STATUS, "status", RA_T_INT, RA_G | RA_P)                               \
    X(ERROR_CODE, "error_code", RA_T_TEXT, RA_G)                             \
    X(ERROR_MESSAGE, "error_message", RA_T_MSG, RA_G)                        \
    X(LATENCY_MS, "latency_ms", RA_T_INT, RA_G)                              \
    X(TOKENS_IN, "tokens_in", RA_T_INT, RA_G)                                \
    X(TOKENS_OUT, "tokens_out", RA_T_INT, RA_G)                              \
    X(COST, "cost", RA_T_REAL, RA_G)                                         \
    X(CLIENT_IP, "client_ip", RA_T_TEXT, RA_G | RA_P)                        \
    X(USER_AGENT, "user_agent", RA_T_TEXT, RA_G)                             \
    X(HEADERS_IN, "headers_in", RA_T_HDRS, RA_G)                             \
    X(HEADERS_OUT, "headers_out", RA_T_HDRS, RA_G)                           \
    X(EGRESS_IP, "egress_ip", RA_T_TEXT, RA_G | RA_P)                        \
    X(PROXY_USER, "proxy_user", RA_T_TEXT, RA_P)                             \
    X(COUNTRY, "country", RA_T_LOWER, RA_P | RA_M)                           \
    X(UPSTREAM_ADDR, "upstream_addr", RA_T_TEXT, RA_P)                       \
    X(METHOD, "method", RA_T_TEXT, RA_P)                                     \
    X(DEST_HOST, "dest_host", RA_T_LOWER, RA_P)                              \
    X(DEST_PORT, "dest_port", RA_T_INT, RA_P)                                \
    X(URL, "url", RA_T_TEXT, RA_P)                                           \
    X(RESULT, "result", RA_T_TEXT, RA_P)                                     \
    X(BYTES, "bytes", RA_T_INT, RA_P)                                        \
    X(DURATION_MS, "duration_ms", RA_T_INT, RA_P)                            \
    X(MAX_CALLERS, "max_callers", RA_T_INT, RA_M)

enum ra_field {
#define X(id, name, type, src) RA_F_##id,
    RA_FIELD_LIST(X)
#undef X
        RA_F_COUNT
};

struct ra_field_info {
    const char *name;
    enum ra_ftype type;
    unsigned sources;
};
extern const struct ra_field_info ra_field_info[RA_F_COUNT];
_Static_assert(RA_F_COUNT < 256, "a field number fits in a byte");

/* The field called name[0..n), or -1. */
int ra_field_lookup(const char *name, size_t n);
const char *ra_source_name(enum ra_source s);

#endif
