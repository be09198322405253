/* SPDX-License-Identifier: ISC */
/*
 * stock.c — what an order holds of the stock (store.h, "stock"), and what
 * to offer when that is sold out.
 *
 * An order for pickup at a counter holds qty units of its plan's device
 * kind at that counter; one delivered by courier holds them at the
 * warehouse (pool 0).  The hold runs from the departure date (less the
 * policy's courier days when delivered) to the return date plus its
 * inspection days (plus courier days when it comes back by courier or
 * post): a unit is neither in the traveller's hands nor on the shelf while
 * it travels or is checked and charged.  The store takes the hold in the
 * order's own transaction, so two orders for the last unit cannot both win;
 * the count here, before the traveller goes to the vault, only spares a
 * vault record for an order that would be refused anyway.
 */
#include "util/common.h"
#include "util/log.h"
#include "order/order_int.h"
#include "store/store.h"

int
order_stock_window(const struct order_policy *pol, int kind, int qty,
    int pickup, int64_t counter_id, int ret, struct rp_date dep,
    struct rp_date retd, struct rp_stock_hold *h)
{
	struct rp_date from, until;
	int inspect, courier, r;

	memset(h, 0, sizeof(*h));
	order_policy_stock_days(pol, &inspect, &courier);
	h->counter_id = pickup == RP_HANDOVER_COUNTER ? counter_id : 0;
	h->kind = kind;
	h->qty = qty;
	if ((r = rp_date_add_days(dep, pickup == RP_HANDOVER_COUNTER ? 0 :
	    -courier, &from)) != 0 ||
	    (r = rp_date_add_days(retd, inspect + (ret == RP_HANDOVER_COUNTER ?
	    0 : courier), &until)) != 0 ||
	    (r = rp_date_format(from, h->from)) != 0 ||
	    (r = rp_date_format(until, h->until)) != 0)
		return r;
	return 0;
}

/* Units free on every day of h's window. */
static int
free_on(struct rp_store *st, const struct rp_stock_hold *h, int64_t *free)
{
	int64_t units = 0, held = 0;
	int r;

	*free = 0;
	if ((r = rp_store_stock_count(st, h->counter_id, h->kind, h->from,
	    h->until, &units, &held)) != 0)
		return r;
	*free = units > held ? units - held : 0;
	return 0;
}

static void
alt_add(struct rp_order_errors *errs, const struct rp_counter *c,
    const struct rp_plan *pl, int64_t free)
{
	struct rp_order_alt *a;

	if (errs->n_alt >= RP_ORDER_MAX_ALTS)
		return;
	a = &errs->alt[errs->n_alt++];
	memset(a, 0, sizeof(*a));
	if (c != NULL) {
		snprintf(a->counter, sizeof(a->counter), "%s", c->code);
		snprintf(a->airport, sizeof(a->airport), "%s", c->airport);
	}
	snprintf(a->plan, sizeof(a->plan), "%s", pl->code);
	snprintf(a->device, sizeof(a->device), "%s",
	    rp_device_kind_name(pl->device));
	a->available = free;
}

/* The same trip of plan pl, picked up at c (NULL: by courier): offered
 * when it has qty free. */
static int
try_alt(struct rp_store *st, const struct order_policy *pol,
    const struct rp_plan *pl, const struct rp_counter *c,
    const struct order_trip *t, struct rp_order_errors *errs)
{
	struct rp_stock_hold h;
	int64_t free = 0;
	int r;

	/* a counter whose order deadline for this departure has passed is
	 * no alternative (the order there would be refused) */
	if (c != NULL && t->now != 0 && order_counter_deadline(pol,
	    c->deadline_days, c->deadline_hour, t->dep, t->now) == RP_E_DENIED)
		return 0;
	if ((r = order_stock_window(pol, pl->device, t->qty, c != NULL ?
	    RP_HANDOVER_COUNTER : RP_HANDOVER_COURIER, c != NULL ? c->id : 0,
	    t->ret, t->dep, t->retd, &h)) != 0 ||
	    (r = free_on(st, &h, &free)) != 0)
		return r;
	if (free >= t->qty)
		alt_add(errs, c, pl, free);
	return 0;
}

int
order_stock_sold_out(struct rp_store *st, const struct order_policy *pol,
    const struct rp_plan *plan, const struct order_trip *t, int field,
    struct rp_order_errors *errs)
{
	struct rp_counter *ctrs = NULL;
	const struct rp_counter *here = NULL;
	struct rp_plan *plans = NULL;
	size_t nctrs = 0, nplans = 0, i;
	bool seen[RP_DEVICE_KIND_COUNT] = { false };
	int r;

	if (field < 0)
		field = t->pickup == RP_HANDOVER_COUNTER ? RP_OF_PICKUP_COUNTER :
		    RP_OF_DEPART;
	rp_order_err_add(errs, field, "sold_out");
	errs->n_alt = 0;
	if ((r = rp_store_counter_list(st, &ctrs, &nctrs)) != 0 ||
	    (r = rp_store_plan_list(st, plan->destination, -1, true, &plans,
	    &nplans)) != 0)
		goto out;
	for (i = 0; i < nctrs; i++)
		if (t->pickup == RP_HANDOVER_COUNTER && ctrs[i].id == t->counter_id)
			here = &ctrs[i];
	/* 1. the same plan at another counter of the same airport */
	for (i = 0; i < nctrs && here != NULL; i++)
		if (&ctrs[i] != here &&
		    strcmp(ctrs[i].airport, here->airport) == 0 &&
		    (r = try_alt(st, pol, plan, &ctrs[i], t, errs)) != 0)
			goto out;
	/* 2. another device for the destination, same counter or courier */
	seen[plan->device] = true;
	for (i = 0; i < nplans; i++) {
		if (plans[i].device < 0 || plans[i].device >= RP_DEVICE_KIND_COUNT ||
		    seen[plans[i].device])
			continue;
		seen[plans[i].device] = true;
		if ((r = try_alt(st, pol, &plans[i], here, t, errs)) != 0)
			goto out;
	}
	/* 3. courier delivery of the same plan, then other airports */
	if (here != NULL && (r = try_alt(st, pol, plan, NULL, t, errs)) != 0)
		goto out;
	for (i = 0; i < nctrs; i++)
		if (&ctrs[i] != here && (here == NULL ||
		    strcmp(ctrs[i].airport, here->airport) != 0) &&
		    (r = try_alt(st, pol, plan, &ctrs[i], t, errs)) != 0)
			goto out;
 out:
	free(ctrs);
	free(plans);
	return r != 0 ? r : RP_E_FULL;
}

int
order_stock_check(struct rp_store *st, const struct order_policy *pol,
    const struct rp_plan *plan, const struct order_trip *t,
    struct rp_stock_hold *h, struct rp_order_errors *errs)
{
	int64_t free = 0;
	int r;

	if ((r = order_stock_window(pol, plan->device, t->qty, t->pickup,
	    t->counter_id, t->ret, t->dep, t->retd, h)) != 0 ||
	    (r = free_on(st, h, &free)) != 0)
		return r;
	if (free >= t->qty)
		return 0;
	return order_stock_sold_out(st, pol, plan, t, -1, errs);
}
