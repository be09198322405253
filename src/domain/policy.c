/* SPDX-License-Identifier: ISC */
/*
 * policy.c — strict parsing of policy documents (JSON, via jansson) into
 * struct rp_policy, and the embedded default policy.
 *
 * Every object is checked for unknown keys before its members are read, so
 * that a misspelt key ("late_fee" for "late") fails loudly instead of
 * silently falling back to a default.  Error messages carry the key path
 * only — policies hold no personal data, but the message is still built
 * from sanitised key text so that it is safe for any log.
 */
#include "util/common.h"

#include <jansson.h>

#include "domain/date.h"
#include "domain/policy.h"
#include "util/embed.h"

#define PATH_MAX_LEN	96

struct ctx {
	char *err;
	size_t errlen;
};

/* Name tables, each NULL-ended so that check_keys() can use them. */
static const char *const device_names[RP_DEVICE__COUNT + 1] = {
	"router", "sim", "phone", NULL
};
static const char *const item_names[RP_ITEM__COUNT + 1] = {
	"device", "sim", "adapter", "battery", "cable", "case", NULL
};
static const char *const fee_names[RP_FEE__COUNT + 1] = {
	"suspension", "replacement", NULL
};
static const char *const fee_keys[RP_FEE__COUNT + 1] = {
	"suspension_yen", "replacement_yen", NULL
};

const char *
rp_device_name(enum rp_device d)
{
	if ((unsigned)d >= RP_DEVICE__COUNT)
		return "?";
	return device_names[d];
}

const char *
rp_item_name(enum rp_item i)
{
	if ((unsigned)i >= RP_ITEM__COUNT)
		return "?";
	return item_names[i];
}

static int
name_index(struct rp_str s, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (rp_str_eq_c(s, names[i]))
			return (int)i;
	return -1;
}

int
rp_device_from_name(struct rp_str s, enum rp_device *out)
{
	int i = name_index(s, device_names, RP_DEVICE__COUNT);

	if (i < 0)
		return RP_E_NOTFOUND;
	*out = (enum rp_device)i;
	return 0;
}

int
rp_item_from_name(struct rp_str s, enum rp_item *out)
{
	int i = name_index(s, item_names, RP_ITEM__COUNT);

	if (i < 0)
		return RP_E_NOTFOUND;
	*out = (enum rp_item)i;
	return 0;
}

/*
 * Records the first error only: later failures while unwinding would name
 * a parent key and hide the precise one.
 */
static int
fail(struct ctx *c, int code, const char *path, const char *key,
    const char *what)
{
	char safe[48];
	size_t i, j = 0;

	if (c->err == NULL || c->errlen == 0 || c->err[0] != '\0')
		return code;
	/* Keys come from the document: keep printable ASCII only. */
	for (i = 0; key != NULL && key[i] != '\0' && j + 1 < sizeof(safe); i++)
		safe[j++] = (key[i] >= 0x20 && key[i] < 0x7f) ? key[i] : '?';
	safe[j] = '\0';
	if (key == NULL)
		(void)snprintf(c->err, c->errlen, "%s: %s",
		    path[0] ? path : "(document)", what);
	else
		(void)snprintf(c->err, c->errlen, "%s%s%s: %s", path,
		    path[0] ? "." : "", safe, what);
	return code;
}

/* out = path "." key, truncated to PATH_MAX_LEN - 1 bytes. */
static void
join(char out[PATH_MAX_LEN], const char *path, const char *key)
{
	size_t j = 0, i;

	for (i = 0; path[i] != '\0' && j + 1 < PATH_MAX_LEN; i++)
		out[j++] = path[i];
	if (path[0] != '\0' && j + 1 < PATH_MAX_LEN)
		out[j++] = '.';
	for (i = 0; key[i] != '\0' && j + 1 < PATH_MAX_LEN; i++)
		out[j++] = key[i];
	out[j] = '\0';
}

/* RP_E_INVAL naming the first key of obj not in allowed (NULL-ended). */
static int
check_keys(struct ctx *c, json_t *obj, const char *path,
    const char *const *allowed)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(obj, key, v) {
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL)
			return fail(c, RP_E_INVAL, path, key, "unknown key");
	}
	return 0;
}

static int
get_obj(struct ctx *c, json_t *obj, const char *path, const char *key,
    bool required, json_t **out)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL)
		return required ? fail(c, RP_E_INVAL, path, key, "missing") : 0;
	if (!json_is_object(v))
		return fail(c, RP_E_INVAL, path, key, "must be an object");
	*out = v;
	return 0;
}

static int
get_int(struct ctx *c, json_t *obj, const char *path, const char *key,
    bool required, int64_t def, int64_t min, int64_t max, int64_t *out)
{
	json_t *v = json_object_get(obj, key);
	char what[64];
	json_int_t x;

	*out = def;
	(void)snprintf(what, sizeof(what), "must be an integer %" PRId64
	    "..%" PRId64, min, max);
	if (v == NULL)
		return required ? fail(c, RP_E_INVAL, path, key, "missing") : 0;
	if (!json_is_integer(v))
		return fail(c, RP_E_INVAL, path, key, what);
	x = json_integer_value(v);
	if (x < min || x > max)
		return fail(c, RP_E_RANGE, path, key, what);
	*out = (int64_t)x;
	return 0;
}

/* Same as get_int for values that fit an int (all our caps do). */
static int
get_small(struct ctx *c, json_t *obj, const char *path, const char *key,
    bool required, int def, int min, int max, int *out)
{
	int64_t v;
	int r;

	r = get_int(c, obj, path, key, required, def, min, max, &v);
	*out = (int)v;
	return r;
}

static int
get_yen(struct ctx *c, json_t *obj, const char *path, const char *key,
    bool required, int64_t *out)
{
	return get_int(c, obj, path, key, required, 0, 0, RP_POLICY_MAX_YEN,
	    out);
}

static int
get_bool(struct ctx *c, json_t *obj, const char *path, const char *key,
    bool def, bool *out)
{
	json_t *v = json_object_get(obj, key);

	*out = def;
	if (v == NULL)
		return 0;
	if (!json_is_boolean(v))
		return fail(c, RP_E_INVAL, path, key, "must be true or false");
	*out = json_is_true(v);
	return 0;
}

/* A string member; its bytes stay owned by the JSON tree. */
static int
get_string(struct ctx *c, json_t *obj, const char *path, const char *key,
    struct rp_str *out)
{
	json_t *v = json_object_get(obj, key);

	*out = RP_STR_NULL;
	if (v == NULL)
		return fail(c, RP_E_INVAL, path, key, "missing");
	if (!json_is_string(v))
		return fail(c, RP_E_INVAL, path, key, "must be a string");
	out->p = json_string_value(v);
	out->n = json_string_length(v);
	return 0;
}

bool
rp_code_valid(struct rp_str s)
{
	size_t i;

	if (s.n == 0 || s.n > RP_POLICY_CODE_MAX)
		return false;
	for (i = 0; i < s.n; i++) {
		char ch = s.p[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

static void
copy_code(char *dst, struct rp_str s)
{
	memcpy(dst, s.p, s.n);
	dst[s.n] = '\0';
}

static int
parse_days(struct ctx *c, json_t *root, struct rp_policy *p)
{
	static const char *const keys[] = {
		"rule", "utc_offset_minutes", "max_rental_days", NULL
	};
	struct rp_str rule;
	json_t *o;
	int r;

	if ((r = get_obj(c, root, "", "days", true, &o)) != 0 ||
	    (r = check_keys(c, o, "days", keys)) != 0 ||
	    (r = get_string(c, o, "days", "rule", &rule)) != 0)
		return r;
	if (!rp_str_eq_c(rule, "calendar_inclusive"))
		return fail(c, RP_E_INVAL, "days", "rule",
		    "must be \"calendar_inclusive\"");
	p->day_rule = RP_DAY_RULE_CALENDAR_INCLUSIVE;
	if ((r = get_small(c, o, "days", "utc_offset_minutes", true, 0,
	    RP_UTC_OFFSET_MIN, RP_UTC_OFFSET_MAX, &p->utc_offset_min)) != 0 ||
	    (r = get_small(c, o, "days", "max_rental_days", true, 0, 1,
	    RP_POLICY_MAX_DAYS, &p->max_rental_days)) != 0)
		return r;
	return 0;
}

static int
parse_tax(struct ctx *c, json_t *root, struct rp_policy *p)
{
	static const char *const keys[] = { "rate_bp", "rounding", NULL };
	struct rp_str mode;
	json_t *o;
	int r;

	if ((r = get_obj(c, root, "", "tax", true, &o)) != 0 ||
	    (r = check_keys(c, o, "tax", keys)) != 0 ||
	    (r = get_small(c, o, "tax", "rate_bp", true, 0, 0,
	    RP_POLICY_MAX_TAX_BP, &p->tax_bp)) != 0 ||
	    (r = get_string(c, o, "tax", "rounding", &mode)) != 0)
		return r;
	if (rp_str_eq_c(mode, "floor"))
		p->tax_rounding = RP_ROUND_FLOOR;
	else if (rp_str_eq_c(mode, "half_up"))
		p->tax_rounding = RP_ROUND_HALF_UP;
	else if (rp_str_eq_c(mode, "ceil"))
		p->tax_rounding = RP_ROUND_CEIL;
	else
		return fail(c, RP_E_INVAL, "tax", "rounding",
		    "must be \"floor\", \"half_up\" or \"ceil\"");
	return 0;
}

static int
parse_shipping_change(struct ctx *c, json_t *root, struct rp_policy *p)
{
	static const char *const skeys[] = {
		"courier_round_trip_yen", "courier_return_yen", NULL
	};
	static const char *const ckeys[] = { "deadline_days_before", NULL };
	json_t *o;
	int r;

	if ((r = get_obj(c, root, "", "shipping", true, &o)) != 0 ||
	    (r = check_keys(c, o, "shipping", skeys)) != 0 ||
	    (r = get_yen(c, o, "shipping", "courier_round_trip_yen", true,
	    &p->ship_courier_round_trip_yen)) != 0 ||
	    (r = get_yen(c, o, "shipping", "courier_return_yen", true,
	    &p->ship_courier_return_yen)) != 0)
		return r;
	if ((r = get_obj(c, root, "", "change", true, &o)) != 0 ||
	    (r = check_keys(c, o, "change", ckeys)) != 0 ||
	    (r = get_small(c, o, "change", "deadline_days_before", true, 0, 0,
	    RP_POLICY_MAX_DAYS, &p->change_deadline_days)) != 0)
		return r;
	return 0;
}

static int
parse_cancellation(struct ctx *c, json_t *root, struct rp_policy *p)
{
	static const char *const keys[] = {
		"from_days_before", "percent", "flat_yen", NULL
	};
	char path[PATH_MAX_LEN];
	json_t *a, *o;
	size_t i;
	int r;

	if ((a = json_object_get(root, "cancellation")) == NULL)
		return fail(c, RP_E_INVAL, "", "cancellation", "missing");
	if (!json_is_array(a) || json_array_size(a) == 0 ||
	    json_array_size(a) > RP_POLICY_MAX_CANCEL_TIERS)
		return fail(c, RP_E_INVAL, "", "cancellation",
		    "must be an array of 1..8 tiers");
	json_array_foreach(a, i, o) {
		struct rp_cancel_tier *t = &p->cancel[i];

		(void)snprintf(path, sizeof(path), "cancellation[%zu]", i);
		if (!json_is_object(o))
			return fail(c, RP_E_INVAL, path, NULL,
			    "must be an object");
		if ((r = check_keys(c, o, path, keys)) != 0 ||
		    (r = get_small(c, o, path, "from_days_before", true, 0, 0,
		    RP_POLICY_MAX_DAYS, &t->from_days_before)) != 0 ||
		    (r = get_small(c, o, path, "percent", true, 0, 0, 100,
		    &t->percent)) != 0 ||
		    (r = get_yen(c, o, path, "flat_yen", false,
		    &t->flat_yen)) != 0)
			return r;
		if (i > 0 && t->from_days_before >=
		    p->cancel[i - 1].from_days_before)
			return fail(c, RP_E_RANGE, path, "from_days_before",
			    "must be below the previous tier's");
		p->n_cancel = i + 1;
	}
	if (p->cancel[p->n_cancel - 1].from_days_before != 0)
		return fail(c, RP_E_RANGE, path, "from_days_before",
		    "the last tier must start at 0 (day of departure)");
	return 0;
}

static int
parse_late(struct ctx *c, json_t *root, struct rp_policy *p)
{
	static const char *const keys[] = {
		"per_day_yen", "cap_yen", "grace_days", "lost_after_days", NULL
	};
	char path[PATH_MAX_LEN];
	json_t *late, *o;
	size_t d;
	int r;

	if ((r = get_obj(c, root, "", "late", true, &late)) != 0 ||
	    (r = check_keys(c, late, "late", device_names)) != 0)
		return r;
	for (d = 0; d < RP_DEVICE__COUNT; d++) {
		struct rp_late_rule *l = &p->late[d];

		join(path, "late", device_names[d]);
		if ((r = get_obj(c, late, "late", device_names[d], true,
		    &o)) != 0 ||
		    (r = check_keys(c, o, path, keys)) != 0 ||
		    (r = get_yen(c, o, path, "per_day_yen", true,
		    &l->per_day_yen)) != 0 ||
		    (r = get_yen(c, o, path, "cap_yen", false,
		    &l->cap_yen)) != 0 ||
		    (r = get_small(c, o, path, "grace_days", false, 0, 0,
		    RP_POLICY_MAX_DAYS, &l->grace_days)) != 0 ||
		    (r = get_small(c, o, path, "lost_after_days", false, 0, 0,
		    RP_POLICY_MAX_DAYS, &l->lost_after_days)) != 0)
			return r;
	}
	return 0;
}

static int
parse_loss(struct ctx *c, json_t *root, struct rp_policy *p)
{
	static const char *const keys[] = {
		"loss_yen", "damage_yen", "insurable", NULL
	};
	char dpath[PATH_MAX_LEN], path[PATH_MAX_LEN];
	json_t *ld, *dev, *o;
	size_t d, i;
	int r;

	if ((r = get_obj(c, root, "", "loss_damage", true, &ld)) != 0 ||
	    (r = check_keys(c, ld, "loss_damage", device_names)) != 0)
		return r;
	for (d = 0; d < RP_DEVICE__COUNT; d++) {
		join(dpath, "loss_damage", device_names[d]);
		if ((r = get_obj(c, ld, "loss_damage", device_names[d], true,
		    &dev)) != 0 ||
		    (r = check_keys(c, dev, dpath, item_names)) != 0)
			return r;
		for (i = 0; i < RP_ITEM__COUNT; i++) {
			struct rp_loss_item *it = &p->loss[d][i];

			/* Every kit has its device; the rest is optional. */
			if ((r = get_obj(c, dev, dpath, item_names[i],
			    i == RP_ITEM_DEVICE, &o)) != 0)
				return r;
			if (o == NULL)
				continue;
			join(path, dpath, item_names[i]);
			if ((r = check_keys(c, o, path, keys)) != 0 ||
			    (r = get_yen(c, o, path, "loss_yen", true,
			    &it->loss_yen)) != 0 ||
			    (r = get_yen(c, o, path, "damage_yen", true,
			    &it->damage_yen)) != 0 ||
			    (r = get_bool(c, o, path, "insurable", true,
			    &it->insurable)) != 0)
				return r;
			it->present = true;
		}
	}
	return 0;
}

static int
parse_service_fees(struct ctx *c, json_t *root, struct rp_policy *p)
{
	json_t *o;
	size_t f;
	int r;

	if ((r = get_obj(c, root, "", "service_fees", true, &o)) != 0 ||
	    (r = check_keys(c, o, "service_fees", fee_keys)) != 0)
		return r;
	for (f = 0; f < RP_FEE__COUNT; f++)
		if ((r = get_yen(c, o, "service_fees", fee_keys[f], true,
		    &p->service_fee_yen[f])) != 0)
			return r;
	return 0;
}

static int
parse_waives(struct ctx *c, json_t *o, const char *path,
    struct rp_insurance *ins)
{
	char wpath[PATH_MAX_LEN + 32];
	json_t *a, *v;
	size_t i;
	int f;

	if ((a = json_object_get(o, "waives")) == NULL)
		return 0;
	if (!json_is_array(a) || json_array_size(a) > RP_FEE__COUNT)
		return fail(c, RP_E_INVAL, path, "waives",
		    "must be an array of fee names");
	json_array_foreach(a, i, v) {
		struct rp_str s;

		(void)snprintf(wpath, sizeof(wpath), "%s.waives[%zu]", path, i);
		if (!json_is_string(v))
			return fail(c, RP_E_INVAL, wpath, NULL,
			    "must be \"suspension\" or \"replacement\"");
		s.p = json_string_value(v);
		s.n = json_string_length(v);
		if ((f = name_index(s, fee_names, RP_FEE__COUNT)) < 0)
			return fail(c, RP_E_INVAL, wpath, NULL,
			    "must be \"suspension\" or \"replacement\"");
		ins->waives[f] = true;
	}
	return 0;
}

static int
parse_insurance(struct ctx *c, json_t *root, struct rp_policy *p)
{
	static const char *const keys[] = {
		"code", "daily_yen", "loss_covers_percent",
		"loss_no_report_covers_percent", "damage_covers_percent",
		"deductible_yen", "waives", NULL
	};
	char path[PATH_MAX_LEN];
	json_t *a, *o;
	size_t i, j;
	int r;

	if ((a = json_object_get(root, "insurance")) == NULL)
		return 0;
	if (!json_is_array(a) || json_array_size(a) > RP_POLICY_MAX_INSURANCE)
		return fail(c, RP_E_INVAL, "", "insurance",
		    "must be an array of at most 8 tiers");
	json_array_foreach(a, i, o) {
		struct rp_insurance *ins = &p->insurance[i];
		struct rp_str code;

		(void)snprintf(path, sizeof(path), "insurance[%zu]", i);
		if (!json_is_object(o))
			return fail(c, RP_E_INVAL, path, NULL,
			    "must be an object");
		if ((r = check_keys(c, o, path, keys)) != 0 ||
		    (r = get_string(c, o, path, "code", &code)) != 0)
			return r;
		if (!rp_code_valid(code))
			return fail(c, RP_E_INVAL, path, "code",
			    "must be 1..32 of A-Z a-z 0-9 _ -");
		for (j = 0; j < i; j++)
			if (rp_str_eq_c(code, p->insurance[j].code))
				return fail(c, RP_E_INVAL, path, "code",
				    "duplicate code");
		copy_code(ins->code, code);
		if ((r = get_yen(c, o, path, "daily_yen", true,
		    &ins->daily_yen)) != 0 ||
		    (r = get_small(c, o, path, "loss_covers_percent", true, 0,
		    0, 100, &ins->loss_covers_percent)) != 0 ||
		    (r = get_small(c, o, path, "loss_no_report_covers_percent",
		    false, ins->loss_covers_percent, 0, 100,
		    &ins->loss_no_report_covers_percent)) != 0 ||
		    (r = get_small(c, o, path, "damage_covers_percent", true, 0,
		    0, 100, &ins->damage_covers_percent)) != 0 ||
		    (r = get_yen(c, o, path, "deductible_yen", false,
		    &ins->deductible_yen)) != 0 ||
		    (r = parse_waives(c, o, path, ins)) != 0)
			return r;
		p->n_insurance = i + 1;
	}
	return 0;
}

static int
parse_counters(struct ctx *c, json_t *root, struct rp_policy *p)
{
	static const char *const keys[] = {
		"days_before", "cutoff_hour", NULL
	};
	char path[PATH_MAX_LEN];
	const char *key;
	json_t *obj, *o;
	int r;

	if ((r = get_obj(c, root, "", "counters", false, &obj)) != 0 ||
	    obj == NULL)
		return r;
	if (json_object_size(obj) > RP_POLICY_MAX_COUNTERS)
		return fail(c, RP_E_RANGE, "", "counters",
		    "at most 64 counters");
	json_object_foreach(obj, key, o) {
		struct rp_counter_default *cd = &p->counters[p->n_counters];
		struct rp_str code = rp_str_c(key);

		if (!rp_code_valid(code))
			return fail(c, RP_E_INVAL, "counters", key,
			    "counter code must be 1..32 of A-Z a-z 0-9 _ -");
		join(path, "counters", key);
		if (!json_is_object(o))
			return fail(c, RP_E_INVAL, path, NULL,
			    "must be an object");
		if ((r = check_keys(c, o, path, keys)) != 0 ||
		    (r = get_small(c, o, path, "days_before", true, 0, 0,
		    RP_POLICY_MAX_DAYS, &cd->rule.days_before)) != 0 ||
		    (r = get_small(c, o, path, "cutoff_hour", true, 0, 0, 24,
		    &cd->rule.cutoff_hour)) != 0)
			return r;
		copy_code(cd->code, code);
		p->n_counters++;
	}
	return 0;
}

/* "stock" (optional): the buffers around a rental that hold its unit. */
static int
parse_stock(struct ctx *c, json_t *root, struct rp_policy *p)
{
	static const char *const keys[] = {
		"inspection_days", "courier_days", NULL
	};
	json_t *o;
	int r;

	p->stock_inspection_days = 1;
	p->stock_courier_days = 2;
	if ((r = get_obj(c, root, "", "stock", false, &o)) != 0 || o == NULL)
		return r;
	if ((r = check_keys(c, o, "stock", keys)) != 0 ||
	    (r = get_small(c, o, "stock", "inspection_days", false, 1, 0, 14,
	    &p->stock_inspection_days)) != 0 ||
	    (r = get_small(c, o, "stock", "courier_days", false, 2, 0, 14,
	    &p->stock_courier_days)) != 0)
		return r;
	return 0;
}

static int
parse_root(struct ctx *c, json_t *root, struct rp_policy *p)
{
	static const char *const keys[] = {
		"version", "name", "days", "tax", "shipping", "change",
		"cancellation", "late", "loss_damage", "service_fees",
		"insurance", "counters", "stock", NULL
	};
	struct rp_str name;
	size_t i;
	int r;

	if (!json_is_object(root))
		return fail(c, RP_E_INVAL, "", NULL, "must be a JSON object");
	if ((r = check_keys(c, root, "", keys)) != 0 ||
	    (r = get_small(c, root, "", "version", true, 0, 1, 1000000,
	    &p->version)) != 0 ||
	    (r = get_string(c, root, "", "name", &name)) != 0)
		return r;
	if (name.n == 0 || name.n > RP_POLICY_NAME_MAX)
		return fail(c, RP_E_RANGE, "", "name", "must be 1..128 bytes");
	for (i = 0; i < name.n; i++)
		if ((unsigned char)name.p[i] < 0x20 || name.p[i] == 0x7f)
			return fail(c, RP_E_INVAL, "", "name",
			    "must not contain control characters");
	memcpy(p->name, name.p, name.n);
	p->name[name.n] = '\0';
	if ((r = parse_days(c, root, p)) != 0 ||
	    (r = parse_tax(c, root, p)) != 0 ||
	    (r = parse_shipping_change(c, root, p)) != 0 ||
	    (r = parse_cancellation(c, root, p)) != 0 ||
	    (r = parse_late(c, root, p)) != 0 ||
	    (r = parse_loss(c, root, p)) != 0 ||
	    (r = parse_service_fees(c, root, p)) != 0 ||
	    (r = parse_insurance(c, root, p)) != 0 ||
	    (r = parse_counters(c, root, p)) != 0 ||
	    (r = parse_stock(c, root, p)) != 0)
		return r;
	return 0;
}

int
rp_policy_parse(struct rp_str json, struct rp_policy *out, char *err,
    size_t errlen)
{
	struct ctx c = { err, errlen };
	json_error_t jerr;
	json_t *root = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (json.n > RP_POLICY_MAX_BYTES) {
		r = fail(&c, RP_E_TOOBIG, "", NULL, "document over 64 KiB");
		goto out;
	}
	if (json.n == 0 || json.p == NULL) {
		r = fail(&c, RP_E_INVAL, "", NULL, "empty document");
		goto out;
	}
	root = json_loadb(json.p, json.n, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		char what[96];

		/* jerr.text may quote document bytes; keep position only. */
		(void)snprintf(what, sizeof(what),
		    "malformed JSON at line %d column %d", jerr.line,
		    jerr.column);
		r = fail(&c, RP_E_INVAL, "", NULL, what);
		goto out;
	}
	r = parse_root(&c, root, out);
 out:
	json_decref(root);	/* NULL-safe */
	if (r != 0)
		memset(out, 0, sizeof(*out));
	return r;
}

static const struct rp_embed *
find_default(void)
{
	return rp_embed_find(RP_POLICY_DEFAULT_NAME);
}

struct rp_str
rp_policy_default_json(void)
{
	const struct rp_embed *e = find_default();
	struct rp_str s = RP_STR_NULL;

	if (e != NULL) {
		s.p = e->data;
		s.n = e->len;
	}
	return s;
}

int
rp_policy_load_default(struct rp_policy *out, char *err, size_t errlen)
{
	return rp_policy_parse(rp_policy_default_json(), out, err, errlen);
}

const struct rp_insurance *
rp_policy_insurance(const struct rp_policy *p, struct rp_str code)
{
	size_t i;

	for (i = 0; i < p->n_insurance; i++)
		if (rp_str_eq_c(code, p->insurance[i].code))
			return &p->insurance[i];
	return NULL;
}

int
rp_policy_counter_rule(const struct rp_policy *p, struct rp_str code,
    struct rp_counter_rule *out)
{
	size_t i;

	for (i = 0; i < p->n_counters; i++)
		if (rp_str_eq_c(code, p->counters[i].code)) {
			*out = p->counters[i].rule;
			return 0;
		}
	return RP_E_NOTFOUND;
}

int
rp_counter_rule_check(const struct rp_counter_rule *rule)
{
	if (rule->days_before < 0 || rule->days_before > RP_POLICY_MAX_DAYS ||
	    rule->cutoff_hour < 0 || rule->cutoff_hour > 24)
		return RP_E_RANGE;
	return 0;
}
