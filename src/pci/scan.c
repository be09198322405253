/* SPDX-License-Identifier: ISC */
/*
 * scan.c — the card-number scanner and `rentport scan-pan` (see scan.h).
 */
#include "util/common.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pci/scan.h"

/*
 * Issuer prefixes (ranges of the first digits) and lengths of the card
 * schemes rentport could ever see.  Public IIN tables; a range is
 * [lo, hi] over the first `len` digits.
 */
static const struct scheme {
	const char *name;
	unsigned plen;			/* digits of the prefix */
	unsigned lo, hi;		/* prefix range */
	unsigned minlen, maxlen;	/* card number lengths */
} schemes[] = {
	{ "visa", 1, 4, 4, 13, 19 },
	{ "mastercard", 2, 51, 55, 16, 16 },
	{ "mastercard", 4, 2221, 2720, 16, 16 },
	{ "amex", 2, 34, 34, 15, 15 },
	{ "amex", 2, 37, 37, 15, 15 },
	{ "jcb", 4, 3528, 3589, 16, 19 },
	{ "diners", 3, 300, 305, 14, 19 },
	{ "diners", 2, 36, 36, 14, 19 },
	{ "diners", 2, 38, 39, 16, 19 },
	{ "discover", 4, 6011, 6011, 16, 19 },
	{ "discover", 3, 644, 649, 16, 19 },
	{ "discover", 2, 65, 65, 16, 19 },
	{ "unionpay", 2, 62, 62, 16, 19 },
};

static bool
luhn(const char *d, size_t n)
{
	unsigned sum = 0;
	bool dbl = false;

	for (size_t i = n; i > 0; i--) {
		unsigned v = (unsigned)(d[i - 1] - '0');

		if (dbl && (v *= 2) > 9)
			v -= 9;
		sum += v;
		dbl = !dbl;
	}
	return sum % 10 == 0;
}

bool
rp_pan_check(const char *d, size_t n, const char **scheme)
{
	if (n < RP_PAN_MIN || n > RP_PAN_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (d[i] < '0' || d[i] > '9')
			return false;
	for (size_t i = 0; i < RP_ARRAY_LEN(schemes); i++) {
		const struct scheme *s = &schemes[i];
		unsigned p = 0;

		if (n < s->minlen || n > s->maxlen)
			continue;
		for (unsigned k = 0; k < s->plen; k++)
			p = p * 10 + (unsigned)(d[k] - '0');
		if (p < s->lo || p > s->hi || !luhn(d, n))
			continue;
		if (scheme != NULL)
			*scheme = s->name;
		return true;
	}
	return false;
}

void
rp_pan_scan_init(struct rp_pan_scanner *s, rp_pan_hit_fn fn, void *arg)
{
	memset(s, 0, sizeof(*s));
	s->fn = fn;
	s->arg = arg;
}

static bool
is_letter(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static void
hit(struct rp_pan_scanner *s, unsigned g, unsigned from, unsigned n,
    const char *scheme)
{
	struct rp_pan_hit h;

	memset(&h, 0, sizeof(h));
	h.offset = s->start + s->goff[g];
	h.digits = n;
	h.scheme = scheme;
	for (unsigned i = 0; i < n; i++)
		h.masked[i] = i < 6 || i >= n - 4 ? s->d[from + i] : '*';
	s->hits++;
	if (s->fn != NULL)
		s->fn(s->arg, &h);
	memset(&h, 0, sizeof(h));
}

/*
 * True if groups [a, b) of the run are sized like a printed card number:
 * 4-4-4-4, 4-6-5, 4-6-4, 4-4-4-4-3 — a first group of exactly 4 digits
 * (every scheme prints it so) and none shorter than 3.  Hex dumps ("42 92
 * 98 …"), dates and a log line's "422 19406 18794" are not.
 */
static bool
groups_ok(const struct rp_pan_scanner *s, unsigned a, unsigned b, unsigned n)
{
	if (b == a + 1)
		return true;	/* one group: an unspaced number between others */
	for (unsigned k = a; k < b; k++) {
		unsigned end = k + 1 < s->ng ? s->group[k + 1] : n;

		if (end - s->group[k] < 3 || (k == a && end - s->group[k] != 4))
			return false;
	}
	return true;
}

/* The run ended before byte c (or at the end, or after a separator: c < 0). */
static void
run_end(struct rp_pan_scanner *s, int c)
{
	const char *scheme;
	unsigned n = s->nd < RP_PAN_RUN ? s->nd : RP_PAN_RUN;

	if (s->word || (c >= 0 && is_letter((uint8_t)c)))
		goto out;
	if (s->nd >= RP_PAN_MIN && s->nd <= RP_PAN_MAX &&
	    (!s->grouped || groups_ok(s, 0, s->ng, n)) &&
	    rp_pan_check(s->d, s->nd, &scheme)) {
		hit(s, 0, 0, s->nd, scheme);
		goto out;
	}
	/* a grouped run: every other stretch of whole groups */
	for (unsigned a = 0; s->grouped && a < s->ng; a++)
		for (unsigned b = a + 1; b <= s->ng; b++) {
			unsigned from = s->group[a];
			unsigned to = b < s->ng ? s->group[b] : n;

			if (to - from > RP_PAN_MAX)
				break;
			if (a == 0 && b == s->ng && n == s->nd)
				continue;	/* the whole run: done above */
			if (to - from >= RP_PAN_MIN && (b < s->ng || n == s->nd) &&
			    groups_ok(s, a, b, to) &&
			    rp_pan_check(s->d + from, to - from, &scheme))
				hit(s, a, from, to - from, scheme);
		}
 out:
	memset(s->d, 0, sizeof(s->d));
	s->nd = 0;
	s->ng = 0;
	s->sep = false;
	s->grouped = false;
}

void
rp_pan_scan_feed(struct rp_pan_scanner *s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++, s->pos++) {
		uint8_t c = p[i];

		if (c >= '0' && c <= '9') {
			if (s->nd == 0) {
				s->start = s->pos;
				s->ng = 0;
			}
			if (s->sep)
				s->grouped = true;	/* a second group begins */
			if ((s->nd == 0 || s->sep) && s->nd < RP_PAN_RUN &&
			    s->ng < RP_PAN_RUN && s->pos - s->start <= UINT8_MAX) {
				s->goff[s->ng] = (uint8_t)(s->pos - s->start);
				s->group[s->ng++] = (uint8_t)s->nd;
			}
			if (s->nd < RP_PAN_RUN)
				s->d[s->nd] = (char)c;
			if (s->nd < UINT32_MAX)
				s->nd++;
			s->sep = false;
			continue;
		}
		if ((c == ' ' || c == '-') && s->nd > 0 && !s->sep) {
			/* one separator inside a run: wait for the next byte */
			s->sep = true;
			continue;
		}
		if (s->nd > 0)
			run_end(s, s->sep ? -1 : c);
		s->word = is_letter(c);
	}
}

uint64_t
rp_pan_scan_end(struct rp_pan_scanner *s)
{
	if (s->nd > 0)
		run_end(s, -1);
	return s->hits;
}

/* ---- rentport scan-pan ---------------------------------------------------- */

struct cli {
	const char *path;
	uint64_t files, bytes, hits;
	int errors;
};

static void
report(void *arg, const struct rp_pan_hit *h)
{
	struct cli *c = arg;

	printf("%s: offset %llu: %s card number %s (%u digits)\n", c->path,
	    (unsigned long long)h->offset, h->scheme, h->masked, h->digits);
}

static void
scan_file(struct cli *c, const char *path, int fd)
{
	static uint8_t buf[1 << 16];
	struct rp_pan_scanner s;
	ssize_t n;

	c->path = path;
	rp_pan_scan_init(&s, report, c);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		rp_pan_scan_feed(&s, buf, (size_t)n);
		c->bytes += (uint64_t)n;
	}
	if (n < 0) {
		fprintf(stderr, "scan-pan: %s: %s\n", path, strerror(errno));
		c->errors++;
	}
	c->hits += rp_pan_scan_end(&s);
	c->files++;
}

static void
scan_path(struct cli *c, const char *path, unsigned depth)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	int fd;

	if (depth > 64) {
		fprintf(stderr, "scan-pan: %s: too deep\n", path);
		c->errors++;
		return;
	}
	if (lstat(path, &st) != 0) {
		fprintf(stderr, "scan-pan: %s: %s\n", path, strerror(errno));
		c->errors++;
		return;
	}
	if (S_ISLNK(st.st_mode))
		return;		/* not followed: each file once, inside the tree */
	if (S_ISDIR(st.st_mode)) {
		if ((d = opendir(path)) == NULL) {
			fprintf(stderr, "scan-pan: %s: %s\n", path, strerror(errno));
			c->errors++;
			return;
		}
		while ((de = readdir(d)) != NULL) {
			char sub[4096];

			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path,
			    de->d_name) >= sizeof(sub)) {
				fprintf(stderr, "scan-pan: %s/…: path too long\n",
				    path);
				c->errors++;
				continue;
			}
			scan_path(c, sub, depth + 1);
		}
		closedir(d);
		return;
	}
	if (!S_ISREG(st.st_mode))
		return;		/* sockets, fifos, devices */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		fprintf(stderr, "scan-pan: %s: %s\n", path, strerror(errno));
		c->errors++;
		return;
	}
	scan_file(c, path, fd);
	close(fd);
}

int
rp_scan_pan_cmd(int argc, char **argv)
{
	struct cli c;
	int i;

	memset(&c, 0, sizeof(c));
	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("usage: rentport scan-pan [PATH…]\n"
			    "  Looks for card numbers (13-19 digits, optionally "
			    "grouped by spaces or dashes,\n  with a card scheme's "
			    "prefix and a valid Luhn check digit) in files and\n"
			    "  directories (recursively; symbolic links are not "
			    "followed), or standard input\n  without PATH.  Prints "
			    "file and offset, never a number in full.\n"
			    "  Exit status: 0 none found, 1 found, 2 a path could "
			    "not be read.\n");
			return 0;
		}
	if (argc == 0)
		scan_file(&c, "(stdin)", 0);
	for (i = 0; i < argc; i++)
		scan_path(&c, argv[i], 0);
	fprintf(stderr, "scan-pan: %llu card number(s) in %llu file(s), "
	    "%llu bytes%s\n", (unsigned long long)c.hits,
	    (unsigned long long)c.files, (unsigned long long)c.bytes,
	    c.errors ? " (some paths could not be read)" : "");
	if (c.hits > 0)
		return 1;
	return c.errors ? 2 : 0;
}
