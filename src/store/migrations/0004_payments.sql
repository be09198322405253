-- SPDX-License-Identifier: ISC
-- 0004_payments.sql — the payment outbox between the sites and paylink
-- (src/paylink/), and the webhook events paylink has already handled.
--
-- payments: one row per money operation on an order, written BEFORE the
-- payment agent is called (the outbox), with its deterministic
-- Idempotency-Key "order:<id>:<op>:<attempt>": paylink may send a row any
-- number of times (after a crash, a timeout) and the agent acts once.
-- A new attempt (another card after a decline) is a new row.  Card data
-- never comes here: token is the agent's single-use token id, brand,
-- last4 and expiry are the agent's answer.
-- webhook_events: event ids already applied (deliveries repeat).

CREATE TABLE payments (
	id		INTEGER PRIMARY KEY,
	order_id	INTEGER NOT NULL REFERENCES orders (id),
	op		TEXT NOT NULL CHECK (op IN ('authorize', 'capture', 'void',
			    'refund', 'charge')),
	attempt		INTEGER NOT NULL CHECK (attempt >= 1),
	idem_key	TEXT NOT NULL UNIQUE,
	amount_yen	INTEGER NOT NULL CHECK (amount_yen >= 0),
	token		TEXT NOT NULL DEFAULT '',
	return_url	TEXT NOT NULL DEFAULT '',
	state		TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued',
			    'action', 'done', 'failed', 'unknown')),
	psp_id		TEXT NOT NULL DEFAULT '',
	psp_status	TEXT NOT NULL DEFAULT '',
	decline_code	TEXT NOT NULL DEFAULT '',
	next_url	TEXT NOT NULL DEFAULT '',
	brand		TEXT NOT NULL DEFAULT '',
	last4		TEXT NOT NULL DEFAULT '',
	exp_month	INTEGER NOT NULL DEFAULT 0,
	exp_year	INTEGER NOT NULL DEFAULT 0,
	customer	TEXT NOT NULL DEFAULT '',	-- saved card at the agent
	payment_method	TEXT NOT NULL DEFAULT '',
	tries		INTEGER NOT NULL DEFAULT 0,
	next_try_at	INTEGER NOT NULL DEFAULT 0,
	created_at	INTEGER NOT NULL,
	updated_at	INTEGER NOT NULL,
	UNIQUE (order_id, op, attempt)
);
CREATE INDEX payments_due ON payments (state, next_try_at);
CREATE INDEX payments_psp ON payments (psp_id);

CREATE TABLE webhook_events (
	id		TEXT PRIMARY KEY,
	type		TEXT NOT NULL,
	received_at	INTEGER NOT NULL
) WITHOUT ROWID;
