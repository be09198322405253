-- SPDX-License-Identifier: ISC
-- 0009_stock.sql — stock that never oversells (issue 13).  A pool per
-- counter × device kind is the row a reservation locks; a reservation
-- holds qty units of the pool over [from_date, until_date] (JST dates: the
-- rental days widened by shipping and the inspection/charging buffer);
-- availability is the pool's usable units less the most held on any day
-- of a window.  Every change of a unit's state is kept in device_events.
-- The same tables on PostgreSQL: migrations/pg/0009_stock.sql.

CREATE TABLE stock_pools (
	counter_id	INTEGER NOT NULL,	-- a counter's id; 0 = the warehouse
	kind		TEXT NOT NULL,
	PRIMARY KEY (counter_id, kind)
);

CREATE TABLE stock_reservations (
	id		INTEGER PRIMARY KEY,
	order_id	INTEGER NOT NULL REFERENCES orders (id),
	counter_id	INTEGER NOT NULL,	-- the pool's (0 = warehouse)
	kind		TEXT NOT NULL,
	qty		INTEGER NOT NULL CHECK (qty BETWEEN 1 AND 99),
	from_date	TEXT NOT NULL,
	until_date	TEXT NOT NULL CHECK (until_date >= from_date),
	created_at	INTEGER NOT NULL,
	UNIQUE (order_id, kind)
);
-- a window's reservations: those that end on or after its first day
CREATE INDEX stock_res_pool ON stock_reservations (counter_id, kind,
    until_date);

CREATE TABLE device_events (
	id		INTEGER PRIMARY KEY,
	device_id	INTEGER NOT NULL REFERENCES devices (id),
	at		INTEGER NOT NULL,
	actor		TEXT NOT NULL,
	from_status	TEXT,
	to_status	TEXT NOT NULL,
	counter_id	INTEGER REFERENCES counters (id),
	order_id	INTEGER REFERENCES orders (id),
	note		TEXT NOT NULL DEFAULT ''
);
CREATE INDEX device_events_device ON device_events (device_id, id);
CREATE INDEX devices_pool ON devices (counter_id, kind, status);
