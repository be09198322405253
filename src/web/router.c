/* SPDX-License-Identifier: ISC */
/*
 * router.c — route table matching (see router.h).  Runs in the web
 * workers on paths already decoded and checked by rp_path_decode; the
 * table is static, trusted data.
 */
#include "util/common.h"
#include "web/router.h"

/* Matches pattern against path; on success fills m's parameters. */
static bool
pattern_match(const char *pattern, struct rp_str path,
    struct rp_route_match *m)
{
	struct rp_str pat = rp_str_c(pattern), ps, ss;

	m->nparams = 0;
	/* Both start with '/': compare segment by segment. */
	if (pat.n == 0 || pat.p[0] != '/' || path.n == 0 || path.p[0] != '/')
		return false;
	pat.p++, pat.n--;
	path.p++, path.n--;
	for (;;) {
		bool plast = !rp_str_split(&pat, '/', &ps);
		bool slast = !rp_str_split(&path, '/', &ss);

		if (plast)
			ps = pat;
		if (slast)
			ss = path;
		if (ps.n >= 2 && ps.p[0] == '{' && ps.p[ps.n - 1] == '}') {
			if (ss.n == 0 || m->nparams >= RP_ROUTE_MAX_PARAMS)
				return false;
			m->name[m->nparams] = (struct rp_str){ ps.p + 1, ps.n - 2 };
			m->value[m->nparams] = ss;
			m->nparams++;
		} else if (!rp_str_eq(ps, ss))
			return false;
		if (plast || slast)
			return plast && slast;
	}
}

static void
allow_add(char *allow, size_t allowsz, const char *method)
{
	size_t len;

	if (allowsz == 0)
		return;
	len = strlen(allow);
	if (strstr(allow, method) != NULL)
		return;
	snprintf(allow + len, allowsz - len, "%s%s", len ? ", " : "", method);
}

int
rp_route_match(const struct rp_route *table, size_t n, struct rp_str method,
    struct rp_str path, struct rp_route_match *m, char *allow, size_t allowsz)
{
	bool path_known = false;
	size_t i;

	memset(m, 0, sizeof(*m));
	if (allowsz > 0)
		allow[0] = '\0';
	for (i = 0; i < n; i++) {
		const struct rp_route *rt = &table[i];
		bool is_get = strcmp(rt->method, "GET") == 0;

		if (!pattern_match(rt->pattern, path, m))
			continue;
		if (rp_str_eq_c(method, rt->method) ||
		    (is_get && rp_str_eq_c(method, "HEAD"))) {
			m->route = rt;
			m->index = i;
			return 0;
		}
		path_known = true;
		allow_add(allow, allowsz, rt->method);
		if (is_get)
			allow_add(allow, allowsz, "HEAD");
	}
	memset(m, 0, sizeof(*m));
	return path_known ? RP_E_DENIED : RP_E_NOTFOUND;
}

int
rp_route_param(const struct rp_route_match *m, const char *name,
    struct rp_str *value)
{
	size_t i;

	*value = RP_STR_NULL;
	for (i = 0; i < m->nparams; i++) {
		if (rp_str_eq_c(m->name[i], name)) {
			*value = m->value[i];
			return 0;
		}
	}
	return RP_E_NOTFOUND;
}
