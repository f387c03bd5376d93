/* The durable order outbox: one SQLite file, WAL, fsync on every commit;
 * many orders and outcomes may share one commit (sg_outbox_commit). */
#include <string.h>
#include <sqlite3.h>
#include <re.h>
#include "gw/gw.h"

struct sg_outbox {
	sqlite3 *db;
	uint64_t count[SG_ORDER_STATE_COUNT];
	uint64_t commits;      /**< write transactions committed      */
};

static const char *const state_names[SG_ORDER_STATE_COUNT] = {
	"pending", "delivered", "failed",
};

/* created, next_attempt, delivered: unix ms. client_key: the submitter's
 * Idempotency-Key (NULL when none), unique per store. */
static const char schema[] =
	"CREATE TABLE IF NOT EXISTS orders ("
	" id TEXT PRIMARY KEY,"
	" store TEXT NOT NULL,"
	" body TEXT NOT NULL,"
	" client_key TEXT,"
	" created INTEGER NOT NULL,"
	" state INTEGER NOT NULL DEFAULT 0,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" next_attempt INTEGER NOT NULL,"
	" delivered INTEGER NOT NULL DEFAULT 0,"
	" last_status INTEGER NOT NULL DEFAULT 0);"
	"CREATE UNIQUE INDEX IF NOT EXISTS orders_client_key"
	" ON orders(store, client_key) WHERE client_key IS NOT NULL;"
	"CREATE INDEX IF NOT EXISTS orders_due ON orders(state, next_attempt);"
	"CREATE INDEX IF NOT EXISTS orders_created ON orders(created);";

const char *sg_order_state_name(enum sg_order_state s)
{
	return s < SG_ORDER_STATE_COUNT ? state_names[s] : "?";
}

int sg_order_state_parse(const char *name, enum sg_order_state *s)
{
	int i;

	for (i = 0; i < SG_ORDER_STATE_COUNT; i++) {
		if (!strcmp(name, state_names[i])) {
			*s = (enum sg_order_state)i;
			return 0;
		}
	}
	return EINVAL;
}

/* SQLite result codes -> errno: what the callers tell apart */
static int sq_err(sqlite3 *db, int rc, const char *what)
{
	SG_ERR(SG_SUB_API, NULL, "orders outbox: %s: %s", what,
	       db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
	switch (rc & 0xff) {
	case SQLITE_NOMEM:  return ENOMEM;
	case SQLITE_FULL:   return ENOSPC;
	case SQLITE_BUSY:
	case SQLITE_LOCKED: return EBUSY;
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
	case SQLITE_READONLY: return EACCES;
	default:            return EIO;
	}
}

static void destructor(void *arg)
{
	struct sg_outbox *ob = arg;

	/* close_v2: statements still open would only delay the close */
	sqlite3_close_v2(ob->db);
}

static int exec(struct sg_outbox *ob, const char *sql)
{
	int rc = sqlite3_exec(ob->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : sq_err(ob->db, rc, sql);
}

static int recount(struct sg_outbox *ob)
{
	sqlite3_stmt *st = NULL;
	int rc;

	memset(ob->count, 0, sizeof(ob->count));
	rc = sqlite3_prepare_v2(ob->db, "SELECT state, count(*) FROM orders "
				"GROUP BY state", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sq_err(ob->db, rc, "count");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int s = sqlite3_column_int(st, 0);

		if (s >= 0 && s < SG_ORDER_STATE_COUNT)
			ob->count[s] = (uint64_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sq_err(ob->db, rc, "count");
}

int sg_outbox_open(struct sg_outbox **obp, const char *path)
{
	struct sg_outbox *ob;
	int rc, err;

	if (!obp || !path || !*path)
		return EINVAL;

	ob = mem_zalloc(sizeof(*ob), destructor);
	if (!ob)
		return ENOMEM;

	rc = sqlite3_open_v2(path, &ob->db, SQLITE_OPEN_READWRITE |
			     SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		err = sq_err(ob->db, rc, path);
		goto out;
	}
	sqlite3_extended_result_codes(ob->db, 1);
	/* a reader never waits on us: one connection, one thread; a second
	 * gateway on the same file waits a little, then fails */
	sqlite3_busy_timeout(ob->db, 1000);

	/* WAL: a commit is one append + fsync; FULL: the WAL is synced on
	 * every commit, so a "201 received" survives a power cut */
	err = exec(ob, "PRAGMA journal_mode=WAL");
	if (!err)
		err = exec(ob, "PRAGMA synchronous=FULL");
	if (!err)
		err = exec(ob, schema);
	if (!err)
		err = recount(ob);

 out:
	if (err)
		mem_deref(ob);
	else
		*obp = ob;
	return err;
}

static int prepare(struct sg_outbox *ob, sqlite3_stmt **st, const char *sql)
{
	int rc = sqlite3_prepare_v2(ob->db, sql, -1, st, NULL);

	return rc == SQLITE_OK ? 0 : sq_err(ob->db, rc, "prepare");
}

static void rollback(struct sg_outbox *ob)
{
	if (!sqlite3_get_autocommit(ob->db))
		(void)sqlite3_exec(ob->db, "ROLLBACK", NULL, NULL, NULL);
}

/* One new order inside the open transaction: the dedupe lookup (which
 * sees the rows written earlier in the same transaction), then the row. */
static int insert_one(struct sg_outbox *ob, sqlite3_stmt *look,
		      sqlite3_stmt *ins, struct sg_outbox_new *n)
{
	int rc;

	n->dup = false;
	n->same = false;
	if (n->client_key) {
		sqlite3_reset(look);
		sqlite3_bind_text(look, 1, n->store, -1, SQLITE_STATIC);
		sqlite3_bind_text(look, 2, n->client_key, -1, SQLITE_STATIC);
		rc = sqlite3_step(look);
		if (rc == SQLITE_ROW) {
			const char *oid = (const char *)
				sqlite3_column_text(look, 0);
			const char *ob_body = (const char *)
				sqlite3_column_text(look, 1);

			str_ncpy(n->id, oid ? oid : "", sizeof(n->id));
			n->same = ob_body && !strcmp(ob_body, n->body);
			n->dup = true;
			sqlite3_reset(look);
			return 0;
		}
		sqlite3_reset(look);
		if (rc != SQLITE_DONE)
			return sq_err(ob->db, rc, "lookup");
	}
	sqlite3_reset(ins);
	sqlite3_bind_text(ins, 1, n->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 2, n->store, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 3, n->body, -1, SQLITE_STATIC);
	if (n->client_key)
		sqlite3_bind_text(ins, 4, n->client_key, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(ins, 4);
	sqlite3_bind_int64(ins, 5, n->now);
	rc = sqlite3_step(ins);
	sqlite3_reset(ins);
	return rc == SQLITE_DONE ? 0 : sq_err(ob->db, rc, "insert");
}

/* One outcome inside the open transaction; a row no longer pending is
 * that outcome's ENOENT, not the transaction's failure. */
static int record_one(struct sg_outbox *ob, sqlite3_stmt *const *up,
		      struct sg_outbox_outcome *c)
{
	sqlite3_stmt *st;
	int rc;

	if (c->to >= SG_ORDER_STATE_COUNT)
		return EINVAL;
	st = up[c->to];
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, c->a);
	sqlite3_bind_int64(st, 3, c->b);
	sqlite3_bind_int(st, 4, c->status);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return sq_err(ob->db, rc, "update");
	c->err = sqlite3_changes(ob->db) ? 0 : ENOENT;
	return 0;
}

/* The UPDATE per outcome, by the state it leads to. */
static const char *const update_sql[SG_ORDER_STATE_COUNT] = {
	"UPDATE orders SET attempts = ?2, next_attempt = ?3, "
	"last_status = ?4 WHERE id = ?1 AND state = 0",
	"UPDATE orders SET state = 1, delivered = ?2, "
	"attempts = attempts + 1, last_status = ?4 "
	"WHERE id = ?1 AND state = 0",
	"UPDATE orders SET state = 2, attempts = attempts + 1, "
	"last_status = ?4 WHERE id = ?1 AND state = 0",
};

int sg_outbox_commit(struct sg_outbox *ob, struct sg_outbox_new *nv,
		     size_t nc, struct sg_outbox_outcome *cv, size_t cc)
{
	sqlite3_stmt *look = NULL, *ins = NULL;
	sqlite3_stmt *up[SG_ORDER_STATE_COUNT] = {NULL};
	uint64_t added = 0;
	size_t i;
	int err;

	if (!ob || (nc && !nv) || (cc && !cv))
		return EINVAL;
	if (!nc && !cc)
		return 0;
	for (i = 0; i < nc; i++)
		if (!nv[i].store || !nv[i].body)
			return EINVAL;

	/* IMMEDIATE: take the write lock now, so the lookups and the
	 * inserts see the same file */
	err = exec(ob, "BEGIN IMMEDIATE");
	if (err)
		return err;
	if (nc) {
		err = prepare(ob, &look, "SELECT id, body FROM orders WHERE "
			      "store = ?1 AND client_key = ?2");
		if (!err)
			err = prepare(ob, &ins, "INSERT INTO orders (id, "
				      "store, body, client_key, created, "
				      "next_attempt) VALUES "
				      "(?1, ?2, ?3, ?4, ?5, ?5)");
	}
	for (i = 0; !err && cc && i < SG_ORDER_STATE_COUNT; i++)
		err = prepare(ob, &up[i], update_sql[i]);
	for (i = 0; !err && i < nc; i++) {
		err = insert_one(ob, look, ins, &nv[i]);
		if (!err && !nv[i].dup)
			++added;
	}
	for (i = 0; !err && i < cc; i++)
		err = record_one(ob, up, &cv[i]);
	if (!err)
		err = exec(ob, "COMMIT");

	sqlite3_finalize(look);
	sqlite3_finalize(ins);
	for (i = 0; i < SG_ORDER_STATE_COUNT; i++)
		sqlite3_finalize(up[i]);
	if (err) {
		/* nothing half-written: every order and outcome is undone */
		rollback(ob);
		for (i = 0; i < nc; i++)
			nv[i].dup = nv[i].same = false;
		return err;
	}
	++ob->commits;
	ob->count[SG_ORDER_PENDING] += added;
	for (i = 0; i < cc; i++) {
		if (cv[i].err || cv[i].to == SG_ORDER_PENDING)
			continue;
		if (ob->count[SG_ORDER_PENDING])
			--ob->count[SG_ORDER_PENDING];
		++ob->count[cv[i].to];
	}
	return 0;
}

int sg_outbox_insert(struct sg_outbox *ob, char id[SG_ORDER_ID_LEN + 1],
		     const char *store, const char *body,
		     const char *client_key, int64_t now, bool *dup,
		     bool *same)
{
	struct sg_outbox_new n;
	int err;

	if (!ob || !id || !store || !body || !dup || !same)
		return EINVAL;
	n = (struct sg_outbox_new){.store = store, .body = body,
		.client_key = client_key, .now = now};
	str_ncpy(n.id, id, sizeof(n.id));
	err = sg_outbox_commit(ob, &n, 1, NULL, 0);
	*dup = n.dup;
	*same = n.same;
	if (!err && n.dup)
		str_ncpy(id, n.id, SG_ORDER_ID_LEN + 1);
	return err;
}

uint64_t sg_outbox_commits(const struct sg_outbox *ob)
{
	return ob ? ob->commits : 0;
}

int sg_outbox_body(struct sg_outbox *ob, const char *id, char **bodyp,
		   int64_t *created)
{
	sqlite3_stmt *st = NULL;
	int rc, err;

	if (!ob || !id || !bodyp)
		return EINVAL;
	err = prepare(ob, &st, "SELECT body, created FROM orders WHERE id = ?1");
	if (err)
		return err;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		err = str_dup(bodyp, (const char *)sqlite3_column_text(st, 0));
		if (created)
			*created = sqlite3_column_int64(st, 1);
	}
	else
		err = rc == SQLITE_DONE ? ENOENT : sq_err(ob->db, rc, "body");
	sqlite3_finalize(st);
	return err;
}

static void row_read(sqlite3_stmt *st, struct sg_order_row *r)
{
	const char *s;
	int state;

	memset(r, 0, sizeof(*r));
	s = (const char *)sqlite3_column_text(st, 0);
	str_ncpy(r->id, s ? s : "", sizeof(r->id));
	s = (const char *)sqlite3_column_text(st, 1);
	str_ncpy(r->store, s ? s : "", sizeof(r->store));
	state = sqlite3_column_int(st, 2);
	r->state = state >= 0 && state < SG_ORDER_STATE_COUNT ?
		(enum sg_order_state)state : SG_ORDER_FAILED;
	r->attempts = (unsigned)sqlite3_column_int(st, 3);
	r->created = sqlite3_column_int64(st, 4);
	r->next_attempt = sqlite3_column_int64(st, 5);
	r->delivered = sqlite3_column_int64(st, 6);
	r->last_status = sqlite3_column_int(st, 7);
}

#define ROW_COLS "id, store, state, attempts, created, next_attempt, " \
	"delivered, last_status"

/* "AND id NOT IN (?2, ?3, ...)" for the ids in flight: at most
 * SG_ORDERS_INFLIGHT, so a fixed clause with NULL for unused slots */
#define SKIP_CLAUSE " AND id NOT IN (?2, ?3, ?4, ?5)"
_Static_assert(SG_ORDERS_INFLIGHT == 4, "SKIP_CLAUSE names 4 ids");

static void bind_skip(sqlite3_stmt *st, const char *const *skip,
		      size_t skipc)
{
	size_t i;

	for (i = 0; i < SG_ORDERS_INFLIGHT; i++) {
		if (i < skipc && skip[i])
			sqlite3_bind_text(st, (int)i + 2, skip[i], -1,
					  SQLITE_STATIC);
		else
			sqlite3_bind_text(st, (int)i + 2, "", 0,
					  SQLITE_STATIC);
	}
}

int sg_outbox_due(struct sg_outbox *ob, int64_t now, const char *const *skip,
		  size_t skipc, struct sg_order_row *rows, size_t max)
{
	sqlite3_stmt *st = NULL;
	size_t n = 0;
	int rc = SQLITE_DONE, err;

	if (!ob || !rows || skipc > SG_ORDERS_INFLIGHT)
		return -EINVAL;
	err = prepare(ob, &st, "SELECT " ROW_COLS " FROM orders WHERE "
		      "state = 0 AND next_attempt <= ?1" SKIP_CLAUSE
		      " ORDER BY next_attempt LIMIT ?6");
	if (err)
		return -err;
	sqlite3_bind_int64(st, 1, now);
	bind_skip(st, skip, skipc);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)max);
	while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW)
		row_read(st, &rows[n++]);
	if (n < max && rc != SQLITE_DONE)
		err = sq_err(ob->db, rc, "due");
	sqlite3_finalize(st);
	return err ? -err : (int)n;
}

int sg_outbox_next_due(struct sg_outbox *ob, const char *const *skip,
		       size_t skipc, int64_t *next)
{
	sqlite3_stmt *st = NULL;
	int rc, err;

	if (!ob || !next || skipc > SG_ORDERS_INFLIGHT)
		return EINVAL;
	*next = 0;
	err = prepare(ob, &st, "SELECT min(next_attempt) FROM orders WHERE "
		      "state = 0" SKIP_CLAUSE);
	if (err)
		return err;
	bind_skip(st, skip, skipc);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*next = sqlite3_column_int64(st, 0);
	else
		err = sq_err(ob->db, rc, "next due");
	sqlite3_finalize(st);
	return err;
}

/* One outcome in its own (fsynced) transaction. */
static int update(struct sg_outbox *ob, const char *id, int64_t a,
		  int64_t b, int status, enum sg_order_state to)
{
	struct sg_outbox_outcome c = {.to = to, .a = a, .b = b,
		.status = status};
	int err;

	if (!ob || !id)
		return EINVAL;
	str_ncpy(c.id, id, sizeof(c.id));
	err = sg_outbox_commit(ob, NULL, 0, &c, 1);
	return err ? err : c.err;
}

int sg_outbox_delivered(struct sg_outbox *ob, const char *id, int64_t now,
			int status)
{
	return update(ob, id, now, 0, status, SG_ORDER_DELIVERED);
}

int sg_outbox_failed(struct sg_outbox *ob, const char *id, int status)
{
	return update(ob, id, 0, 0, status, SG_ORDER_FAILED);
}

int sg_outbox_retry(struct sg_outbox *ob, const char *id, unsigned attempts,
		    int64_t next_attempt, int status)
{
	return update(ob, id, attempts, next_attempt, status,
		      SG_ORDER_PENDING);
}

uint64_t sg_outbox_count(const struct sg_outbox *ob, enum sg_order_state s)
{
	return ob && s < SG_ORDER_STATE_COUNT ? ob->count[s] : 0;
}

int sg_outbox_get(struct sg_outbox *ob, const char *id,
		  struct sg_order_row *row)
{
	sqlite3_stmt *st = NULL;
	int rc, err;

	if (!ob || !id || !row)
		return EINVAL;
	err = prepare(ob, &st, "SELECT " ROW_COLS " FROM orders WHERE id = ?1");
	if (err)
		return err;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		row_read(st, row);
	else
		err = rc == SQLITE_DONE ? ENOENT : sq_err(ob->db, rc, "get");
	sqlite3_finalize(st);
	return err;
}

int sg_outbox_list_json(struct re_printf *pf, struct sg_outbox *ob,
			enum sg_order_state state, unsigned limit)
{
	sqlite3_stmt *st = NULL;
	struct sg_order_row r;
	unsigned n = 0;
	int rc = SQLITE_DONE, err;

	if (!ob)
		return EINVAL;
	err = prepare(ob, &st, "SELECT " ROW_COLS " FROM orders WHERE "
		      "(?1 < 0 OR state = ?1) ORDER BY created DESC, id "
		      "LIMIT ?2");
	if (err)
		return err;
	sqlite3_bind_int(st, 1, state < SG_ORDER_STATE_COUNT ? (int)state
			 : -1);
	sqlite3_bind_int64(st, 2, limit);
	err = re_hprintf(pf, "{\"orders\":[");
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		row_read(st, &r);
		/* ids are hex; store ids are checked, escaped anyway */
		err = re_hprintf(pf, "%s{\"id\":\"%s\",\"store\":\"%H\","
				 "\"state\":\"%s\",\"attempts\":%u,"
				 "\"created\":%lld,\"delivered\":%lld,"
				 "\"next_attempt\":%lld,\"last_status\":%d}",
				 n++ ? "," : "", r.id, utf8_encode, r.store,
				 sg_order_state_name(r.state), r.attempts,
				 (long long)r.created, (long long)r.delivered,
				 (long long)(r.state == SG_ORDER_PENDING ?
					     r.next_attempt : 0),
				 r.last_status);
	}
	if (!err && rc != SQLITE_DONE)
		err = sq_err(ob->db, rc, "list");
	sqlite3_finalize(st);
	return err ? err : re_hprintf(pf, "]}\n");
}
