/* join.c -- links gateway attempts to proxy events (DESIGN.md, "Joins" 1).
 *
 * Pass 1 (equal request ids): SQL lists the candidate pairs best first and
 * they are taken greedily, each event at most once.
 *
 * Pass 2 (egress session within the tolerance) must give the same greedy
 * matching over all pairs -- smallest |dt| first, ties to the lower gateway
 * id, then the lower proxy id -- but dense sessions have many candidates
 * per event, so the pairs are never listed. The events of each session
 * group (sessions an account's map rows tie together) are merged in time
 * order, and a heap holds each gateway event's best free partner; when that
 * partner is taken the event moves on to its next best. Popping the heap's
 * minimum is exactly taking the next pair of the sorted list whose two
 * events are both free.
 *
 * Each session group's events are found together without a sort: both
 * streams are cut by group into partitions of a temporary file
 * (analyze/spill.c; the proxy side on the second thread), and a partition
 * at a time is read and put in group order by counting, not sorted by
 * SQLite (5 M + 5 M events, three alternating runs: analyze 12.2-13.8 s
 * -> 10.6-11.1 s). Memory: a partition's events (about RA_SPILL_ROWS, or
 * one session group when a group has more).
 *
 * The links are made when one INSERT first reads them (link_store.sql,
 * from ra_links_made, a table over rows in memory that refills itself:
 * ingest/rows.c), cut by proxy id into ranges of a temporary file, and
 * handed over range by range, each put in proxy id order in memory: they
 * are appended in link_rows' key order without a sort, and that side
 * needs no index.
 */
#include "analyze/join.h"
#include "analyze/spill.h"
#include "ingest/rows.h"
#include "ingest/writer.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* RELAYAUDIT_TIMINGS: the seconds since the last mark, under a name. */
static void
phase(const char *name)
{
    static double t0;
    double t1 = ra_mono_s();
    if (name && getenv("RELAYAUDIT_TIMINGS"))
        fprintf(stderr, "relayaudit: links, %s: %.3f s\n", name, t1 - t0);
    t0 = t1;
}

/* Sessions, accounts and hosts are string-dictionary ids (schema version
 * 3), which compare as their strings do; 0 stands for NULL. */
struct pair {
    int64_t acct, sess;
};

/* The links are handed to SQLite LINK_ROWS at a time, in proxy id order:
 * made, they are cut into ranges of at most LINK_RANGE proxy ids (fewer
 * ranges than RA_SPILL_PARTS: more ids each), and each range is put in
 * order in memory. */
#define LINK_ROWS 256
#define LINK_RANGE 65536

/* Routes whose host the join keeps (a route's slot: its id's low bits). */
#define ROUTE_SLOTS 1024

enum { BY_REQUEST_ID = 0, BY_SESSION = 1 }; /* link_rows.by_session */

struct ev {
    int64_t id, ts;
    int64_t host, sess, acct;
    const char *rid; /* in the partition's arena */
    int64_t l, r;    /* gateway: candidate cursors */
};

/* An event of the streams, and its request id's length (-1: none). */
struct srec {
    int64_t grp, id, ts, host, sess, acct, ridlen;
};

/* A session group's events: slices of its partition's. */
struct group {
    struct ev *g, *p;
    size_t ng, np;
    size_t *mate, capmate; /* per proxy event: its partner's index + 1 */
};

/* One partition of both streams, each side's events put together by
 * session group (groups in the order the gateway side first names them,
 * each group's events in the order they were stored). Memory: the
 * partition's events, twice (as spilled, and as events). */
struct part {
    struct ra_buf bytes;  /* a side's spilled rows */
    struct ev *g, *p;     /* each side's events, by group */
    size_t capg, capp;
    uint32_t *rix;        /* a side's events' groups (UINT32_MAX: none) */
    size_t caprix;
    struct ra_imap groups; /* a group's index + 1, by its id */
    size_t *gn, *go, *pn, *po; /* per group: events and first, each side */
    size_t ngroups, capgroups, at; /* at: the next group to match */
    struct ra_arena *a;   /* request ids */
};

/* The pairs waiting, popped in (|dt|, gid, pid) order (queue_pop). */
struct hent {
    int64_t absdt, gid, pid;
    size_t gi, pi;
};

struct heap {
    struct hent *v;
    size_t n, cap;
};

struct bucket {
    struct hent *v;
    size_t n, cap;
};

struct queue {
    struct heap cur;   /* the current bucket's entries */
    struct bucket *b;  /* the later ones, by |dt| >> shift */
    size_t nb, at;     /* buckets, the current one */
    int shift;
};

struct ra_join {
    unsigned char *gused, *pused;
    int64_t gmax, pmax;
    struct ra_out buf[LINK_ROWS * 4]; /* gateway, proxy, by_session, dt */
    /* The links, cut by proxy id into ranges of `width` ids (the range
     * emitted last: at, its slots by proxy id from the range's first, the
     * next to hand over: next), handed over in proxy id order. */
    struct ra_spill *lsp;
    int64_t width;
    size_t at, next;
    struct lslot {
        int64_t g, dt; /* g 0: no link */
        int by_session;
    } *slot;
    struct ra_buf lbytes;
    struct ra_rows rows;
    struct ra_err *err;
    struct pair *pairs; /* the map's (account, session) pairs, sorted */
    size_t npairs;
    /* The making, at the first refill: pass 1 reads rid, pass 2 the two
     * streams group by group; pass 3, resumed at each refill, hands the
     * links over range by range; pass 4 is the end. */
    sqlite3 *db;
    int pass, rc;
    int64_t tol;
    sqlite3_stmt *rid, *rh;
    struct {
        int64_t route, host; /* route 0: an empty slot */
    } route_host[ROUTE_SLOTS];
    struct ra_link_stream *pre;
    struct ra_spill *gsp, *psp; /* the streams, by session group */
    size_t k;                   /* the partition read last */
    struct part part;
    struct group gr;
    struct queue q;
};

static int
used(const unsigned char *bits, int64_t id, int64_t max)
{
    return id < 0 || id > max || ((bits[id >> 3] >> (id & 7)) & 1);
}

static void
mark(unsigned char *bits, int64_t id)
{
    bits[id >> 3] |= (unsigned char)(1u << (id & 7));
}

/* One more link, spilled into its proxy id's range: varints of the proxy
 * id less the range's first, the gateway id, the time between them
 * (zigzag), and the method; an error is left in j->rc. */
static void
store_link(struct ra_join *j, int64_t g, int64_t p, int64_t dt,
           int by_session)
{
    unsigned char b[32], *e = b;
    size_t k = (size_t)(p / j->width);
    e = ra_varint_put(e, (uint64_t)(p - (int64_t)k * j->width));
    e = ra_varint_put(e, (uint64_t)g);
    e = ra_varint_put(e, ra_zigzag((uint64_t)dt));
    *e++ = (unsigned char)by_session;
    if (!j->rc)
        j->rc = ra_spill_put(j->lsp, k, b, (size_t)(e - b), NULL, 0, j->err);
}

/* One more link among the rows handed over (the caller leaves room). */
static void
hand_over(struct ra_join *j, int64_t g, int64_t p, int64_t dt,
          int by_session)
{
    struct ra_out *v = j->buf + j->rows.n++ * 4;
    v[0] = (struct ra_out){.t = RA_O_INT, .i = g};
    v[1] = (struct ra_out){.t = RA_O_INT, .i = p};
    v[2] = (struct ra_out){.t = RA_O_INT, .i = by_session};
    v[3] = (struct ra_out){.t = RA_O_INT, .i = dt};
}

/* Pass 1: request ids, candidates from SQL, best first, taken in turn;
 * then pass 2 begins. */
static int session_begin(struct ra_join *j);

static int
rid_more(struct ra_join *j)
{
    while (!j->rc) {
        int rc = sqlite3_step(j->rid);
        if (rc == SQLITE_DONE) {
            phase("request ids linked");
            j->pass = 2;
            return session_begin(j);
        }
        if (rc != SQLITE_ROW)
            return ra_err_set(j->err, RA_EDB, "links by request id: %s",
                              sqlite3_errmsg(j->db));
        int64_t g = sqlite3_column_int64(j->rid, 0),
                p = sqlite3_column_int64(j->rid, 1);
        if (used(j->gused, g, j->gmax) || used(j->pused, p, j->pmax))
            continue;
        mark(j->gused, g);
        mark(j->pused, p);
        store_link(j, g, p, sqlite3_column_int64(j->rid, 2), BY_REQUEST_ID);
    }
    return j->rc;
}

/* ---- pass 2 ----------------------------------------------------------- */

/* qsort's answer for (a1, a2) against (b1, b2). */
static int
cmp2(int64_t a1, int64_t b1, int64_t a2, int64_t b2)
{
    if (a1 != b1)
        return a1 < b1 ? -1 : 1;
    return a2 < b2 ? -1 : a2 > b2;
}

static int
cmp_pair(const void *a, const void *b)
{
    const struct pair *x = a, *y = b;
    return cmp2(x->acct, y->acct, x->sess, y->sess);
}

static int
map_has(const struct ra_join *j, int64_t acct, int64_t sess)
{
    struct pair k = {acct, sess};
    if (!acct || !sess || !j->npairs)
        return 0;
    return bsearch(&k, j->pairs, j->npairs, sizeof *j->pairs, cmp_pair) !=
           NULL;
}

static int
valid(const struct ra_join *j, const struct ev *g, const struct ev *p)
{
    if (g->sess ? g->sess != p->sess : !map_has(j, g->acct, p->sess))
        return 0;
    if (g->host && p->host && g->host != p->host)
        return 0;
    if (g->rid && p->rid && strcmp(g->rid, p->rid))
        return 0;
    return 1;
}

static int
free_ok(const struct ra_join *j, const struct group *gr, const struct ev *g,
        int64_t k)
{
    return !used(j->pused, gr->p[k].id, j->pmax) && valid(j, g, &gr->p[k]);
}

/* The best free partner of gateway event g within tol, by (|dt|, pid):
 * its index in gr->p, or -1. Cursors only move past taken or invalid
 * events, which never come back. */
static int64_t
best(const struct ra_join *j, const struct group *gr, struct ev *g,
     int64_t tol)
{
    int64_t n = (int64_t)gr->np, right = -1, left = -1;
    while (g->r < n && gr->p[g->r].ts - g->ts <= tol &&
           !free_ok(j, gr, g, g->r))
        g->r++;
    if (g->r < n && gr->p[g->r].ts - g->ts <= tol)
        right = g->r;
    while (g->l >= 0 && g->ts - gr->p[g->l].ts <= tol &&
           !free_ok(j, gr, g, g->l))
        g->l--;
    if (g->l >= 0 && g->ts - gr->p[g->l].ts <= tol) {
        /* Among equal times, the lowest id: walk to the block's start. */
        left = g->l;
        for (int64_t k = g->l - 1; k >= 0 && gr->p[k].ts == gr->p[g->l].ts;
             k--)
            if (free_ok(j, gr, g, k))
                left = k;
    }
    if (left < 0)
        return right;
    if (right < 0)
        return left;
    int64_t dl = g->ts - gr->p[left].ts, dr = gr->p[right].ts - g->ts;
    if (dl != dr)
        return dl < dr ? left : right;
    return gr->p[left].id < gr->p[right].id ? left : right;
}

static int
hless(const struct hent *a, const struct hent *b)
{
    if (a->absdt != b->absdt)
        return a->absdt < b->absdt;
    if (a->gid != b->gid)
        return a->gid < b->gid;
    return a->pid < b->pid;
}

static void
hpush(struct heap *h, struct hent e)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 256;
        h->v = xrealloc(h->v, h->cap * sizeof *h->v);
    }
    size_t i = h->n++;
    while (i > 0 && hless(&e, &h->v[(i - 1) / 2])) {
        h->v[i] = h->v[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->v[i] = e;
}

static struct hent
hpop(struct heap *h)
{
    struct hent top = h->v[0], last = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && hless(&h->v[c + 1], &h->v[c]))
            c++;
        if (!hless(&h->v[c], &last))
            break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n)
        h->v[i] = last;
    return top;
}

/* The pairs waiting, popped in (|dt|, gid, pid) order. A gateway event's
 * next best is never better than the one just popped (partners are only
 * ever taken), so keys only grow: a bucket queue over |dt|, each bucket
 * appended to in turn and ordered by a heap only once it is the current
 * one. One binary heap of a whole session group's events (625 k in the
 * 5 M bench) missed the cache at every level of its sift-down. */
#define QUEUE_BUCKETS 4096

static void
queue_init(struct queue *q, int64_t tol)
{
    memset(q, 0, sizeof *q);
    if (tol < 0)
        tol = 0;
    while ((tol >> q->shift) >= QUEUE_BUCKETS)
        q->shift++;
    q->nb = (size_t)(tol >> q->shift) + 1;
    q->b = xcalloc(q->nb, sizeof *q->b);
}

static void
queue_free(struct queue *q)
{
    for (size_t k = 0; k < q->nb; k++)
        free(q->b[k].v);
    free(q->b);
    free(q->cur.v);
}

static void
queue_push(struct queue *q, struct hent e)
{
    size_t k = (size_t)(e.absdt >> q->shift);
    if (k <= q->at) {
        hpush(&q->cur, e);
        return;
    }
    struct bucket *b = &q->b[k];
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 64;
        b->v = xrealloc(b->v, b->cap * sizeof *b->v);
    }
    b->v[b->n++] = e;
}

/* The least entry into *e; 0 when the queue is empty (and reset for the
 * next group). */
static int
queue_pop(struct queue *q, struct hent *e)
{
    while (!q->cur.n) {
        if (++q->at >= q->nb) {
            q->at = 0;
            return 0;
        }
        struct bucket *b = &q->b[q->at];
        for (size_t i = 0; i < b->n; i++)
            hpush(&q->cur, b->v[i]);
        b->n = 0;
    }
    *e = hpop(&q->cur);
    return 1;
}

static void
push_best(struct ra_join *j, struct group *gr, struct queue *q, size_t gi,
          int64_t tol)
{
    struct ev *g = &gr->g[gi];
    int64_t k = best(j, gr, g, tol);
    if (k < 0)
        return;
    int64_t d = gr->p[k].ts - g->ts;
    struct hent e = {d < 0 ? -d : d, g->id, gr->p[k].id, gi, (size_t)k};
    queue_push(q, e);
}

/* Each proxy event's partner in the group, if any: gr->mate. */
static void
match_group(struct ra_join *j, struct group *gr, struct queue *q, int64_t tol)
{
    size_t split = 0;
    struct hent e;

    for (size_t i = 0; i < gr->ng; i++) {
        struct ev *g = &gr->g[i];
        if (used(j->gused, g->id, j->gmax))
            continue;
        while (split < gr->np && gr->p[split].ts < g->ts)
            split++;
        g->r = (int64_t)split;
        g->l = (int64_t)split - 1;
        push_best(j, gr, q, i, tol);
    }
    /* Pairs pop in |dt| order, so their events lie anywhere in the group:
     * the loop reads only the entry and the two bitmaps, and notes a
     * proxy event's partner in a small array (5 M + 5 M events: a load
     * from the group's events here was half the matching's time). */
    ra_room((void **)&gr->mate, &gr->capmate, gr->np, sizeof *gr->mate);
    memset(gr->mate, 0, gr->np * sizeof *gr->mate);
    while (queue_pop(q, &e)) {
        if (used(j->gused, e.gid, j->gmax))
            continue;
        if (used(j->pused, e.pid, j->pmax)) {
            push_best(j, gr, q, e.gi, tol); /* its next best */
            continue;
        }
        mark(j->gused, e.gid);
        mark(j->pused, e.pid);
        gr->mate[e.pi] = e.gi + 1;
    }
}

/* Session groups: sessions that one account's map rows name together are
 * one group (a gateway event without a session may use any of them), in
 * temp.ra_session_group of db. */
static int
make_session_groups(sqlite3 *db, struct ra_err *err)
{
    if (ra_db_exec(db,
                   "DROP TABLE IF EXISTS temp.ra_session_group;"
                   "CREATE TEMP TABLE ra_session_group (session INTEGER "
                   "PRIMARY KEY, grp INTEGER)",
                   err))
        return RA_EDB;
    /* Union by account, repeated until stable (maps are small). */
    if (ra_db_exec(db,
                   "INSERT INTO temp.ra_session_group "
                   "SELECT egress_session, min(egress_session) OVER "
                   "(PARTITION BY account) FROM (SELECT DISTINCT account, "
                   "egress_session FROM map_rows WHERE account IS NOT NULL "
                   "AND "
                   "egress_session IS NOT NULL) WHERE 1 "
                   "ON CONFLICT(session) DO UPDATE SET grp = min(grp, "
                   "excluded.grp)",
                   err))
        return RA_EDB;
    for (int changed = 1, guard = 0; changed && guard < 64; guard++) {
        if (ra_db_exec(db,
                       "UPDATE temp.ra_session_group AS s SET grp = (SELECT "
                       "min(s2.grp) FROM map_rows m1 JOIN map_rows m2 ON "
                       "m2.account = m1.account JOIN temp.ra_session_group s2 "
                       "ON s2.session = m2.egress_session WHERE "
                       "m1.egress_session = s.session) WHERE grp > (SELECT "
                       "min(s2.grp) FROM map_rows m1 JOIN map_rows m2 ON "
                       "m2.account = m1.account JOIN "
                       "temp.ra_session_group s2 ON s2.session = "
                       "m2.egress_session WHERE m1.egress_session = "
                       "s.session)",
                       err))
            return RA_EDB;
        changed = sqlite3_changes(db) > 0;
    }
    return 0;
}

/* The groups, and the map's (account, session) pairs in j. */
static int
session_groups(sqlite3 *db, struct ra_join *j, struct ra_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;
    if ((rc = make_session_groups(db, err)))
        return rc;
    if (sqlite3_prepare_v2(db,
                           "SELECT DISTINCT account, egress_session FROM "
                           "map_rows WHERE account IS NOT NULL AND "
                           "egress_session IS NOT NULL",
                           -1, &st, NULL) != SQLITE_OK)
        return ra_err_set(err, RA_EDB, "%s", sqlite3_errmsg(db));
    while (sqlite3_step(st) == SQLITE_ROW) {
        j->pairs = xrealloc(j->pairs, (j->npairs + 1) * sizeof *j->pairs);
        j->pairs[j->npairs].acct = sqlite3_column_int64(st, 0);
        j->pairs[j->npairs++].sess = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    if (j->npairs)
        qsort(j->pairs, j->npairs, sizeof *j->pairs, cmp_pair);
    return rc;
}

/* The host of a route (0: none), asked of SQL once per route while it
 * keeps its slot; an error is left in j->rc. */
static int64_t
route_host(struct ra_join *j, int64_t route)
{
    size_t i = (size_t)route & (ROUTE_SLOTS - 1);
    if (!route)
        return 0;
    if (j->route_host[i].route == route)
        return j->route_host[i].host;
    sqlite3_bind_int64(j->rh, 1, route);
    int rc = sqlite3_step(j->rh);
    int64_t host = rc == SQLITE_ROW ? sqlite3_column_int64(j->rh, 0) : 0;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        j->rc = ra_err_set(j->err, RA_EDB, "a route's host: %s",
                           sqlite3_errmsg(j->db));
    sqlite3_reset(j->rh);
    j->route_host[i].route = route;
    j->route_host[i].host = host;
    return host;
}

static int
cmp_ev(const void *a, const void *b)
{
    const struct ev *x = a, *y = b;
    return cmp2(x->ts, y->ts, x->id, y->id);
}

/* A group's events in (time, id) order. They most often come in this
 * order already: the events are stored about in time order, and a
 * partition keeps each group's events in the order they were stored. */
static void
time_order(struct ev *v, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (cmp_ev(&v[i - 1], &v[i]) > 0) {
            qsort(v, n, sizeof *v, cmp_ev);
            return;
        }
}

/* ---- the streams, spilled by session group ---------------------------- */

/* The largest ids of the gateway and the proxy events (0: none). */
static void
max_ids(sqlite3 *db, int64_t *g, int64_t *p)
{
    *g = ra_db_int(db, "SELECT coalesce(max(id), 0) FROM gateway_rows");
    *p = ra_db_int(db, "SELECT coalesce(max(id), 0) FROM proxy_rows");
}

/* The partitions of both streams, from the events' largest ids: the same
 * on every connection that sees the same data. */
static size_t
stream_parts(int64_t gmax, int64_t pmax)
{
    return ra_spill_count(gmax > pmax ? gmax : pmax, RA_SPILL_ROWS);
}

/* An event as a partition holds it (srec_put), then its request id: LEB128
 * varints of its group, id and time less those of the partition's event
 * before (zigzag: they may be less), its session less its group (zigzag:
 * most often 0), its host, its account, and its request id's length + 1.
 * 5 M + 5 M events: 56 bytes an event as a struct, about 10 so. */
#define SREC_MAX 70 /* 7 varints of 10 bytes at most */

/* r's bytes into out (SREC_MAX at least), prev its partition's event
 * before (and then r): their length. */
static size_t
srec_put(unsigned char *out, struct srec *prev, const struct srec *r)
{
    unsigned char *p = out;
    p = ra_varint_put(p, ra_zigzag((uint64_t)r->grp - (uint64_t)prev->grp));
    p = ra_varint_put(p, ra_zigzag((uint64_t)r->id - (uint64_t)prev->id));
    p = ra_varint_put(p, ra_zigzag((uint64_t)r->ts - (uint64_t)prev->ts));
    p = ra_varint_put(p, ra_zigzag((uint64_t)r->sess - (uint64_t)r->grp));
    p = ra_varint_put(p, (uint64_t)r->host);
    p = ra_varint_put(p, (uint64_t)r->acct);
    p = ra_varint_put(p, (uint64_t)(r->ridlen + 1));
    *prev = *r;
    return (size_t)(p - out);
}

/* The event at c into r, prev as srec_put's: the bytes past it (its
 * request id, r->ridlen of them, comes first). */
static const char *
srec_get(const char *c, struct srec *prev, struct srec *r)
{
    const unsigned char *p = (const unsigned char *)c;
    uint64_t v[7];
    for (int i = 0; i < 7; i++)
        p = ra_varint_get(p, &v[i]);
    for (int i = 0; i < 4; i++)
        v[i] = ra_unzigzag(v[i]);
    r->grp = (int64_t)((uint64_t)prev->grp + v[0]);
    r->id = (int64_t)((uint64_t)prev->id + v[1]);
    r->ts = (int64_t)((uint64_t)prev->ts + v[2]);
    r->sess = (int64_t)((uint64_t)r->grp + v[3]);
    r->host = (int64_t)v[4];
    r->acct = (int64_t)v[5];
    r->ridlen = (int64_t)v[6] - 1;
    *prev = *r;
    return (const char *)p;
}

/* The rows of stream st -- grp, id, ts, host (the gateway's: its route),
 * request_id, egress_session[, account] -- into a new spill of parts
 * partitions, *out; j: for the gateway stream, whose routes' hosts it
 * looks up (NULL for the proxy stream). A row with no group (NULL) is in
 * no session group, and left out. */
static int
spill_stream(sqlite3_stmt *st, struct ra_join *j, size_t parts,
             struct ra_spill **out, struct ra_err *err)
{
    struct ra_spill *s = ra_spill_new(parts, "the links", err);
    struct srec *prev = xcalloc(parts, sizeof *prev);
    unsigned char b[SREC_MAX];
    int rc = s ? 0 : RA_EIO, step;
    while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_type(st, 0) == SQLITE_NULL)
            continue;
        int64_t h = sqlite3_column_int64(st, 3);
        struct srec r = {sqlite3_column_int64(st, 0),
                         sqlite3_column_int64(st, 1),
                         sqlite3_column_int64(st, 2),
                         j ? route_host(j, h) : h,
                         sqlite3_column_int64(st, 5),
                         j ? sqlite3_column_int64(st, 6) : 0,
                         -1};
        const char *id = (const char *)sqlite3_column_text(st, 4);
        if (id)
            r.ridlen = sqlite3_column_bytes(st, 4);
        size_t k = ra_spill_part(r.grp, parts);
        if (j && j->rc)
            rc = j->rc;
        else
            rc = ra_spill_put(s, k, b, srec_put(b, &prev[k], &r), id,
                              id ? (size_t)r.ridlen : 0, err);
    }
    free(prev);
    if (!rc && step != SQLITE_DONE)
        rc = ra_err_set(err, RA_EDB, "link streams: %s",
                        sqlite3_errmsg(sqlite3_db_handle(st)));
    if (rc) {
        ra_spill_free(s);
        s = NULL;
    }
    *out = s;
    return rc;
}

/* The proxy stream (link_proxy_stream.sql) of db, spilled. */
static int
spill_proxy(sqlite3 *db, size_t parts, struct ra_spill **out,
            struct ra_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = ra_sql_prepare(db, "link_proxy_stream", &st, err);
    *out = NULL;
    if (!rc)
        rc = spill_stream(st, NULL, parts, out, err);
    sqlite3_finalize(st);
    return rc;
}

/* ---- a partition: its events by group --------------------------------- */

/* The index of group grp in t; with add, a new group when it has none,
 * and without, UINT32_MAX. */
static uint32_t
group_of(struct part *t, int64_t grp, int add)
{
    uint32_t at = ra_imap_get(&t->groups, grp);
    if (at || !add)
        return at ? at - 1 : UINT32_MAX;
    if (t->ngroups == t->capgroups) {
        t->capgroups = t->capgroups ? 2 * t->capgroups : 64;
        t->gn = xrealloc(t->gn, t->capgroups * sizeof *t->gn);
        t->go = xrealloc(t->go, t->capgroups * sizeof *t->go);
        t->pn = xrealloc(t->pn, t->capgroups * sizeof *t->pn);
        t->po = xrealloc(t->po, t->capgroups * sizeof *t->po);
    }
    ra_imap_put(&t->groups, grp, (uint32_t)++t->ngroups);
    return (uint32_t)t->ngroups - 1;
}

/* Partition k of spill s into v (grown to fit, *cap), by group: count[x]
 * events of group x from first[x] on (t->gn and t->go for the gateway
 * side, whose groups are added, t->pn and t->po for the proxy side, whose
 * events in no group are left out), in the order they were stored. Two
 * passes over the rows read: their groups, then their places. */
static int
read_side(struct ra_join *j, struct ra_spill *s, size_t k, int gateway,
          struct ev **v, size_t *cap)
{
    struct part *t = &j->part;
    size_t n;
    int rc = ra_spill_read(s, k, &t->bytes, &n, j->err);
    if (rc)
        return rc;
    ra_room((void **)&t->rix, &t->caprix, n, sizeof *t->rix);
    ra_room((void **)v, cap, n, sizeof **v);
    const char *c = t->bytes.data;
    struct srec r, prev = {0};
    for (size_t i = 0; i < n; i++) {
        c = srec_get(c, &prev, &r);
        c += r.ridlen > 0 ? r.ridlen : 0;
        t->rix[i] = group_of(t, r.grp, gateway);
    }
    if (!t->ngroups)
        return 0;
    size_t *count = gateway ? t->gn : t->pn, *first = gateway ? t->go : t->po;
    memset(count, 0, t->ngroups * sizeof *count);
    for (size_t i = 0; i < n; i++)
        if (t->rix[i] != UINT32_MAX)
            count[t->rix[i]]++;
    for (size_t x = 0, at = 0; x < t->ngroups; at += count[x++])
        first[x] = at;
    c = t->bytes.data;
    prev = (struct srec){0};
    for (size_t i = 0; i < n; i++) {
        c = srec_get(c, &prev, &r);
        if (t->rix[i] != UINT32_MAX) {
            struct ev *e = &(*v)[first[t->rix[i]]++];
            *e = (struct ev){r.id, r.ts, r.host, r.sess, r.acct, NULL, 0, 0};
            if (r.ridlen >= 0)
                e->rid = ra_arena_strndup(t->a, c, (size_t)r.ridlen);
        }
        if (r.ridlen > 0)
            c += r.ridlen;
    }
    for (size_t x = 0; x < t->ngroups; x++)
        first[x] -= count[x];
    return 0;
}

/* Partition k of both streams into j->part. */
static int
load_part(struct ra_join *j, size_t k)
{
    struct part *t = &j->part;
    int rc;
    ra_arena_reset(t->a);
    t->ngroups = t->at = 0;
    ra_imap_clear(&t->groups);
    if ((rc = read_side(j, j->gsp, k, 1, &t->g, &t->capg)))
        return rc;
    return read_side(j, j->psp, k, 0, &t->p, &t->capp);
}

/* ---- pass 2 ------------------------------------------------------------ */

/* Pass 2 from its start: the map's groups, the gateway stream spilled
 * here, the proxy stream spilled here or taken from pre once ready, and
 * the first partition read. */
static int
session_begin(struct ra_join *j)
{
    sqlite3_stmt *gs = NULL;
    size_t parts = stream_parts(j->gmax, j->pmax);
    int rc;
    j->part.a = ra_arena_new();
    if ((rc = session_groups(j->db, j, j->err)) ||
        (rc = ra_sql_prepare(j->db, "link_gateway_stream", &gs, j->err)) ||
        (rc = ra_sql_prepare(j->db, "link_route_host", &j->rh, j->err)))
        goto out;
    phase("session groups");
    if ((rc = spill_stream(gs, j, parts, &j->gsp, j->err)))
        goto out;
    phase("gateway stream spilled");
    if (!j->pre)
        rc = spill_proxy(j->db, parts, &j->psp, j->err);
    else if (!(rc = j->pre->ready(j->pre->ctx, j->err))) {
        j->psp = j->pre->spill; /* made meanwhile, on another connection */
        j->pre->spill = NULL;
    }
    if (!rc && ra_spill_parts(j->psp) != parts)
        rc = ra_err_set(j->err, RA_EDB,
                        "link streams: %zu partitions and %zu (the data "
                        "changed under the analysis)",
                        parts, ra_spill_parts(j->psp));
    phase("proxy stream spilled");
    if (!rc)
        rc = load_part(j, j->k = 0);
out:
    sqlite3_finalize(gs);
    return rc;
}

/* The next group of the partition with events on both sides, in j->gr:
 * 0 when the partition has no more. */
static int
next_group(struct ra_join *j)
{
    struct part *t = &j->part;
    while (t->at < t->ngroups) {
        size_t x = t->at++;
        if (!t->pn[x])
            continue;
        j->gr.g = t->g + t->go[x], j->gr.ng = t->gn[x];
        j->gr.p = t->p + t->po[x], j->gr.np = t->pn[x];
        return 1;
    }
    return 0;
}

/* Pass 2, resumed: the next group with events on both sides, matched,
 * its links spilled; pass 3 after the last partition's last. */
static int
session_more(struct ra_join *j)
{
    struct group *gr = &j->gr;
    while (!next_group(j)) {
        int rc;
        if (j->k + 1 >= ra_spill_parts(j->gsp)) {
            j->pass = 3;
            phase("groups matched");
            return 0;
        }
        if ((rc = load_part(j, ++j->k)))
            return rc;
    }
    time_order(gr->g, gr->ng);
    time_order(gr->p, gr->np);
    match_group(j, gr, &j->q, j->tol);
    for (size_t i = 0; i < gr->np; i++)
        if (gr->mate[i]) {
            const struct ev *g = &gr->g[gr->mate[i] - 1], *p = &gr->p[i];
            store_link(j, g->id, p->id, p->ts - g->ts, BY_SESSION);
        }
    return j->rc;
}

/* Pass 3: the links of range j->at read into its slots (by proxy id, from
 * the range's first), to be handed over in that order. */
static int
read_range(struct ra_join *j)
{
    size_t n;
    int rc = ra_spill_read(j->lsp, j->at, &j->lbytes, &n, j->err);
    if (rc)
        return rc;
    memset(j->slot, 0, (size_t)j->width * sizeof *j->slot);
    const unsigned char *c = (const unsigned char *)j->lbytes.data;
    for (size_t i = 0; i < n; i++) {
        uint64_t off, g, dt;
        c = ra_varint_get(c, &off);
        c = ra_varint_get(c, &g);
        c = ra_varint_get(c, &dt);
        j->slot[off] =
            (struct lslot){(int64_t)g, (int64_t)ra_unzigzag(dt), *c++};
    }
    j->next = 0;
    return 0;
}

/* Pass 3, resumed: the links in proxy id order until the rows handed over
 * are full; the end (pass 4) after the last range. */
static int
range_more(struct ra_join *j)
{
    while (j->next == (size_t)j->width) {
        if (j->at + 1 >= ra_spill_parts(j->lsp)) {
            j->pass = 4;
            return 0;
        }
        j->at++;
        int rc = read_range(j);
        if (rc)
            return rc;
    }
    for (; j->next < (size_t)j->width && j->rows.n < LINK_ROWS; j->next++) {
        const struct lslot *l = &j->slot[j->next];
        if (l->g)
            hand_over(j, l->g, (int64_t)j->at * j->width + (int64_t)j->next,
                      l->dt, l->by_session);
    }
    return 0;
}

/* ra_links_made's next rows: at the first call, the links are all made
 * (and spilled); then handed over in proxy id order until the rows are
 * full or they end (none). */
static int
refill(void *ctx)
{
    struct ra_join *j = ctx;
    j->rows.n = 0;
    while (!j->rc && j->pass < 3)
        j->rc = j->pass == 1 ? rid_more(j) : session_more(j);
    if (!j->rc && j->pass == 3 && !j->slot) {
        j->slot = xmalloc((size_t)j->width * sizeof *j->slot);
        j->at = 0;
        j->rc = read_range(j);
    }
    while (!j->rc && j->pass == 3 && j->rows.n < LINK_ROWS)
        j->rc = range_more(j);
    return j->rc;
}

static void
join_free(struct ra_join *j)
{
    struct part *t = &j->part;
    ra_rows_unregister(j->db, "ra_links_made"); /* its rows are j's */
    sqlite3_finalize(j->rid);
    sqlite3_finalize(j->rh);
    ra_spill_free(j->gsp);
    ra_spill_free(j->psp);
    ra_spill_free(j->lsp);
    ra_buf_release(&j->lbytes);
    free(j->slot);
    ra_buf_release(&t->bytes);
    free(t->g), free(t->p), free(t->rix);
    ra_imap_free(&t->groups);
    free(t->gn), free(t->go), free(t->pn), free(t->po);
    ra_arena_free(t->a);
    free(j->gr.mate);
    queue_free(&j->q);
    free(j->pairs);
    free(j->gused);
    free(j->pused);
    free(j);
}

int
ra_join(sqlite3 *db, int64_t tolerance, int64_t *nlinks,
        struct ra_link_stream *pre, struct ra_err *err)
{
    struct ra_join *j = xcalloc(1, sizeof *j);
    struct ra_err made = {0}; /* the making's own message */
    int rc;

    j->err = &made;
    j->db = db;
    j->tol = tolerance;
    j->pre = pre;
    j->pass = 1;
    max_ids(db, &j->gmax, &j->pmax);
    j->gused = xcalloc((size_t)(j->gmax / 8 + 1), 1);
    j->pused = xcalloc((size_t)(j->pmax / 8 + 1), 1);
    queue_init(&j->q, tolerance);
    /* handed over by proxy id (c1): link_store.sql's ORDER BY sorts
     * nothing */
    j->rows = (struct ra_rows){j->buf, 0, 4, 4, 4, refill, j, 2};
    size_t ranges = ra_spill_count(j->pmax + 1, LINK_RANGE);
    j->width = j->pmax / (int64_t)ranges + 1;
    phase(NULL);
    if (!(j->lsp = ra_spill_new(ranges, "the links", err))) {
        rc = RA_EIO;
        goto out;
    }
    if ((rc = ra_rows_register(db, "ra_links_made", &j->rows, err)) ||
        (rc = ra_sql_prepare(db, "link_request_id", &j->rid, err)))
        goto out;
    /* link_store.sql's INSERT makes and stores them all */
    rc = ra_sql_run(db, "link_store", NULL, 0, NULL, NULL, err);
    if (j->rc) { /* rather than SQLite's word for a failed refill */
        rc = j->rc;
        *err = made;
    } else if (!rc) {
        int64_t stored = sqlite3_changes64(db); /* before the index */
        phase("links stored");
        if (!(rc = ra_sql_run(db, "link_index", NULL, 0, NULL, NULL, err))) {
            phase("unique index");
            *nlinks = stored;
        }
    }
out:
    join_free(j);
    return rc;
}

int
ra_link_proxy_stream(sqlite3 *db, struct ra_link_stream *out,
                     struct ra_err *err)
{
    int rc;
    out->spill = NULL;
    if ((rc = make_session_groups(db, err)))
        return rc;
    int64_t gmax, pmax;
    max_ids(db, &gmax, &pmax);
    return spill_proxy(db, stream_parts(gmax, pmax), &out->spill, err);
}
