/* SPDX-License-Identifier: ISC */
/*
 * send.c — the mail sender: takes due messages from the outbox, fetches
 * each recipient's name and address through a callback (the vault, role
 * mailer, purpose "mail"), renders and delivers them, as .eml files under
 * DATA/mail/out/ (the default) or over SMTP with libcurl, and reschedules
 * failures with exponential backoff.  Runs in the mailer process
 * (mailer.c, a child of `rentport serve`).
 *
 * The recipient's name and address exist only in a struct rp_mail_rcpt and
 * the rendered message, both wiped after each message.  Log lines and
 * last_error name message ids, order numbers and error names: never an
 * address, a name, or an SMTP server's reply text (which may quote the
 * address).
 */
#include "util/common.h"
#include "auth/linkseal.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "mail/mail.h"
#include "mail/mail_int.h"
#include "util/log.h"
#include "vault/client.h"

#define SMTP_TIMEOUT_MS_DEFAULT	30000

struct due {
	uint64_t id;
	char kind[RP_MAIL_KIND_MAX + 1];
	char lang[3];
	char order[RP_MAIL_ORDER_MAX + 1];
	uint64_t person_id;
	char *params;		/* owned */
	unsigned attempts;
	int64_t created_at;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void
curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int
rp_mail_vault_fetch(void *arg, uint64_t person_id, const char *order,
    struct rp_mail_rcpt *out)
{
	struct rp_vault_client *vc = arg;
	struct rp_vault_caller c;
	struct rp_vault_record rec;
	struct rp_str name, addr;
	int r;

	memset(out, 0, sizeof(*out));
	memset(&rec, 0, sizeof(rec));
	if (vc == NULL)
		return RP_E_AGAIN;
	if ((r = rp_vault_caller_init(&c, "mailer", "mailer", "job:mail",
	    "mail")) != 0)
		return r;
	snprintf(c.scope_order, sizeof(c.scope_order), "%s", order);
	r = rp_vault_client_get(vc, &c, &person_id, 1,
	    (1u << RP_VF_NAME) | (1u << RP_VF_EMAIL), &rec);
	if (r == RP_E_CLOSED)
		r = RP_E_AGAIN;
	if (r != 0)
		goto out;
	if ((r = rec.status) != 0)
		goto out;
	name = rec.f[RP_VF_NAME];
	addr = rec.f[RP_VF_EMAIL];
	if (name.n > RP_MAIL_NAME_MAX || addr.n > RP_MAIL_ADDR_MAX) {
		r = RP_E_TOOBIG;
		goto out;
	}
	if (name.n > 0)
		memcpy(out->name, name.p, name.n);
	if (addr.n > 0)
		memcpy(out->addr, addr.p, addr.n);
	r = 0;
 out:
	rp_vault_record_release(&rec);
	return r;
}

/* Backoff after the n-th failed attempt (n ≥ 1): base × 2^(n-1), capped. */
static int64_t
backoff(const struct rp_mail_transport *t, unsigned n)
{
	int64_t d = t->backoff_base_s > 0 ? t->backoff_base_s :
	    RP_MAIL_BACKOFF_BASE;

	while (n-- > 1 && d < RP_MAIL_BACKOFF_CAP)
		d *= 2;
	return d < RP_MAIL_BACKOFF_CAP ? d : RP_MAIL_BACKOFF_CAP;
}

static int
mark(struct rp_mail_outbox *ob, uint64_t id, enum rp_mail_state s,
    unsigned attempts, int64_t next, const char *err, int64_t sent_at)
{
	sqlite3_stmt *st = NULL;
	int r = RP_E_DB;

	if (sqlite3_prepare_v2(ob->db, "UPDATE outbox SET state = ?,"
	    " attempts = ?, next_attempt_at = ?, last_error = ?, sent_at = ?"
	    " WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, rp_mail_state_name(s), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, (int)attempts);
	sqlite3_bind_int64(st, 3, next);
	if (err != NULL)
		sqlite3_bind_text(st, 4, err, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 4);
	if (sent_at != 0)
		sqlite3_bind_int64(st, 5, sent_at);
	else
		sqlite3_bind_null(st, 5);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)id);
	if (sqlite3_step(st) == SQLITE_DONE)
		r = 0;
 out:
	sqlite3_finalize(st);
	return r;
}

static bool
file_safe(const char *s)
{
	for (; *s != '\0'; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return false;
	return true;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return RP_E_IO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * out_dir/<order>-<kind>-<id>.eml, mode 0600: written to a temporary name,
 * fsynced, renamed, and the directory fsynced, so a reader sees a whole
 * message or none.
 */
static int
send_eml(const struct rp_mail_transport *t, const struct due *m,
    struct rp_str msg, const char **why)
{
	char tmp[4096], dst[4096];
	int fd = -1, dfd, r = RP_E_IO, n1, n2;

	if (mkdir(t->out_dir, 0700) != 0 && errno != EEXIST) {
		*why = "eml: mkdir";
		return RP_E_IO;
	}
	n1 = snprintf(tmp, sizeof(tmp), "%s/.tmp-%" PRIu64 "-%ld", t->out_dir,
	    m->id, (long)getpid());
	if (file_safe(m->order))
		n2 = snprintf(dst, sizeof(dst), "%s/%s-%s-%" PRIu64 ".eml",
		    t->out_dir, m->order, m->kind, m->id);
	else
		n2 = snprintf(dst, sizeof(dst), "%s/%s-%" PRIu64 ".eml",
		    t->out_dir, m->kind, m->id);
	if (n1 < 0 || n2 < 0 || (size_t)n1 >= sizeof(tmp) ||
	    (size_t)n2 >= sizeof(dst)) {
		*why = "eml: path too long";
		return RP_E_TOOBIG;
	}
	*why = "eml: write";
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) < 0)
		goto out;
	if (write_all(fd, msg.p, msg.n) != 0 || fsync(fd) != 0)
		goto out;
	if (close(fd) != 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	*why = "eml: rename";
	if (rename(tmp, dst) != 0)
		goto out;
	if ((dfd = open(t->out_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	*why = NULL;
	r = 0;
 out:
	if (fd >= 0)
		close(fd);
	if (r != 0)
		(void)unlink(tmp);
	return r;
}

struct upload {
	const char *p;
	size_t left;
};

static size_t
upload_read(char *dst, size_t size, size_t nmemb, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nmemb;

	if (n > u->left)
		n = u->left;
	memcpy(dst, u->p, n);
	u->p += n;
	u->left -= n;
	return n;
}

static int
send_smtp(const struct rp_mail_transport *t, const char *rcpt_addr,
    struct rp_str msg, char *why, size_t whylen)
{
	CURL *c = NULL;
	struct curl_slist *rcpt = NULL;
	struct upload u = { msg.p, msg.n };
	char from[RP_MAIL_ADDR_MAX + 3], to[RP_MAIL_ADDR_MAX + 3];
	long timeout = t->timeout_ms > 0 ? t->timeout_ms : SMTP_TIMEOUT_MS_DEFAULT;
	long code = 0;
	CURLcode cc;
	int r = RP_E_IO;

	(void)pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK) {
		snprintf(why, whylen, "smtp: curl init");
		return RP_E_IO;
	}
	snprintf(from, sizeof(from), "<%s>", t->from_addr);
	snprintf(to, sizeof(to), "<%s>", rcpt_addr);
	if ((c = curl_easy_init()) == NULL ||
	    (rcpt = curl_slist_append(NULL, to)) == NULL) {
		snprintf(why, whylen, "smtp: out of memory");
		r = RP_E_NOMEM;
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_URL, t->smtp_url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, upload_read);
	curl_easy_setopt(c, CURLOPT_READDATA, &u);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg.n);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if ((cc = curl_easy_perform(c)) != CURLE_OK) {
		/* The error name and the reply code only: the server's text
		 * may quote the address. */
		(void)curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		snprintf(why, whylen, "smtp: %s (reply %ld)",
		    curl_easy_strerror(cc), code);
		goto out;
	}
	r = 0;
 out:
	curl_slist_free_all(rcpt);
	if (c != NULL)
		curl_easy_cleanup(c);
	sodium_memzero(to, sizeof(to));
	return r;
}

/*
 * A "my order" link sealed to this sender (auth/linkseal.h): opened, and
 * checked to name this message's order, it becomes the "link" parameter.
 * 0 (m->params rewritten, or no sealed link), RP_E_DENIED (not ours, or
 * another order's: the message is dead), RP_E_NOMEM.
 */
static int
open_link(const struct rp_mail_transport *t, struct due *m)
{
	char order[40], url[RP_LINKSEAL_URL_MAX + 1];
	json_t *o, *v;
	char *out;
	int r = 0;

	if (strstr(m->params, "\"link_sealed\"") == NULL)
		return 0;
	if ((o = json_loads(m->params, 0, NULL)) == NULL ||
	    (v = json_object_get(o, "link_sealed")) == NULL ||
	    !json_is_string(v)) {
		json_decref(o);
		return 0;	/* the renderer judges it */
	}
	if (t->link_pk == NULL || t->link_sk == NULL ||
	    rp_linkseal_open(t->link_pk, t->link_sk, (struct rp_str){
	    json_string_value(v), json_string_length(v) }, order, url) != 0 ||
	    strcmp(order, m->order) != 0)
		r = RP_E_DENIED;
	else if (json_object_del(o, "link_sealed") != 0 ||
	    json_object_set_new(o, "link", json_string(url)) != 0 ||
	    (out = json_dumps(o, JSON_COMPACT)) == NULL)
		r = RP_E_NOMEM;
	else {
		sodium_memzero(m->params, strlen(m->params));
		free(m->params);
		m->params = out;
	}
	sodium_memzero(url, sizeof(url));
	json_decref(o);
	return r;
}

static int
load_due(struct rp_mail_outbox *ob, int64_t now, struct due *d, size_t *n)
{
	sqlite3_stmt *st = NULL;
	int r = RP_E_DB, rc;

	*n = 0;
	if (sqlite3_prepare_v2(ob->db, "SELECT id, kind, lang, order_number,"
	    " person_id, params, attempts, created_at FROM outbox WHERE state IN"
	    " ('queued', 'failed') AND next_attempt_at <= ?"
	    " ORDER BY next_attempt_at, id LIMIT ?", -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int(st, 2, RP_MAIL_BATCH);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < RP_MAIL_BATCH) {
		struct due *m = &d[*n];
		const unsigned char *s;

		memset(m, 0, sizeof(*m));
		m->id = (uint64_t)sqlite3_column_int64(st, 0);
		if ((s = sqlite3_column_text(st, 1)) != NULL)
			snprintf(m->kind, sizeof(m->kind), "%s", s);
		if ((s = sqlite3_column_text(st, 2)) != NULL)
			snprintf(m->lang, sizeof(m->lang), "%s", s);
		if ((s = sqlite3_column_text(st, 3)) != NULL)
			snprintf(m->order, sizeof(m->order), "%s", s);
		m->person_id = (uint64_t)sqlite3_column_int64(st, 4);
		s = sqlite3_column_text(st, 5);
		if ((m->params = strdup(s != NULL ? (const char *)s : "")) == NULL) {
			r = RP_E_NOMEM;
			goto out;
		}
		m->attempts = (unsigned)sqlite3_column_int(st, 6);
		m->created_at = sqlite3_column_int64(st, 7);
		(*n)++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		goto out;
	r = 0;
 out:
	sqlite3_finalize(st);
	return r;
}

/* A failed attempt: failed with backoff, or dead at max. */
static int
fail(struct rp_mail_outbox *ob, const struct rp_mail_transport *t,
    const struct due *m, unsigned max, int64_t now, const char *why,
    struct rp_mail_stats *st)
{
	unsigned a = m->attempts + 1;

	if (a >= max) {
		rp_log_warn("mail: message %" PRIu64 " order %s dead after %u"
		    " attempts: %s", m->id, m->order, a, why);
		st->dead++;
		return mark(ob, m->id, RP_MAIL_DEAD, a, now, why, 0);
	}
	rp_log_info("mail: message %" PRIu64 " order %s attempt %u failed,"
	    " retry in %" PRId64 " s: %s", m->id, m->order, a, backoff(t, a),
	    why);
	st->retried++;
	return mark(ob, m->id, RP_MAIL_FAILED, a, now + backoff(t, a), why, 0);
}

int
rp_mail_deliver_due(struct rp_mail_outbox *ob, rp_mail_fetch_fn fetch,
    void *fetch_arg, const struct rp_mail_transport *t, int64_t now,
    struct rp_mail_stats *stp)
{
	struct due *d = NULL;
	struct rp_mail_stats st0, *st = stp != NULL ? stp : &st0;
	struct rp_mail_rcpt *rc = NULL;
	struct rp_buf msg;
	unsigned max;
	size_t n = 0;
	int r;

	memset(st, 0, sizeof(*st));
	rp_buf_init(&msg, RP_MAIL_MSG_MAX);
	if (t == NULL || fetch == NULL || t->from_addr == NULL ||
	    !rp_mail_addr_valid(rp_str_c(t->from_addr)) ||
	    (t->from_name != NULL && !rp_mail_text_valid(rp_str_c(t->from_name))) ||
	    (t->kind == RP_MAIL_T_EML && t->out_dir == NULL) ||
	    (t->kind == RP_MAIL_T_SMTP && t->smtp_url == NULL) ||
	    (t->kind != RP_MAIL_T_EML && t->kind != RP_MAIL_T_SMTP))
		return RP_E_INVAL;
	if (sodium_init() < 0)
		return RP_E_NOMEM;
	max = t->max_attempts > 0 ? t->max_attempts : RP_MAIL_MAX_ATTEMPTS;
	if ((d = calloc(RP_MAIL_BATCH, sizeof(*d))) == NULL ||
	    (rc = sodium_malloc(sizeof(*rc))) == NULL) {
		r = RP_E_NOMEM;
		goto out;
	}
	if ((r = load_due(ob, now, d, &n)) != 0)
		goto out;
	for (size_t i = 0; i < n && r == 0; i++) {
		struct due *m = &d[i];
		char why[160];
		const char *ewhy = NULL;
		int s;

		sodium_memzero(rc, sizeof(*rc));
		if (msg.d != NULL)
			sodium_memzero(msg.d, msg.cap);
		rp_buf_reset(&msg);
		s = fetch(fetch_arg, m->person_id, m->order, rc);
		rc->name[RP_MAIL_NAME_MAX] = '\0';
		rc->addr[RP_MAIL_ADDR_MAX] = '\0';
		if (s == RP_E_AGAIN) {
			/* The vault or its log is down: not this message's
			 * fault.  Try again later; stop this batch. */
			rp_log_warn("mail: vault unavailable, message %" PRIu64
			    " order %s deferred", m->id, m->order);
			st->deferred++;
			r = mark(ob, m->id, m->attempts == 0 ? RP_MAIL_QUEUED :
			    RP_MAIL_FAILED, m->attempts, now + RP_MAIL_AGAIN_DELAY,
			    "vault unavailable", 0);
			break;
		}
		if (s == RP_E_NOTFOUND || s == RP_E_DENIED) {
			rp_log_warn("mail: message %" PRIu64 " order %s dead:"
			    " recipient %s", m->id, m->order, rp_strerror(s));
			st->dead++;
			snprintf(why, sizeof(why), "recipient: %s", rp_strerror(s));
			r = mark(ob, m->id, RP_MAIL_DEAD, m->attempts, now, why, 0);
			continue;
		}
		if (s != 0) {
			snprintf(why, sizeof(why), "fetch: %s", rp_strerror(s));
			r = fail(ob, t, m, max, now, why, st);
			continue;
		}
		if ((s = open_link(t, m)) != 0) {
			rp_log_warn("mail: message %" PRIu64 " order %s dead:"
			    " its link is not sealed to this sender for this "
			    "order", m->id, m->order);
			st->dead++;
			r = mark(ob, m->id, RP_MAIL_DEAD, m->attempts, now,
			    "link: not sealed for this order", 0);
			continue;
		}
		s = rp_mail_render(m->kind, m->lang, rp_str_c(m->params),
		    rp_str_c(t->from_name), rp_str_c(t->from_addr),
		    rp_str_c(rc->name), rp_str_c(rc->addr), m->id, m->created_at, now, &msg);
		if (s != 0) {
			/* Bad address or template values: no retry helps. */
			rp_log_warn("mail: message %" PRIu64 " order %s dead:"
			    " render %s", m->id, m->order, rp_strerror(s));
			st->dead++;
			snprintf(why, sizeof(why), "render: %s", rp_strerror(s));
			r = mark(ob, m->id, RP_MAIL_DEAD, m->attempts, now, why, 0);
			continue;
		}
		why[0] = '\0';
		if (t->kind == RP_MAIL_T_EML)
			s = send_eml(t, m, rp_buf_str(&msg), &ewhy);
		else
			s = send_smtp(t, rc->addr, rp_buf_str(&msg), why,
			    sizeof(why));
		if (s != 0) {
			if (ewhy != NULL)
				snprintf(why, sizeof(why), "%s", ewhy);
			r = fail(ob, t, m, max, now, why, st);
			continue;
		}
		rp_log_info("mail: message %" PRIu64 " order %s sent (%s, %s)",
		    m->id, m->order, m->kind, m->lang);
		st->sent++;
		r = mark(ob, m->id, RP_MAIL_SENT, m->attempts + 1, now, NULL, now);
	}
 out:
	if (d != NULL)
		for (size_t i = 0; i < RP_MAIL_BATCH; i++)
			free(d[i].params);
	free(d);
	if (rc != NULL)
		sodium_free(rc);	/* wipes */
	if (msg.d != NULL)
		sodium_memzero(msg.d, msg.cap);
	rp_buf_release(&msg);
	return r;
}
