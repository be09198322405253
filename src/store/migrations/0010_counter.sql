-- SPDX-License-Identifier: ISC
-- 0010_counter.sql — the airport counter (issue 13): units bound to the
-- order they went out with, what came back and in what condition, the
-- charges added at return, how an order was settled.  Unit states take
-- the counter's words: available, out, inspection (returned, awaiting
-- inspection and charging), repair, lost, retired.  The same on
-- PostgreSQL: migrations/pg/0010_counter.sql.

UPDATE devices SET status = 'available' WHERE status = 'in_stock';
UPDATE devices SET status = 'out' WHERE status = 'rented';
UPDATE devices SET status = 'repair' WHERE status = 'maintenance';

-- One row per unit an order took: out at a counter (or dispatched by
-- courier with a tracking number, out_counter_id NULL), back at any
-- counter (or by courier: back_at is the postmark's day).
CREATE TABLE order_units (
	id		INTEGER PRIMARY KEY,
	order_id	INTEGER NOT NULL REFERENCES orders (id),
	device_id	INTEGER NOT NULL REFERENCES devices (id),
	out_at		INTEGER NOT NULL,
	out_counter_id	INTEGER REFERENCES counters (id),
	tracking	TEXT NOT NULL DEFAULT '',
	back_at		INTEGER,			-- NULL: still out
	back_counter_id	INTEGER REFERENCES counters (id),
	condition	TEXT NOT NULL DEFAULT '' CHECK (condition IN ('', 'ok',
			    'damaged', 'parts_missing', 'lost'))
);
-- a unit is out with one order at a time: two counters scanning it at
-- once, one wins
CREATE UNIQUE INDEX order_units_out ON order_units (device_id)
    WHERE back_at IS NULL;
CREATE INDEX order_units_order ON order_units (order_id);

-- Charges added after the order was priced: late days, damage and loss
-- per item, a no-show's fee.  Tax-exclusive yen.
CREATE TABLE order_charges (
	id		INTEGER PRIMARY KEY,
	order_id	INTEGER NOT NULL REFERENCES orders (id),
	code		TEXT NOT NULL,		-- late, damage:device, loss:cable ...
	qty		INTEGER NOT NULL CHECK (qty BETWEEN 1 AND 999),
	amount_yen	INTEGER NOT NULL CHECK (amount_yen >= 0),
	created_at	INTEGER NOT NULL
);
CREATE INDEX order_charges_order ON order_charges (order_id);

ALTER TABLE orders ADD COLUMN settle_method TEXT NOT NULL DEFAULT '';
CREATE INDEX orders_pickup_day ON orders (pickup_counter_id, depart_date);
CREATE INDEX orders_return_day ON orders (return_counter_id, return_date);

-- the counter terminal (card present at paysim's terminal API) is a
-- payment operation like the others: the table again with 'terminal'
CREATE TABLE payments_new (
	id		INTEGER PRIMARY KEY,
	order_id	INTEGER NOT NULL REFERENCES orders (id),
	op		TEXT NOT NULL CHECK (op IN ('authorize', 'capture', 'void',
			    'refund', 'charge', 'terminal')),
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
	customer	TEXT NOT NULL DEFAULT '',
	payment_method	TEXT NOT NULL DEFAULT '',
	tries		INTEGER NOT NULL DEFAULT 0,
	next_try_at	INTEGER NOT NULL DEFAULT 0,
	created_at	INTEGER NOT NULL,
	updated_at	INTEGER NOT NULL,
	UNIQUE (order_id, op, attempt)
);
INSERT INTO payments_new SELECT id, order_id, op, attempt, idem_key,
    amount_yen, token, return_url, state, psp_id, psp_status, decline_code,
    next_url, brand, last4, exp_month, exp_year, customer, payment_method,
    tries, next_try_at, created_at, updated_at FROM payments;
DROP TABLE payments;
ALTER TABLE payments_new RENAME TO payments;
CREATE INDEX payments_due ON payments (state, next_try_at);
CREATE INDEX payments_psp ON payments (psp_id);
