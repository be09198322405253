/* SPDX-License-Identifier: ISC */
/*
 * cli.c — `rentport pay`: the operator's (and, until the counter screens
 * exist, the settlement desk's) view of an order's payments, and the money
 * operations at settlement.  It only records rows in the payment outbox;
 * paylink, a child of the running `rentport serve`, sends them.  Nothing
 * here holds a secret of the payment agent.
 *
 *   rentport pay show NUMBER
 *   rentport pay capture NUMBER [--extra-yen=N]   settle: capture the hold
 *        (the order total), and charge N more (late, damage or loss fees)
 *        on the card saved at the agent
 *   rentport pay refund NUMBER --yen=N            refund part of a capture
 */
#include "util/common.h"

#include <inttypes.h>
#include <time.h>

#include "paylink/paylink.h"
#include "store/store.h"

static const char *const op_names[] = { "authorize", "capture", "void",
    "refund", "charge", "terminal" };
static const char *const state_names[] = { "queued", "action", "done",
    "failed", "unknown" };

static void
show_row(const struct rp_payment *p)
{
	printf("  %-9s #%d  %8" PRId64 " yen  %-7s %-22s %s%s%s%s\n",
	    op_names[p->op], p->attempt, p->amount_yen, state_names[p->state],
	    p->psp_status, p->psp_id, p->decline_code[0] ? "  declined: " : "",
	    p->decline_code, p->brand[0] ? "" : "");
}

static int
show(struct rp_store *st, const struct rp_order *o)
{
	struct rp_payment p;
	int any = 0;

	printf("order %s: %s, total %" PRId64 " yen%s%s%s%s\n", o->number,
	    rp_order_status_name(o->status), o->total_yen,
	    o->pay_brand[0] ? ", card " : "", o->pay_brand,
	    o->pay_last4[0] ? " •••• " : "", o->pay_last4);
	for (int op = RP_PAY_AUTHORIZE; op <= RP_PAY_OP_LAST; op++)
		if (rp_store_payment_last(st, o->id, op, &p) == 0) {
			show_row(&p);
			any = 1;
		}
	if (!any)
		printf("  no payments\n");
	return 0;
}

/* Queues op and waits for paylink (up to 20 s); prints the outcome. */
static int
queue(struct rp_store *st, struct rp_payment *p)
{
	int r;

	if ((r = rp_store_payment_new(st, p)) != 0) {
		fprintf(stderr, "rentport pay: cannot record the %s: %s\n",
		    op_names[p->op], rp_strerror(r));
		return 1;
	}
	if ((r = rp_pay_wait(st, p->id, 20000, p)) != 0) {
		printf("  %s queued; paylink has not answered yet (is rentport "
		    "serve running?): it will be sent with key %s\n",
		    op_names[p->op], p->idem_key);
		return 0;
	}
	show_row(p);
	return p->state == RP_PAY_DONE ? 0 : 1;
}

static int
parse_yen(const char *arg, const char *name, int64_t *out)
{
	size_t n = strlen(name);
	uint64_t v;

	if (strncmp(arg, name, n) != 0 ||
	    rp_str_to_u64(rp_str_c(arg + n), 100000000, &v) != 0)
		return RP_E_INVAL;
	*out = (int64_t)v;
	return 0;
}

int
rp_pay_cmd(const struct rp_conf *conf, int argc, char **argv)
{
	struct rp_payment auth, p;
	struct rp_store *st = NULL;
	struct rp_order o;
	int64_t extra = 0, yen = -1;
	int rc = 2, r, i;

	bool help = false, known;

	for (i = 0; i < argc; i++)
		help |= strcmp(argv[i], "--help") == 0;
	known = argc >= 1 && (strcmp(argv[0], "show") == 0 ||
	    strcmp(argv[0], "capture") == 0 || strcmp(argv[0], "refund") == 0);
	if (help || argc < 2 || !known) {
		/* before the store is opened: a wrong call changes nothing */
		if (!help && argc >= 1 && !known)
			fprintf(stderr, "rentport pay: unknown command \"%s\"\n",
			    argv[0]);
		printf("usage: rentport pay show NUMBER\n"
		    "       rentport pay capture NUMBER [--extra-yen=N]\n"
		    "       rentport pay refund NUMBER --yen=N\n"
		    "Records settlement money operations in the payment outbox;\n"
		    "paylink (in rentport serve) sends them to the payment agent.\n");
		return help ? 0 : 2;
	}
	for (i = 2; i < argc; i++)
		if (parse_yen(argv[i], "--extra-yen=", &extra) != 0 &&
		    parse_yen(argv[i], "--yen=", &yen) != 0) {
			fprintf(stderr, "rentport pay: bad argument \"%s\"\n",
			    argv[i]);
			return 2;
		}
	if ((r = rp_store_open(conf->data_dir, &st)) != 0) {
		fprintf(stderr, "rentport pay: cannot open the store in %s: %s\n",
		    conf->data_dir, rp_strerror(r));
		return 2;
	}
	if (rp_store_order_get(st, argv[1], &o) != 0) {
		fprintf(stderr, "rentport pay: no order %s\n", argv[1]);
		goto out;
	}
	if (strcmp(argv[0], "show") == 0) {
		rc = show(st, &o);
		goto out;
	}
	if (rp_store_payment_last(st, o.id, RP_PAY_AUTHORIZE, &auth) != 0 ||
	    auth.state != RP_PAY_DONE) {
		fprintf(stderr, "rentport pay: order %s has no authorized card "
		    "payment\n", o.number);
		rc = 1;
		goto out;
	}
	memset(&p, 0, sizeof(p));
	p.order_id = o.id;
	snprintf(p.psp_id, sizeof(p.psp_id), "%s", auth.psp_id);
	if (strcmp(argv[0], "capture") == 0) {
		p.op = RP_PAY_CAPTURE;
		p.amount_yen = auth.amount_yen < o.total_yen ? auth.amount_yen :
		    o.total_yen;
		rc = queue(st, &p);
		if (rc == 0 && extra > 0) {
			/* beyond the hold: a merchant-initiated charge on the
			 * card saved at the agent */
			memset(&p, 0, sizeof(p));
			p.order_id = o.id;
			p.op = RP_PAY_CHARGE;
			p.amount_yen = extra;
			snprintf(p.customer, sizeof(p.customer), "%s", auth.customer);
			snprintf(p.payment_method, sizeof(p.payment_method), "%s",
			    auth.payment_method);
			rc = queue(st, &p);
		}
	} else if (strcmp(argv[0], "refund") == 0 && yen > 0) {
		p.op = RP_PAY_REFUND;
		p.amount_yen = yen;
		rc = queue(st, &p);
	} else {
		fprintf(stderr, "rentport pay: unknown command or missing --yen "
		    "(try rentport pay --help)\n");
		rc = 2;
	}
 out:
	rp_store_free(st);
	return rc;
}
