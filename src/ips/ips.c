/* SPDX-License-Identifier: ISC */
/*
 * ips.c — the shared IPS area (ips.h): token buckets, detector counters
 * and the ban table in one MAP_SHARED mapping made by serve's parent
 * before fork, read and written by every web worker thread (and by the
 * IPS child's sync).  Trusts nothing about the addresses it is given: they
 * only ever select hash slots (under a secret SipHash key) and are copied
 * as 16 bytes.  Holds addresses (personal data): nothing here logs them.
 */
#include "util/common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/mman.h>

#include <sodium.h>

#include "ips/ips.h"
#include "store/store.h"
#include "util/log.h"

/* Table sizes (entries) and the probe window: ~2 MiB in all. */
#define NBUCKETS	16384
#define NCOUNTERS	8192
#define NBANS		4096
#define NTENANTS	1024
#define PROBE		16

/* A token bucket; route 0 is the address's own, route i + 1 a strict one. */
struct bucket {
	struct rp_ips_addr a;
	uint32_t route;
	uint32_t used;
	int64_t milli;			/* tokens × 1000 */
	int64_t last_ms;
};

/* Fixed-window counters of one address, one per event. */
struct counter {
	struct rp_ips_addr a;
	uint32_t used;
	int64_t last_ms;
	struct {
		int64_t start_ms;
		uint32_t n;
	} ev[RP_IPS_EV_COUNT];
};

/* The failed access-code tries of one corporate tenant's gate (the
 * tenant's failure budget), in a fixed window; spent → closed until. */
struct gate {
	int64_t tenant;			/* 0: free slot */
	int64_t start_ms, last_ms;
	int64_t closed_until_ms;
	uint32_t n;
};

#define BAN_DIRTY	1u		/* new automatic ban, not in the store yet */

struct ban {
	struct rp_ips_addr a;
	uint32_t used, flags;
	int64_t until;			/* seconds */
	int64_t nft_until;		/* what the kernel set was told; 0: nothing */
	uint64_t epoch;			/* last sync that saw it in the store */
	char reason[RP_IPS_MAX_REASON + 1];
};

/* Automatic ban reasons, counted in the metrics. */
static const char *const reasons[] = { "scanner", "brute_force",
    "card_testing", "rate_limit" };
enum { R_SCANNER, R_BRUTE, R_CARD, R_RATE };

static const char *const event_names[RP_IPS_EV_COUNT] = { "not_found",
    "waf", "login_fail", "pay_attempt", "pay_decline", "rate_limited" };

struct rp_ips {
	pthread_mutex_t mu;		/* PTHREAD_PROCESS_SHARED, robust */
	unsigned char key[crypto_shorthash_KEYBYTES];
	struct rp_ips_limits lim;
	uint64_t epoch;
	/* relaxed atomics, outside the lock */
	uint64_t refused, limited, events[RP_IPS_EV_COUNT];
	uint64_t auto_bans[RP_ARRAY_LEN(reasons)], sync_errors;
	uint64_t gates_closed, gate_refused;
	struct bucket buckets[NBUCKETS];
	struct counter counters[NCOUNTERS];
	struct ban bans[NBANS];
	struct gate gates[NTENANTS];
};

static struct rp_ips *global;

static void
count(uint64_t *p)
{
	__atomic_fetch_add(p, 1, __ATOMIC_RELAXED);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
lock(struct rp_ips *ips)
{
	/* A worker killed while holding the lock: the tables are at worst
	 * one half-updated entry (never a pointer), so carry on. */
	if (pthread_mutex_lock(&ips->mu) == EOWNERDEAD)
		pthread_mutex_consistent(&ips->mu);
}

static void
unlock(struct rp_ips *ips)
{
	pthread_mutex_unlock(&ips->mu);
}

static size_t
slot(const struct rp_ips *ips, const struct rp_ips_addr *a, uint32_t route,
    size_t n)
{
	unsigned char in[20], h[crypto_shorthash_BYTES];
	uint64_t v;

	memcpy(in, a->b, 16);
	memcpy(in + 16, &route, 4);
	crypto_shorthash(h, in, sizeof(in), ips->key);
	memcpy(&v, h, sizeof(v));
	return (size_t)(v % n);
}

static bool
addr_eq(const struct rp_ips_addr *x, const struct rp_ips_addr *y)
{
	return memcmp(x->b, y->b, 16) == 0;
}

void
rp_ips_limits_from_conf(const struct rp_conf *c, struct rp_ips_limits *l)
{
	memset(l, 0, sizeof(*l));
	l->rate_per_s = c->ips_rate_per_s;
	l->burst = c->ips_burst;
	l->strict_per_min = c->ips_strict_per_min;
	l->strict_burst = c->ips_strict_burst;
	l->ban_s = c->ips_ban_s;
	l->scan_max = c->ips_scan_max;
	l->scan_window_s = c->ips_scan_window_s;
	l->waf_max = c->ips_waf_max;
	l->login_max = c->ips_login_max;
	l->login_window_s = c->ips_login_window_s;
	l->card_attempts_max = c->ips_card_attempts_max;
	l->card_declines_max = c->ips_card_declines_max;
	l->card_window_s = c->ips_card_window_s;
	l->rate_ban_after = c->ips_rate_ban_after;
	l->access_tenant_max = c->ips_access_tenant_max;
	l->access_tenant_window_s = c->ips_access_tenant_window_s;
}

struct rp_ips *
rp_ips_create(const struct rp_ips_limits *lim)
{
	pthread_mutexattr_t at;
	struct rp_ips *ips;
	void *p;
	int ok;

	if (sodium_init() < 0)
		return NULL;
	p = mmap(NULL, sizeof(struct rp_ips), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	ips = p;			/* anonymous mappings start zeroed */
	ips->lim = *lim;
	crypto_shorthash_keygen(ips->key);
	ok = pthread_mutexattr_init(&at) == 0;
	ok = ok && pthread_mutexattr_setpshared(&at, PTHREAD_PROCESS_SHARED) == 0;
	ok = ok && pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST) == 0;
	ok = ok && pthread_mutex_init(&ips->mu, &at) == 0;
	pthread_mutexattr_destroy(&at);
	if (!ok) {
		munmap(p, sizeof(struct rp_ips));
		return NULL;
	}
	return ips;
}

void
rp_ips_free(struct rp_ips *ips)
{
	if (ips == NULL)
		return;
	if (global == ips)
		global = NULL;
	pthread_mutex_destroy(&ips->mu);
	munmap(ips, sizeof(*ips));
}

void
rp_ips_set_global(struct rp_ips *ips)
{
	global = ips;
}

struct rp_ips *
rp_ips_global(void)
{
	return global;
}

/* ---- addresses --------------------------------------------------------- */

int
rp_ips_addr_from_sa(const struct sockaddr *sa, struct rp_ips_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (sa == NULL)
		return RP_E_INVAL;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		out->b[10] = out->b[11] = 0xff;
		memcpy(out->b + 12, &in->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		memcpy(out->b, &in6->sin6_addr, 16);
		return 0;
	}
	return RP_E_INVAL;
}

int
rp_ips_addr_parse(struct rp_str s, struct rp_ips_addr *out)
{
	char tmp[RP_IPS_ADDR_TEXT + 1];
	struct in_addr a4;

	memset(out, 0, sizeof(*out));
	if (s.n == 0 || s.n >= sizeof(tmp) || memchr(s.p, '\0', s.n) != NULL)
		return RP_E_INVAL;
	memcpy(tmp, s.p, s.n);
	tmp[s.n] = '\0';
	if (inet_pton(AF_INET, tmp, &a4) == 1) {
		out->b[10] = out->b[11] = 0xff;
		memcpy(out->b + 12, &a4, 4);
		return 0;
	}
	if (inet_pton(AF_INET6, tmp, out->b) == 1)
		return 0;
	memset(out, 0, sizeof(*out));
	return RP_E_INVAL;
}

bool
rp_ips_addr_is_v4(const struct rp_ips_addr *a)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };

	return memcmp(a->b, mapped, 12) == 0;
}

void
rp_ips_addr_key(const struct rp_ips_addr *a, struct rp_ips_addr *out)
{
	/* One IPv6 subscriber gets a /64 (RFC 6177 practice): its host half
	 * is the attacker's to choose, so only the prefix identifies it.
	 * (Copy first: a and out may be the same.) */
	struct rp_ips_addr k = *a;

	if (!rp_ips_addr_is_v4(&k))
		memset(k.b + 8, 0, 8);
	*out = k;
}

void
rp_ips_addr_format(const struct rp_ips_addr *a, char out[RP_IPS_ADDR_TEXT])
{
	if (rp_ips_addr_is_v4(a))
		inet_ntop(AF_INET, a->b + 12, out, RP_IPS_ADDR_TEXT);
	else
		inet_ntop(AF_INET6, a->b, out, RP_IPS_ADDR_TEXT);
}

bool
rp_ips_reason_ok(struct rp_str r)
{
	if (r.n == 0 || r.n > RP_IPS_MAX_REASON)
		return false;
	for (size_t i = 0; i < r.n; i++)
		if ((unsigned char)r.p[i] < 0x20 || (unsigned char)r.p[i] > 0x7e)
			return false;
	return true;
}

/* ---- bans ------------------------------------------------------------- */

/* The ban of a (active or not), or NULL; with the lock held. */
static struct ban *
ban_find(struct rp_ips *ips, const struct rp_ips_addr *a)
{
	size_t i = slot(ips, a, 0, NBANS);

	for (size_t k = 0; k < PROBE; k++) {
		struct ban *b = &ips->bans[(i + k) % NBANS];

		if (b->used && addr_eq(&b->a, a))
			return b;
	}
	return NULL;
}

/* A slot for a new ban of a: a free or expired one, else the ban that
 * expires first (it matters least); with the lock held. */
static struct ban *
ban_slot(struct rp_ips *ips, const struct rp_ips_addr *a, int64_t now_s)
{
	size_t i = slot(ips, a, 0, NBANS);
	struct ban *victim = NULL;

	for (size_t k = 0; k < PROBE; k++) {
		struct ban *b = &ips->bans[(i + k) % NBANS];

		if (!b->used || (b->until <= now_s && !(b->flags & BAN_DIRTY)))
			return memset(b, 0, sizeof(*b));
		if (victim == NULL || b->until < victim->until)
			victim = b;
	}
	return memset(victim, 0, sizeof(*victim));
}

static void
set_reason(struct ban *b, const char *reason)
{
	size_t n = strlen(reason);

	if (n > RP_IPS_MAX_REASON)
		n = RP_IPS_MAX_REASON;
	memcpy(b->reason, reason, n);
	b->reason[n] = '\0';
}

bool
rp_ips_banned_at(struct rp_ips *ips, const struct rp_ips_addr *addr,
    int64_t now)
{
	const struct ban *b;
	struct rp_ips_addr a;
	bool banned;

	if (ips == NULL)
		return false;
	rp_ips_addr_key(addr, &a);
	lock(ips);
	b = ban_find(ips, &a);
	banned = b != NULL && b->until * 1000 > now;
	unlock(ips);
	return banned;
}

bool
rp_ips_refuse(const struct sockaddr *sa)
{
	struct rp_ips_addr a;

	if (global == NULL || rp_ips_addr_from_sa(sa, &a) != 0)
		return false;
	if (!rp_ips_banned_at(global, &a, now_ms()))
		return false;
	count(&global->refused);
	return true;
}

void
rp_ips_count_refused(struct rp_ips *ips)
{
	if (ips != NULL)
		count(&ips->refused);
}

/* With the lock held: a new automatic ban (or a longer one). */
static void
ban_locked(struct rp_ips *ips, const struct rp_ips_addr *a, int64_t until,
    const char *reason, int64_t now)
{
	struct ban *b = ban_find(ips, a);

	if (b == NULL) {
		b = ban_slot(ips, a, now / 1000);
		b->a = *a;
		b->used = 1;
	} else if (b->until >= until && b->until * 1000 > now)
		return;			/* already banned for longer */
	b->until = until;
	b->flags |= BAN_DIRTY;
	set_reason(b, reason);
}

int
rp_ips_ban_at(struct rp_ips *ips, const struct rp_ips_addr *addr,
    int64_t until, const char *reason, int64_t now)
{
	struct rp_ips_addr a;

	if (ips == NULL)
		return RP_E_STATE;
	if (reason == NULL || !rp_ips_reason_ok(rp_str_c(reason)))
		return RP_E_INVAL;
	rp_ips_addr_key(addr, &a);
	lock(ips);
	ban_locked(ips, &a, until, reason, now);
	unlock(ips);
	return 0;
}

/* With the lock held: forgets a's counters (a ban starts it afresh). */
static void
counters_reset(struct rp_ips *ips, const struct rp_ips_addr *a)
{
	size_t i = slot(ips, a, 0, NCOUNTERS);

	for (size_t k = 0; k < PROBE; k++) {
		struct counter *c = &ips->counters[(i + k) % NCOUNTERS];

		if (c->used && addr_eq(&c->a, a))
			memset(c, 0, sizeof(*c));
	}
}

void
rp_ips_unban(struct rp_ips *ips, const struct rp_ips_addr *addr)
{
	struct rp_ips_addr a;
	struct ban *b;

	if (ips == NULL)
		return;
	rp_ips_addr_key(addr, &a);
	lock(ips);
	if ((b = ban_find(ips, &a)) != NULL)
		memset(b, 0, sizeof(*b));
	counters_reset(ips, &a);
	unlock(ips);
}

size_t
rp_ips_bans_at(struct rp_ips *ips, int64_t now, struct rp_ips_ban *out,
    size_t max)
{
	size_t n = 0;

	if (ips == NULL)
		return 0;
	lock(ips);
	for (size_t i = 0; i < NBANS && n < max; i++) {
		const struct ban *b = &ips->bans[i];

		if (!b->used || b->until * 1000 <= now)
			continue;
		out[n].addr = b->a;
		out[n].until = b->until;
		memcpy(out[n].reason, b->reason, sizeof(out[n].reason));
		n++;
	}
	unlock(ips);
	return n;
}

/* ---- token buckets ------------------------------------------------------ */

/*
 * Takes a token from the bucket (a, route) refilled at per_ms_milli
 * milli-tokens per ms (= tokens per second) up to cap tokens; with the
 * lock held.  0 or the seconds until a token is back.
 */
static unsigned
bucket_take(struct rp_ips *ips, const struct rp_ips_addr *a, uint32_t route,
    uint64_t rate_num, uint64_t rate_den, uint32_t cap, int64_t now)
{
	size_t i = slot(ips, a, route, NBUCKETS);
	struct bucket *b = NULL, *victim = NULL;
	int64_t full = (int64_t)cap * 1000, need;
	uint64_t ms;

	for (size_t k = 0; k < PROBE; k++) {
		struct bucket *x = &ips->buckets[(i + k) % NBUCKETS];

		if (x->used && x->route == route && addr_eq(&x->a, a)) {
			b = x;
			break;
		}
		/* Free, or LRU: the bucket touched longest ago (a full
		 * bucket is the same as a new one, so evicting it is free). */
		if (victim == NULL || !x->used ||
		    (victim->used && x->last_ms < victim->last_ms))
			victim = x;
	}
	if (b == NULL) {
		b = victim;
		b->a = *a;
		b->route = route;
		b->used = 1;
		b->milli = full;
		b->last_ms = now;
	}
	if (now > b->last_ms) {
		/* refill: elapsed ms × rate / 1000 tokens = elapsed × rate milli */
		uint64_t add = (uint64_t)(now - b->last_ms) * rate_num / rate_den;

		b->milli = add >= (uint64_t)full || b->milli + (int64_t)add > full ?
		    full : b->milli + (int64_t)add;
		b->last_ms = now;
	}
	if (b->milli >= 1000) {
		b->milli -= 1000;
		return 0;
	}
	/* ms until the missing milli-tokens are back, rounded up to seconds */
	need = 1000 - b->milli;
	ms = ((uint64_t)need * rate_den + rate_num - 1) / rate_num;
	ms = (ms + 999) / 1000;
	return ms > 0 ? (unsigned)ms : 1;
}

unsigned
rp_ips_take_at(struct rp_ips *ips, const struct rp_ips_addr *addr,
    unsigned route, bool strict, int64_t now)
{
	const struct rp_ips_limits *l;
	struct rp_ips_addr a;
	unsigned r = 0, s = 0;

	if (ips == NULL)
		return 0;
	l = &ips->lim;
	rp_ips_addr_key(addr, &a);
	lock(ips);
	if (l->rate_per_s > 0 && l->burst > 0)
		r = bucket_take(ips, &a, 0, l->rate_per_s, 1, l->burst, now);
	/* A request refused by the address's bucket does not also spend
	 * the strict one: the client gets the same answer either way. */
	if (r == 0 && strict && l->strict_per_min > 0 && l->strict_burst > 0)
		s = bucket_take(ips, &a, route + 1, l->strict_per_min, 60,
		    l->strict_burst, now);
	unlock(ips);
	if (r != 0 || s != 0)
		count(&ips->limited);
	return r > s ? r : s;
}

unsigned
rp_ips_take(const struct sockaddr *sa, unsigned route, bool strict)
{
	struct rp_ips_addr a;

	if (global == NULL || rp_ips_addr_from_sa(sa, &a) != 0)
		return 0;
	return rp_ips_take_at(global, &a, route, strict, now_ms());
}

/* ---- detectors ------------------------------------------------------------ */

bool
rp_ips_note_at(struct rp_ips *ips, int event, const struct rp_ips_addr *addr,
    int64_t now)
{
	const struct rp_ips_limits *l;
	struct rp_ips_addr key, *a = &key;
	struct counter *c = NULL, *victim = NULL;
	uint32_t max = 0, window_s = 0;
	int reason = R_SCANNER;
	bool banned = false;
	size_t i;

	if (ips == NULL || event < 0 || event >= RP_IPS_EV_COUNT)
		return false;
	l = &ips->lim;
	count(&ips->events[event]);
	switch (event) {
	case RP_IPS_EV_NOTFOUND:
		max = l->scan_max, window_s = l->scan_window_s;
		break;
	case RP_IPS_EV_WAF:
		max = l->waf_max, window_s = l->scan_window_s;
		break;
	case RP_IPS_EV_LOGIN_FAIL:
		max = l->login_max, window_s = l->login_window_s;
		reason = R_BRUTE;
		break;
	case RP_IPS_EV_PAY_ATTEMPT:
		max = l->card_attempts_max, window_s = l->card_window_s;
		reason = R_CARD;
		break;
	case RP_IPS_EV_PAY_DECLINE:
		max = l->card_declines_max, window_s = l->card_window_s;
		reason = R_CARD;
		break;
	case RP_IPS_EV_RATE_LIMITED:
		max = l->rate_ban_after, window_s = l->scan_window_s;
		reason = R_RATE;
		break;
	}
	if (max == 0 || window_s == 0)
		return false;		/* this detector is off */
	rp_ips_addr_key(addr, &key);
	lock(ips);
	i = slot(ips, a, 0, NCOUNTERS);
	for (size_t k = 0; k < PROBE; k++) {
		struct counter *x = &ips->counters[(i + k) % NCOUNTERS];

		if (x->used && addr_eq(&x->a, a)) {
			c = x;
			break;
		}
		if (victim == NULL || !x->used ||
		    (victim->used && x->last_ms < victim->last_ms))
			victim = x;
	}
	if (c == NULL) {
		c = memset(victim, 0, sizeof(*victim));
		c->a = *a;
		c->used = 1;
	}
	c->last_ms = now;
	if (now - c->ev[event].start_ms >= (int64_t)window_s * 1000 ||
	    now < c->ev[event].start_ms) {
		c->ev[event].start_ms = now;
		c->ev[event].n = 0;
	}
	if (++c->ev[event].n >= max) {
		ban_locked(ips, a, now / 1000 + (l->ban_s > 0 ? l->ban_s : 1),
		    reasons[reason], now);
		memset(c, 0, sizeof(*c));
		banned = true;
	}
	unlock(ips);
	if (banned) {
		count(&ips->auto_bans[reason]);
		/* The address is personal data: the log says what, not who. */
		rp_log_warn("ips: automatic ban (%s) for %u s; see rentport ban "
		    "list", reasons[reason], l->ban_s);
	}
	return banned;
}

void
rp_ips_note(int event, const struct sockaddr *sa)
{
	struct rp_ips_addr a;

	if (global == NULL || rp_ips_addr_from_sa(sa, &a) != 0)
		return;
	(void)rp_ips_note_at(global, event, &a, now_ms());
}

/* ---- the access gates' failure budgets ---------------------------------- */

/* How much a gate slot matters when a new tenant needs one: free 0,
 * open 1, closed 2 (evicting a closed gate would reopen it). */
static int
gate_rank(const struct gate *g, int64_t now)
{
	return g->tenant == 0 ? 0 : g->closed_until_ms > now ? 2 : 1;
}

/* The gate of tenant, or NULL; with create, a new one in the slot that
 * matters least (ties: the one touched longest ago); with the lock held. */
static struct gate *
gate_find(struct rp_ips *ips, int64_t tenant, bool create, int64_t now)
{
	struct rp_ips_addr k;
	struct gate *victim = NULL;
	size_t i;

	/* The tenant id through the same keyed hash as an address. */
	memset(&k, 0, sizeof(k));
	memcpy(k.b, &tenant, sizeof(tenant));
	i = slot(ips, &k, UINT32_MAX, NTENANTS);
	for (size_t n = 0; n < PROBE; n++) {
		struct gate *g = &ips->gates[(i + n) % NTENANTS];

		if (g->tenant == tenant)
			return g;
		if (victim == NULL || gate_rank(g, now) < gate_rank(victim, now) ||
		    (gate_rank(g, now) == gate_rank(victim, now) &&
		    g->last_ms < victim->last_ms))
			victim = g;
	}
	if (!create)
		return NULL;
	memset(victim, 0, sizeof(*victim));
	victim->tenant = tenant;
	return victim;
}

/* Seconds from now until ms, rounded up, at least 1. */
static unsigned
secs_until(int64_t ms, int64_t now)
{
	int64_t s = (ms - now + 999) / 1000;

	return s >= 1 ? (unsigned)(s > UINT32_MAX ? UINT32_MAX : s) : 1;
}

unsigned
rp_ips_gate_closed_at(struct rp_ips *ips, int64_t tenant, int64_t now)
{
	const struct gate *g;
	unsigned r = 0;

	if (ips == NULL || tenant <= 0 || ips->lim.access_tenant_max == 0)
		return 0;
	lock(ips);
	if ((g = gate_find(ips, tenant, false, now)) != NULL &&
	    g->closed_until_ms > now)
		r = secs_until(g->closed_until_ms, now);
	unlock(ips);
	if (r != 0)
		count(&ips->gate_refused);
	return r;
}

unsigned
rp_ips_gate_fail_at(struct rp_ips *ips, int64_t tenant, int64_t now)
{
	const struct rp_ips_limits *l;
	struct gate *g;
	int64_t window_ms;
	bool closed = false;
	unsigned r = 0;

	if (ips == NULL || tenant <= 0)
		return 0;
	l = &ips->lim;
	if (l->access_tenant_max == 0 || l->access_tenant_window_s == 0)
		return 0;		/* no budget */
	window_ms = (int64_t)l->access_tenant_window_s * 1000;
	lock(ips);
	g = gate_find(ips, tenant, true, now);
	g->last_ms = now;
	if (g->closed_until_ms > now) {
		r = secs_until(g->closed_until_ms, now);
		goto out;
	}
	if (now - g->start_ms >= window_ms || now < g->start_ms) {
		g->start_ms = now;
		g->n = 0;
	}
	if (++g->n >= l->access_tenant_max) {
		/* Spent: closed for a whole window from now, so that a
		 * distributed guesser gets at most access_tenant_max tries
		 * per window, whatever the number of its addresses. */
		g->closed_until_ms = now + window_ms;
		g->start_ms = g->closed_until_ms;
		g->n = 0;
		r = secs_until(g->closed_until_ms, now);
		closed = true;
	}
 out:
	unlock(ips);
	if (closed) {
		count(&ips->gates_closed);
		/* The tenant id is not personal data; no address here. */
		rp_log_warn("ips: access gate of tenant %" PRId64 " closed for "
		    "%u s (failed access codes over ips_access_tenant_max)",
		    tenant, l->access_tenant_window_s);
	}
	return r;
}

unsigned
rp_ips_gate_closed(int64_t tenant)
{
	return rp_ips_gate_closed_at(global, tenant, now_ms());
}

unsigned
rp_ips_gate_fail(int64_t tenant)
{
	return rp_ips_gate_fail_at(global, tenant, now_ms());
}

/* ---- sync with the store (the IPS child) --------------------------------- */

/* A dirty ban copied out of the area, to write to the store. */
struct pending {
	struct rp_ips_addr a;
	int64_t until;
	char reason[RP_IPS_MAX_REASON + 1];
};

static void
nft_ban_line(struct rp_buf *nft, const struct ban *b, int64_t now_s)
{
	char t[RP_IPS_ADDR_TEXT];

	rp_ips_addr_format(&b->a, t);
	rp_buf_printf(nft, "ban %s %" PRId64 "\n", t,
	    b->until - now_s > 0 ? b->until - now_s : 1);
}

int
rp_ips_sync(struct rp_ips *ips, struct rp_store *st, int64_t now,
    struct rp_buf *nft, bool nft_all)
{
	struct pending *pend = NULL;
	struct rp_ban *rows = NULL;
	size_t npend = 0, nrows = 0, i;
	int64_t now_s = now / 1000;
	uint64_t epoch;
	int r = 0, w;

	if ((pend = calloc(NBANS, sizeof(*pend))) == NULL)
		return RP_E_NOMEM;
	/* 1. New automatic bans → the store (outside the lock). */
	lock(ips);
	for (i = 0; i < NBANS; i++) {
		const struct ban *b = &ips->bans[i];

		if (b->used && (b->flags & BAN_DIRTY)) {
			pend[npend].a = b->a;
			pend[npend].until = b->until;
			memcpy(pend[npend].reason, b->reason, sizeof(b->reason));
			npend++;
		}
	}
	unlock(ips);
	for (i = 0; i < npend; i++) {
		struct rp_ban row;
		struct ban *b;

		memset(&row, 0, sizeof(row));
		rp_ips_addr_format(&pend[i].a, row.addr);
		row.until = pend[i].until;
		row.created_at = now_s;
		memcpy(row.reason, pend[i].reason, sizeof(row.reason));
		memcpy(row.source, "auto", 5);
		if ((w = rp_store_ban_put(st, &row, true)) != 0) {
			r = w;
			continue;	/* stays dirty: written next time */
		}
		lock(ips);
		if ((b = ban_find(ips, &pend[i].a)) != NULL &&
		    b->until == pend[i].until)
			b->flags &= ~BAN_DIRTY;
		unlock(ips);
	}
	free(pend);
	if (r != 0)
		goto out;

	/* 2. The store's active bans → the area; what the store no longer
	 * has (lifted by an operator, expired) leaves the area. */
	if ((r = rp_store_ban_list(st, now_s, false, &rows, &nrows)) != 0)
		goto out;
	lock(ips);
	epoch = ++ips->epoch;
	for (i = 0; i < nrows; i++) {
		struct rp_ips_addr a;
		struct ban *b;

		if (rp_ips_addr_parse(rp_str_c(rows[i].addr), &a) != 0)
			continue;	/* the store front refuses these */
		rp_ips_addr_key(&a, &a);	/* an IPv6 ban is its /64's */
		if ((b = ban_find(ips, &a)) == NULL) {
			b = ban_slot(ips, &a, now_s);
			b->a = a;
			b->used = 1;
		}
		if (!(b->flags & BAN_DIRTY) || rows[i].until >= b->until) {
			b->until = rows[i].until;
			set_reason(b, rows[i].reason);
		}
		b->epoch = epoch;
	}
	for (i = 0; i < NBANS; i++) {
		struct ban *b = &ips->bans[i];

		if (!b->used)
			continue;
		if (b->epoch != epoch && !(b->flags & BAN_DIRTY)) {
			/* lifted early: the kernel set must forget it too */
			if (nft != NULL && b->nft_until > now_s &&
			    b->until > now_s) {
				char t[RP_IPS_ADDR_TEXT];

				rp_ips_addr_format(&b->a, t);
				rp_buf_printf(nft, "unban %s\n", t);
			}
			counters_reset(ips, &b->a);
			memset(b, 0, sizeof(*b));
			continue;
		}
		if (nft != NULL && b->until > now_s &&
		    (nft_all || b->nft_until != b->until)) {
			nft_ban_line(nft, b, now_s);
			b->nft_until = b->until;
		}
	}
	unlock(ips);
 out:
	free(rows);
	if (r != 0)
		count(&ips->sync_errors);
	return r;
}

/* ---- metrics ---------------------------------------------------------- */

static uint64_t
get(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

int
rp_ips_metrics_render(struct rp_ips *ips, struct rp_buf *out)
{
	size_t i, active = 0;
	int64_t now_s = now_ms() / 1000;

	if (ips == NULL)
		return out->err;
	lock(ips);
	for (i = 0; i < NBANS; i++)
		if (ips->bans[i].used && ips->bans[i].until > now_s)
			active++;
	unlock(ips);
	rp_buf_printf(out,
	    "# HELP rentport_ips_refused_total Connections refused before HTTP (banned address).\n"
	    "# TYPE rentport_ips_refused_total counter\n"
	    "rentport_ips_refused_total %" PRIu64 "\n"
	    "# HELP rentport_ips_rate_limited_total Requests answered 429 by the rate limits.\n"
	    "# TYPE rentport_ips_rate_limited_total counter\n"
	    "rentport_ips_rate_limited_total %" PRIu64 "\n"
	    "# HELP rentport_ips_active_bans Addresses banned now.\n"
	    "# TYPE rentport_ips_active_bans gauge\n"
	    "rentport_ips_active_bans %zu\n"
	    "# HELP rentport_ips_sync_errors_total Failed ban synchronisations with the store.\n"
	    "# TYPE rentport_ips_sync_errors_total counter\n"
	    "rentport_ips_sync_errors_total %" PRIu64 "\n"
	    "# HELP rentport_ips_access_gates_closed_total Corporate access gates closed (tenant failure budget spent).\n"
	    "# TYPE rentport_ips_access_gates_closed_total counter\n"
	    "rentport_ips_access_gates_closed_total %" PRIu64 "\n"
	    "# HELP rentport_ips_access_gate_refused_total Access-code tries refused by a closed gate.\n"
	    "# TYPE rentport_ips_access_gate_refused_total counter\n"
	    "rentport_ips_access_gate_refused_total %" PRIu64 "\n",
	    get(&ips->refused), get(&ips->limited), active,
	    get(&ips->sync_errors), get(&ips->gates_closed),
	    get(&ips->gate_refused));
	rp_buf_add_c(out,
	    "# HELP rentport_ips_events_total Events seen by the IPS detectors.\n"
	    "# TYPE rentport_ips_events_total counter\n");
	for (i = 0; i < RP_IPS_EV_COUNT; i++)
		rp_buf_printf(out, "rentport_ips_events_total{event=\"%s\"} %"
		    PRIu64 "\n", event_names[i], get(&ips->events[i]));
	rp_buf_add_c(out,
	    "# HELP rentport_ips_bans_total Automatic bans, by reason.\n"
	    "# TYPE rentport_ips_bans_total counter\n");
	for (i = 0; i < RP_ARRAY_LEN(reasons); i++)
		rp_buf_printf(out, "rentport_ips_bans_total{reason=\"%s\"} %"
		    PRIu64 "\n", reasons[i], get(&ips->auto_bans[i]));
	return out->err;
}
