-- SPDX-License-Identifier: ISC
-- 0001_init.sql — the first core store schema (SQLite dialect).
-- No personal data here: orders.person_id points into the person store
-- (persons.db today, the vault later).  No card data: only the payment
-- agent's token id, brand, last 4 digits and authorization id.
-- Money is integer yen; dates are 'YYYY-MM-DD' (Japan); times unix seconds.
-- Enumerations are text without CHECK lists so that new values need no
-- table rebuild; the store front (store.c) validates them.

CREATE TABLE tenants (
	id		INTEGER PRIMARY KEY,
	slug		TEXT NOT NULL UNIQUE,
	name		TEXT NOT NULL,
	billing		TEXT NOT NULL,			-- card | invoice
	settings	TEXT NOT NULL DEFAULT '{}',	-- site settings (JSON)
	created_at	INTEGER NOT NULL
);

CREATE TABLE plans (
	id		INTEGER PRIMARY KEY,
	code		TEXT NOT NULL UNIQUE,
	destination	TEXT NOT NULL,			-- ISO 3166 alpha-2 or region
	destination_name TEXT NOT NULL,
	device		TEXT NOT NULL,			-- router | sim | phone
	tier		TEXT NOT NULL,
	daily_yen	INTEGER NOT NULL CHECK (daily_yen >= 0),
	tax_bp		INTEGER NOT NULL CHECK (tax_bp BETWEEN 0 AND 10000),
	active		INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX plans_destination ON plans (destination, device);

-- A corporate client's negotiated daily price for a plan.
CREATE TABLE price_list (
	tenant_id	INTEGER NOT NULL REFERENCES tenants (id),
	plan_id		INTEGER NOT NULL REFERENCES plans (id),
	daily_yen	INTEGER NOT NULL CHECK (daily_yen >= 0),
	PRIMARY KEY (tenant_id, plan_id)
) WITHOUT ROWID;

CREATE TABLE options (
	id		INTEGER PRIMARY KEY,
	code		TEXT NOT NULL UNIQUE,
	name		TEXT NOT NULL,
	kind		TEXT NOT NULL,			-- insurance | accessory | device
	daily_yen	INTEGER NOT NULL CHECK (daily_yen >= 0),
	tax_bp		INTEGER NOT NULL CHECK (tax_bp BETWEEN 0 AND 10000)
);

CREATE TABLE counters (
	id		INTEGER PRIMARY KEY,
	code		TEXT NOT NULL UNIQUE,
	airport		TEXT NOT NULL,
	terminal	TEXT NOT NULL,
	name		TEXT NOT NULL,
	opens		TEXT NOT NULL,			-- HH:MM JST
	closes		TEXT NOT NULL,
	deadline_days	INTEGER NOT NULL,		-- order by deadline_hour:00,
	deadline_hour	INTEGER NOT NULL		-- deadline_days before departure
);

CREATE TABLE devices (
	id		INTEGER PRIMARY KEY,
	serial		TEXT NOT NULL UNIQUE,
	model		TEXT NOT NULL,
	kind		TEXT NOT NULL,
	status		TEXT NOT NULL,
	counter_id	INTEGER REFERENCES counters (id)	-- NULL: warehouse
);
CREATE INDEX devices_location ON devices (counter_id, status);

-- Pricing / cancellation / late-fee documents (src/domain/), versioned.
CREATE TABLE policies (
	id		INTEGER PRIMARY KEY,
	name		TEXT NOT NULL,
	version		INTEGER NOT NULL,
	json		TEXT NOT NULL,
	created_at	INTEGER NOT NULL,
	UNIQUE (name, version)
);

-- Staff logins.  Usernames are handles, not personal data.
CREATE TABLE staff (
	id		INTEGER PRIMARY KEY,
	username	TEXT NOT NULL UNIQUE,
	role		TEXT NOT NULL,
	tenant_id	INTEGER REFERENCES tenants (id),	-- client_admin only
	pw_hash		TEXT NOT NULL,			-- crypto_pwhash_str
	created_at	INTEGER NOT NULL
);

CREATE TABLE orders (
	id		INTEGER PRIMARY KEY,
	number		TEXT NOT NULL UNIQUE,		-- RP-XXXXXXXX
	tenant_id	INTEGER REFERENCES tenants (id),	-- NULL: public
	channel		TEXT NOT NULL,			-- public | corporate | counter
	person_id	INTEGER NOT NULL,		-- person store, not here
	plan_id		INTEGER NOT NULL REFERENCES plans (id),
	qty		INTEGER NOT NULL CHECK (qty BETWEEN 1 AND 99),
	order_date	TEXT NOT NULL,
	depart_date	TEXT NOT NULL,
	return_date	TEXT NOT NULL,
	pickup		TEXT NOT NULL,			-- counter | courier | post
	pickup_counter_id INTEGER REFERENCES counters (id),
	ret		TEXT NOT NULL,
	return_counter_id INTEGER REFERENCES counters (id),
	status		TEXT NOT NULL,
	subtotal_yen	INTEGER NOT NULL CHECK (subtotal_yen >= 0),
	tax_yen		INTEGER NOT NULL CHECK (tax_yen >= 0),
	total_yen	INTEGER NOT NULL CHECK (total_yen = subtotal_yen + tax_yen),
	policy_id	INTEGER REFERENCES policies (id),
	pay_token	TEXT NOT NULL DEFAULT '',	-- payment agent token id
	pay_brand	TEXT NOT NULL DEFAULT '',
	pay_last4	TEXT NOT NULL DEFAULT ''
	    CHECK (pay_last4 = '' OR length(pay_last4) = 4),
	pay_auth_id	TEXT NOT NULL DEFAULT '',
	created_at	INTEGER NOT NULL,
	updated_at	INTEGER NOT NULL
);
CREATE INDEX orders_order_date ON orders (order_date);
CREATE INDEX orders_depart_date ON orders (depart_date);
CREATE INDEX orders_tenant ON orders (tenant_id, id) WHERE tenant_id IS NOT NULL;
CREATE INDEX orders_person ON orders (person_id);

CREATE TABLE order_options (
	order_id	INTEGER NOT NULL REFERENCES orders (id),
	option_id	INTEGER NOT NULL REFERENCES options (id),
	qty		INTEGER NOT NULL CHECK (qty BETWEEN 1 AND 99),
	PRIMARY KEY (order_id, option_id)
) WITHOUT ROWID;

-- Status history: from_status NULL is the creation event.
CREATE TABLE order_events (
	id		INTEGER PRIMARY KEY,
	order_id	INTEGER NOT NULL REFERENCES orders (id),
	from_status	TEXT,
	to_status	TEXT NOT NULL,
	actor		TEXT NOT NULL,
	at		INTEGER NOT NULL,
	note		TEXT NOT NULL DEFAULT ''
);
CREATE INDEX order_events_order ON order_events (order_id, id);
