/* SPDX-License-Identifier: ISC */
/*
 * test_stock.c — stock that never oversells (store.h, migration 0009), on
 * SQLite and (suite pg) PostgreSQL: 50 orders race, each on its own
 * connection and thread, for the 10 usable routers of one counter — exactly
 * 10 hold one, 40 are told RP_E_FULL, and the counts agree afterwards;
 * windows that overlap by one day collide, adjacent ones do not; units in
 * maintenance or lost do not count; a release frees a unit.
 */
#include <assert.h>
#include "util/common.h"
#include "store/store.h"

#include <pthread.h>

#include "tap.h"
#include "test_store_util.h"

/* OKF() and ISF() with a printf-style description */
#define OKF(cond, ...) do {						\
	char m_[256];							\
	snprintf(m_, sizeof(m_), __VA_ARGS__);				\
	ok(cond, m_);							\
} while (0)
#define ISF(got, want, ...) do {					\
	char m_[256];							\
	snprintf(m_, sizeof(m_), __VA_ARGS__);				\
	is_int(got, want, m_);						\
} while (0)

#define NUNITS		10
#define NORDERS		50

static const char *dir;
static int64_t counter_id, order_ids[NORDERS];
static int results[NORDERS];

static void *
racer(void *arg)
{
	size_t i = (size_t)(uintptr_t)arg;
	struct rp_store *st = NULL;
	int64_t avail;
	int r = RP_E_AGAIN;

	if (rp_store_connect(dir, &st) != 0) {
		results[i] = RP_E_DB;
		return NULL;
	}
	/* a transient conflict (SQLite busy, PostgreSQL deadlock) is retried,
	 * as the order service's callers do */
	for (int k = 0; k < 200 && r == RP_E_AGAIN; k++)
		r = rp_store_stock_reserve(st, order_ids[i], counter_id,
		    RP_DEVICE_ROUTER, 1, "2027-03-09", "2027-03-16", 1, &avail);
	results[i] = r;
	rp_store_free(st);
	return NULL;
}

static int64_t
held(struct rp_store *st, const char *from, const char *until, int64_t *units)
{
	int64_t u = 0, h = -1;

	if (rp_store_stock_count(st, counter_id, RP_DEVICE_ROUTER, from, until,
	    &u, &h) != 0)
		return -1;
	if (units != NULL)
		*units = u;
	return h;
}

int
main(void)
{
	char dirbuf[256], serial[32], q[160];
	struct rp_store *st = NULL;
	struct rp_counter c;
	struct rp_plan p;
	struct rp_device d;
	pthread_t th[NORDERS];
	int64_t units = 0, avail = 0;
	int won = 0, full = 0, other = 0;

	if ((dir = tmpdir_make(dirbuf, sizeof(dirbuf))) == NULL) {
		OKF(0, "scratch directory");
		return tap_done();
	}
	ISF(rp_store_open(dir, &st), 0, "open the store (%s)",
	    test_db_is_pg(dir) ? "PostgreSQL" : "SQLite");
	if (st == NULL)
		return tap_done();

	memset(&c, 0, sizeof(c));
	snprintf(c.code, sizeof(c.code), "NRT1");
	snprintf(c.airport, sizeof(c.airport), "NRT");
	snprintf(c.terminal, sizeof(c.terminal), "T1");
	snprintf(c.name, sizeof(c.name), "成田空港 第1ターミナル");
	snprintf(c.opens, sizeof(c.opens), "07:00");
	snprintf(c.closes, sizeof(c.closes), "21:30");
	c.deadline_days = 1;
	c.deadline_hour = 12;
	ISF(rp_store_counter_insert(st, &c), 0, "counter");
	counter_id = c.id;
	memset(&p, 0, sizeof(p));
	snprintf(p.code, sizeof(p.code), "US-R-1G");
	snprintf(p.destination, sizeof(p.destination), "US");
	snprintf(p.destination_name, sizeof(p.destination_name), "アメリカ");
	p.device = RP_DEVICE_ROUTER;
	snprintf(p.tier, sizeof(p.tier), "1GB/day");
	p.daily_yen = 1000;
	p.tax_bp = 1000;
	p.active = true;
	ISF(rp_store_plan_insert(st, &p), 0, "plan");
	/* 10 usable routers, 1 in maintenance, 1 lost, 2 SIMs: 10 count */
	for (int i = 0; i < NUNITS + 4; i++) {
		memset(&d, 0, sizeof(d));
		snprintf(serial, sizeof(serial), "RT-%06d", i + 1);
		snprintf(d.serial, sizeof(d.serial), "%s", serial);
		snprintf(d.model, sizeof(d.model), "MR-5G");
		d.kind = i >= NUNITS + 2 ? RP_DEVICE_SIM : RP_DEVICE_ROUTER;
		d.status = i == NUNITS ? RP_DEVSTAT_REPAIR :
		    i == NUNITS + 1 ? RP_DEVSTAT_LOST : i % 3 == 0 ?
		    RP_DEVSTAT_OUT : RP_DEVSTAT_AVAILABLE;
		d.counter_id = c.id;
		if (rp_store_device_insert(st, &d) != 0)
			OKF(0, "device %s", serial);
	}
	for (int i = 0; i < NORDERS; i++) {
		struct rp_order o;

		memset(&o, 0, sizeof(o));
		o.channel = RP_CHANNEL_PUBLIC;
		o.person_id = 100 + i;
		o.plan_id = p.id;
		o.qty = 1;
		snprintf(o.order_date, sizeof(o.order_date), "2027-02-01");
		snprintf(o.depart_date, sizeof(o.depart_date), "2027-03-10");
		snprintf(o.return_date, sizeof(o.return_date), "2027-03-15");
		o.pickup = o.ret = RP_HANDOVER_COUNTER;
		o.pickup_counter_id = o.return_counter_id = c.id;
		o.status = RP_ORDER_RESERVED;
		o.subtotal_yen = 6000;
		o.tax_yen = 600;
		o.total_yen = 6600;
		{
			struct rp_order_event e;
			int r;

			memset(&e, 0, sizeof(e));
			e.from = -1;
			e.to = RP_ORDER_RESERVED;
			e.at = 1;
			snprintf(e.actor, sizeof(e.actor), "test");
			r = rp_store_order_insert(st, &o, &e, 1);

			if (r != 0)
				ISF(r, 0, "order %d", i);
		}
		order_ids[i] = o.id;
	}
	OKF(held(st, "2027-03-01", "2027-03-31", &units) == 0 && units == NUNITS,
	    "before: %lld usable units (maintenance, lost and SIMs not "
	    "counted), none held", (long long)units);

	for (size_t i = 0; i < NORDERS; i++)
		pthread_create(&th[i], NULL, racer, (void *)(uintptr_t)i);
	for (size_t i = 0; i < NORDERS; i++)
		pthread_join(th[i], NULL);
	for (size_t i = 0; i < NORDERS; i++) {
		if (results[i] == 0)
			won++;
		else if (results[i] == RP_E_FULL)
			full++;
		else
			other++;
	}
	OKF(won == NUNITS && full == NORDERS - NUNITS && other == 0,
	    "%d orders raced on %d connections for %d units: %d hold one, %d "
	    "sold out, %d other", NORDERS, NORDERS, NUNITS, won, full, other);
	OKF(held(st, "2027-03-09", "2027-03-16", NULL) == NUNITS,
	    "the pool holds exactly its units on the window");
	snprintf(q, sizeof(q), "SELECT count(*) FROM stock_reservations");
	OKF(test_db_int(dir, q, NULL, NULL) == NUNITS,
	    "one reservation row per winner, counted beneath the API");

	/* windows: one day of overlap collides; the next day does not */
	{
		int loser = -1, winner = -1;

		for (int i = 0; i < NORDERS; i++) {
			if (results[i] == RP_E_FULL && loser < 0)
				loser = i;
			if (results[i] == 0 && winner < 0)
				winner = i;
		}
		ISF(rp_store_stock_reserve(st, order_ids[loser], counter_id,
		    RP_DEVICE_ROUTER, 1, "2027-03-16", "2027-03-20", 2, &avail),
		    RP_E_FULL, "a window sharing its first day with the full one: "
		    "sold out (%lld free)", (long long)avail);
		ISF(rp_store_stock_reserve(st, order_ids[loser], counter_id,
		    RP_DEVICE_ROUTER, 2, "2027-03-17", "2027-03-20", 2, &avail), 0,
		    "the day after: 2 units held (%lld left)", (long long)avail);
		ISF(rp_store_stock_reserve(st, order_ids[loser], counter_id,
		    RP_DEVICE_ROUTER, 1, "2027-03-17", "2027-03-20", 2, &avail),
		    RP_E_EXISTS, "the same order and kind twice: refused");
		ISF(rp_store_stock_reserve(st, order_ids[loser], counter_id,
		    RP_DEVICE_SIM, 3, "2027-03-17", "2027-03-20", 2, &avail),
		    RP_E_FULL, "3 SIMs of 2: sold out, %lld free", (long long)avail);
		OKF(avail == 2, "... and it says 2 are free");
		OKF(held(st, "2027-03-01", "2027-03-31", NULL) == NUNITS,
		    "over the month the most held on one day is still %d",
		    NUNITS);
		ISF(rp_store_stock_release(st, order_ids[winner]), 0,
		    "a winner cancels: its unit is let go");
		ISF(rp_store_stock_release(st, order_ids[winner]),
		    RP_E_NOTFOUND, "letting go twice: nothing held");
		OKF(held(st, "2027-03-09", "2027-03-16", NULL) == NUNITS - 1,
		    "9 held after the release");
		/* a second loser (the first holds 03-17 on already) */
		int other_loser = -1;

		for (int i = loser + 1; i < NORDERS && other_loser < 0; i++)
			if (results[i] == RP_E_FULL)
				other_loser = i;
		assert(other_loser > loser);
		ISF(rp_store_stock_reserve(st, order_ids[other_loser],
		    counter_id, RP_DEVICE_ROUTER, 1, "2027-03-09", "2027-03-16",
		    3, &avail), 0, "another racer takes the freed unit");
		OKF(held(st, "2027-03-09", "2027-03-16", NULL) == NUNITS,
		    "full again, never beyond");
	}
	ISF(rp_store_stock_reserve(st, order_ids[0], counter_id,
	    RP_DEVICE_ROUTER, 1, "2027-03-20", "2027-03-19", 1, &avail),
	    RP_E_INVAL, "a window that ends before it starts: refused");
	rp_store_free(st);
	tmpdir_remove(dir);
	return tap_done();
}
