/* SPDX-License-Identifier: ISC */
/*
 * witness.c — the witness's state, keys and decisions (no HTTP; see
 * http.c).  Runs in the witness process.  It trusts only its own files in
 * DATA/witness/ and the log keys the operator configured; each
 * add-checkpoint body is untrusted until a trusted log signature verifies,
 * and even then it is only accepted if it extends what was cosigned
 * before.  The key, name, vkey and state files are replaced atomically
 * (temporary, fsync, rename, directory fsync); the state is durable before
 * any cosignature leaves the process, so a crash can never make the
 * witness cosign two inconsistent trees.
 */
#include "util/common.h"

#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alog/b64.h"
#include "alog/note.h"
#include "util/log.h"
#include "witness/witness.h"
#include "witness/witness_int.h"

#define STATE_MAGIC	"witness-state/v1"
#define MAX_SMALL_FILE	(64 * 1024)

/*
 * Lines a client can cause are rate-limited (util/log.h), so that nobody
 * can flood rentport.log through the witness: alarms (each is still in
 * alarms.log, itself limited), older checkpoints, an unusable log key.
 */
static struct rp_log_limit lim_alarm = RP_LOG_LIMIT(RP_WITNESS_ALARMS_PER_MIN);
static struct rp_log_limit lim_older = RP_LOG_LIMIT(10);
static struct rp_log_limit lim_vkey = RP_LOG_LIMIT(5);

/* ---- Small files, written atomically ---- */

/*
 * Reads a whole small file dir/name into out.  0; RP_E_NOTFOUND (no such
 * file); RP_E_TOOBIG; RP_E_IO.  *mode gets its permission bits if not NULL.
 */
static int
read_file_at(int dirfd, const char *name, struct rp_buf *out, mode_t *mode)
{
	char chunk[4096];
	struct stat st;
	ssize_t k;
	int fd, r = 0;

	if ((fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return errno == ENOENT ? RP_E_NOTFOUND : RP_E_IO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		r = RP_E_IO;
		goto out;
	}
	if (mode != NULL)
		*mode = st.st_mode & 07777;
	for (;;) {
		if ((k = read(fd, chunk, sizeof(chunk))) < 0) {
			if (errno == EINTR)
				continue;
			r = RP_E_IO;
			goto out;
		}
		if (k == 0)
			break;
		if ((r = rp_buf_add(out, chunk, (size_t)k)) != 0)
			goto out;
	}
 out:
	close(fd);
	return r;
}

static int
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t k;

	while (n > 0) {
		if ((k = write(fd, c, n)) < 0) {
			if (errno == EINTR)
				continue;
			return RP_E_IO;
		}
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

int
rp_witness_write_atomic(int dirfd, const char *name, const void *p, size_t n,
    mode_t mode)
{
	char tmp[128];
	int fd = -1, r = RP_E_IO;

	if (snprintf(tmp, sizeof(tmp), ".%s.tmp", name) >= (int)sizeof(tmp))
		return RP_E_INVAL;
	(void)unlinkat(dirfd, tmp, 0);	/* left over from a crash */
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, mode);
	if (fd < 0)
		goto out;
	if (fchmod(fd, mode) != 0 || write_all(fd, p, n) != 0 ||
	    fsync(fd) != 0)
		goto out;
	if (close(fd) != 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (renameat(dirfd, tmp, dirfd, name) != 0)
		goto out;
	/* The rename is durable only once the directory is. */
	if (fsync(dirfd) != 0) {
		r = RP_E_IO;
		rp_log_error("witness: fsync of the state directory: %s",
		    strerror(errno));
		return r;
	}
	return 0;
 out:
	rp_log_error("witness: cannot write %s: %s", name, strerror(errno));
	if (fd >= 0)
		close(fd);
	(void)unlinkat(dirfd, tmp, 0);
	return r;
}

int
rp_witness_read_file(struct rp_witness *w, const char *name,
    struct rp_buf *out)
{
	return read_file_at(w->dirfd, name, out, NULL);
}

/* Strips one trailing "\n". */
static struct rp_str
chomp(struct rp_str s)
{
	if (s.n > 0 && s.p[s.n - 1] == '\n')
		s.n--;
	return s;
}

/* ---- Trusted log keys ---- */

static int
add_log_key(struct rp_witness *w, struct rp_str vkey)
{
	struct rp_note_verifier v;
	size_t i;

	if (rp_note_verifier_parse(vkey, &v) != 0 ||
	    v.alg != RP_NOTE_ALG_ED25519)
		return RP_E_INVAL;
	for (i = 0; i < w->nlogs; i++)
		if (w->logs[i].id == v.id &&
		    rp_str_eq(rp_str_c(w->logs[i].name), rp_str_c(v.name)))
			return 0;
	if (w->nlogs == RP_WITNESS_MAX_LOGS)
		return RP_E_TOOBIG;
	w->logs[w->nlogs++] = v;
	return 0;
}

/*
 * Called with the mutex held when a request arrives and no log key is
 * known: the log writer writes DATA/alog/vkey at its first start, which
 * may come after ours.
 */
static void
load_alog_vkey(struct rp_witness *w)
{
	char path[RP_CONF_PATH_MAX + 32];
	struct rp_buf b;
	int r;

	if (w->nlogs > 0 || w->conf->witness_log_vkey[0] != '\0')
		return;
	if (snprintf(path, sizeof(path), "%s/alog/vkey", w->conf->data_dir) >=
	    (int)sizeof(path))
		return;
	rp_buf_init(&b, 1024);
	r = read_file_at(AT_FDCWD, path, &b, NULL);
	if (r == 0 && (r = add_log_key(w, chomp(rp_buf_str(&b)))) == 0)
		rp_log_info("witness: trusting the log key in DATA/alog/vkey");
	else if (r != RP_E_NOTFOUND)
		rp_log_limited(&lim_vkey, RP_LOG_ERROR,
		    "witness: DATA/alog/vkey unusable: %s", rp_strerror(r));
	rp_buf_release(&b);
}

static const struct rp_note_verifier *
find_log(const struct rp_witness *w, struct rp_str origin)
{
	for (size_t i = 0; i < w->nlogs; i++)
		if (rp_str_eq(rp_str_c(w->logs[i].name), origin))
			return &w->logs[i];
	return NULL;
}

/* ---- State ---- */

static struct rp_witness_state *
find_state(struct rp_witness *w, struct rp_str origin)
{
	for (size_t i = 0; i < w->nstate; i++)
		if (rp_str_eq(rp_str_c(w->state[i].origin), origin))
			return &w->state[i];
	return NULL;
}

static int
format_state(const struct rp_witness_state *st, size_t n, struct rp_buf *b)
{
	rp_buf_add_c(b, STATE_MAGIC "\n");
	for (size_t i = 0; i < n; i++) {
		rp_buf_printf(b, "%s %" PRIu64 " ", st[i].origin, st[i].size);
		rp_b64_encode(st[i].root, RP_MERKLE_HASH_LEN, b);
		rp_buf_add_ch(b, '\n');
	}
	return b->err;
}

/* Writes the in-memory state to DATA/witness/state atomically. */
static int
save_state(struct rp_witness *w)
{
	struct rp_buf b;
	int r;

	rp_buf_init(&b, MAX_SMALL_FILE);
	if ((r = format_state(w->state, w->nstate, &b)) == 0)
		r = rp_witness_write_atomic(w->dirfd, "state", b.d, b.len, 0600);
	rp_buf_release(&b);
	return r;
}

/* Parses the state file (our own, but checked as strictly as input). */
static int
parse_state(struct rp_witness *w, struct rp_str s)
{
	struct rp_str line, origin, num, root;
	struct rp_witness_state *st;
	size_t n;

	if (!rp_str_split(&s, '\n', &line) || !rp_str_eq_c(line, STATE_MAGIC))
		return RP_E_INVAL;
	while (s.n > 0) {
		if (!rp_str_split(&s, '\n', &line) ||
		    !rp_str_split(&line, ' ', &origin) ||
		    !rp_str_split(&line, ' ', &num))
			return RP_E_INVAL;
		root = line;
		if (w->nstate == RP_WITNESS_MAX_LOGS ||
		    !rp_note_name_valid(origin) || find_state(w, origin) != NULL)
			return RP_E_INVAL;
		st = &w->state[w->nstate];
		memcpy(st->origin, origin.p, origin.n);
		st->origin[origin.n] = '\0';
		if (rp_str_to_u64(num, UINT64_MAX, &st->size) != 0 ||
		    rp_b64_decode(root, st->root, sizeof(st->root), &n) != 0 ||
		    n != sizeof(st->root))
			return RP_E_INVAL;
		w->nstate++;
	}
	return 0;
}

/* ---- Key, name, vkey ---- */

static int
load_name(struct rp_witness *w, struct rp_buf *name, struct rp_buf *err)
{
	struct rp_buf cur;
	uint8_t rnd[8];
	int r;

	rp_buf_init(&cur, 1024);
	r = read_file_at(w->dirfd, "name", &cur, NULL);
	if (r != 0 && r != RP_E_NOTFOUND) {
		rp_buf_printf(err, "witness: cannot read DATA/witness/name: %s",
		    rp_strerror(r));
		goto out;
	}
	if (w->conf->witness_name[0] != '\0') {
		rp_buf_add_c(name, w->conf->witness_name);
	} else if (r == 0) {
		rp_buf_add_str(name, chomp(rp_buf_str(&cur)));
	} else {
		randombytes_buf(rnd, sizeof(rnd));
		rp_buf_add_c(name, "rentport.invalid/witness/");
		for (size_t i = 0; i < sizeof(rnd); i++)
			rp_buf_printf(name, "%02x", rnd[i]);
	}
	if ((r = name->err) != 0)
		goto out;
	if (!rp_note_name_valid(rp_buf_str(name))) {
		rp_buf_printf(err, "witness: invalid witness key name (no spaces, "
		    "no '+', at most %d bytes)", RP_NOTE_MAX_NAME);
		r = RP_E_INVAL;
		goto out;
	}
	/* Keep DATA/witness/name in step with the name in use. */
	rp_buf_add_ch(name, '\n');
	if (!rp_str_eq(rp_buf_str(&cur), rp_buf_str(name)))
		r = rp_witness_write_atomic(w->dirfd, "name", name->d, name->len,
		    0644);
	name->len--;
	name->d[name->len] = '\0';
	if (r != 0)
		rp_buf_printf(err, "witness: cannot write DATA/witness/name");
 out:
	rp_buf_release(&cur);
	return r;
}

static int
load_key(struct rp_witness *w, struct rp_str name, struct rp_buf *err)
{
	struct rp_buf kb;
	uint8_t *seed = NULL;
	mode_t mode = 0;
	int r;

	rp_buf_init(&kb, 64);
	if ((seed = sodium_malloc(RP_NOTE_SEED_LEN)) == NULL)
		return RP_E_NOMEM;
	r = read_file_at(w->dirfd, "key", &kb, &mode);
	if (r == RP_E_NOTFOUND) {
		randombytes_buf(seed, RP_NOTE_SEED_LEN);
		if ((r = rp_witness_write_atomic(w->dirfd, "key", seed,
		    RP_NOTE_SEED_LEN, 0600)) != 0) {
			rp_buf_printf(err, "witness: cannot write DATA/witness/key");
			goto out;
		}
		rp_log_info("witness: new cosigning key made");
	} else if (r != 0 || kb.len != RP_NOTE_SEED_LEN) {
		rp_buf_printf(err, "witness: DATA/witness/key is unreadable or "
		    "not %d bytes", RP_NOTE_SEED_LEN);
		r = r != 0 ? r : RP_E_INVAL;
		goto out;
	} else if ((mode & 077) != 0) {
		rp_buf_printf(err, "witness: DATA/witness/key is accessible to "
		    "others (mode %03o); chmod 600 it", (unsigned)mode);
		r = RP_E_STATE;
		goto out;
	} else {
		memcpy(seed, kb.d, RP_NOTE_SEED_LEN);
	}
	if ((r = rp_note_signer_new(name, RP_NOTE_ALG_COSIG_V1, seed,
	    &w->signer)) != 0)
		rp_buf_printf(err, "witness: cannot make the cosigner: %s",
		    rp_strerror(r));
 out:
	if (kb.d != NULL)
		sodium_memzero(kb.d, kb.cap);
	rp_buf_release(&kb);
	sodium_free(seed);
	return r;
}

static int
open_dirs(struct rp_witness *w, struct rp_buf *err)
{
	char path[RP_CONF_PATH_MAX + 32];
	struct stat st;

	if (mkdir(w->conf->data_dir, 0700) != 0 && errno != EEXIST) {
		rp_buf_printf(err, "witness: mkdir %s: %s", w->conf->data_dir,
		    strerror(errno));
		return RP_E_IO;
	}
	if (snprintf(path, sizeof(path), "%s/witness", w->conf->data_dir) >=
	    (int)sizeof(path)) {
		rp_buf_printf(err, "witness: data_dir too long");
		return RP_E_INVAL;
	}
	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		rp_buf_printf(err, "witness: mkdir %s: %s", path,
		    strerror(errno));
		return RP_E_IO;
	}
	if ((w->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    fstat(w->dirfd, &st) != 0) {
		rp_buf_printf(err, "witness: open %s: %s", path, strerror(errno));
		return RP_E_IO;
	}
	/* Private; under serve the log writer's group may pass through to
	 * client.key (proc/sandbox.c), nothing more. */
	if ((st.st_mode & 067) != 0 && fchmod(w->dirfd, 0700) != 0) {
		rp_buf_printf(err, "witness: chmod 700 %s: %s", path,
		    strerror(errno));
		return RP_E_IO;
	}
	w->lockfd = openat(w->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	if (w->lockfd < 0) {
		rp_buf_printf(err, "witness: open lock: %s", strerror(errno));
		return RP_E_IO;
	}
	if (flock(w->lockfd, LOCK_EX | LOCK_NB) != 0) {
		rp_buf_printf(err, "witness: another witness is running on %s",
		    path);
		return RP_E_STATE;
	}
	return 0;
}

int
rp_witness_open(const struct rp_conf *conf, struct rp_witness **out,
    struct rp_buf *err)
{
	struct rp_witness *w;
	struct rp_buf name, b;
	int r;

	*out = NULL;
	rp_buf_init(&name, RP_NOTE_MAX_NAME + 2);
	rp_buf_init(&b, MAX_SMALL_FILE);
	if (sodium_init() < 0)
		return RP_E_STATE;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return RP_E_NOMEM;
	w->conf = conf;
	w->dirfd = w->lockfd = -1;
	if (pthread_mutex_init(&w->mu, NULL) != 0) {
		free(w);
		return RP_E_NOMEM;
	}
	if (pthread_mutex_init(&w->alarm_mu, NULL) != 0) {
		pthread_mutex_destroy(&w->mu);
		free(w);
		return RP_E_NOMEM;
	}
	if ((r = open_dirs(w, err)) != 0 ||
	    (r = load_name(w, &name, err)) != 0 ||
	    (r = load_key(w, rp_buf_str(&name), err)) != 0)
		goto out;

	/* vkey: derived from key and name, rewritten when it changes. */
	if ((r = rp_note_verifier_format(rp_note_signer_verifier(w->signer),
	    &b)) != 0 || b.len >= sizeof(w->vkey)) {
		r = r != 0 ? r : RP_E_TOOBIG;
		goto out;
	}
	memcpy(w->vkey, b.d, b.len + 1);
	rp_buf_add_ch(&b, '\n');
	{
		struct rp_buf cur;

		rp_buf_init(&cur, 1024);
		if (read_file_at(w->dirfd, "vkey", &cur, NULL) != 0 ||
		    !rp_str_eq(rp_buf_str(&cur), rp_buf_str(&b)))
			r = rp_witness_write_atomic(w->dirfd, "vkey", b.d, b.len,
			    0644);
		rp_buf_release(&cur);
		if (r != 0) {
			rp_buf_printf(err, "witness: cannot write DATA/witness/vkey");
			goto out;
		}
	}

	/* State. */
	rp_buf_reset(&b);
	r = read_file_at(w->dirfd, "state", &b, NULL);
	if (r == 0)
		r = parse_state(w, rp_buf_str(&b));
	else if (r == RP_E_NOTFOUND)
		r = 0;
	if (r != 0) {
		rp_buf_printf(err, "witness: DATA/witness/state is corrupt (%s); "
		    "refusing to start rather than forget what was cosigned",
		    rp_strerror(r));
		goto out;
	}

	/* Trusted log keys. */
	if (conf->witness_log_vkey[0] != '\0' &&
	    (r = add_log_key(w, rp_str_trim(rp_str_c(conf->witness_log_vkey))))
	    != 0) {
		rp_buf_printf(err, "witness_log_vkey: not a log verifier key "
		    "(<name>+<8 hex>+<base64 of 0x01 and a 32-byte key>)");
		goto out;
	}
	load_alog_vkey(w);

	/* The log writer's key: made here at the first start, read by it. */
	{
		char kp[RP_CONF_PATH_MAX + 32];
		bool made = false;

		if ((w->client_key = sodium_malloc(RP_WAUTH_KEY_LEN)) == NULL) {
			r = RP_E_NOMEM;
			goto out;
		}
		if ((r = rp_wauth_path(conf, kp, sizeof(kp))) == 0)
			r = rp_wauth_key_make(kp, w->client_key, &made);
		if (r != 0) {
			rp_buf_printf(err, "witness: the log writer's key %s: %s%s",
			    kp, rp_strerror(r), r == RP_E_STATE ?
			    " (readable by others; chmod 600 it)" : "");
			goto out;
		}
		if (made)
			rp_log_info("witness: new log-writer key made in %s", kp);
	}
	rp_log_info("witness: key %s, %zu trusted log(s), %zu origin(s) in "
	    "state", w->vkey, w->nlogs, w->nstate);
	*out = w;
	w = NULL;			/* transferred */
 out:
	rp_buf_release(&name);
	rp_buf_release(&b);
	rp_witness_free(w);
	return r;
}

void
rp_witness_free(struct rp_witness *w)
{
	if (w == NULL)
		return;
	rp_witness_http_stop(w);
	rp_note_signer_free(w->signer);
	sodium_free(w->client_key);	/* wipes it */
	if (w->lockfd >= 0)
		close(w->lockfd);	/* releases the flock */
	if (w->dirfd >= 0)
		close(w->dirfd);
	pthread_mutex_destroy(&w->mu);
	pthread_mutex_destroy(&w->alarm_mu);
	free(w);
}

const char *
rp_witness_vkey(const struct rp_witness *w)
{
	return w->vkey;
}

/* ---- Alarms ---- */

void
rp_witness_alarm(struct rp_witness *w, const char *kind, struct rp_str origin,
    uint64_t stored_size, const uint8_t stored_root[RP_MERKLE_HASH_LEN],
    uint64_t offered_size, const uint8_t offered_root[RP_MERKLE_HASH_LEN])
{
	struct rp_buf line;
	struct timespec now;
	struct tm tm;
	char ts[32];
	unsigned dropped = 0;
	bool write_line = true;
	int fd;

	clock_gettime(CLOCK_REALTIME, &now);
	pthread_mutex_lock(&w->alarm_mu);
	if (now.tv_sec - w->alarm_window >= 60) {
		w->alarm_window = now.tv_sec;
		w->alarm_count = 0;
	}
	if (w->alarm_count >= RP_WITNESS_ALARMS_PER_MIN) {
		w->alarm_dropped++;
		write_line = false;
	} else {
		w->alarm_count++;
		dropped = w->alarm_dropped;
		w->alarm_dropped = 0;
	}
	pthread_mutex_unlock(&w->alarm_mu);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	rp_buf_init(&line, 2048);
	rp_buf_printf(&line, "%s ALARM %s origin=%.*s stored=%" PRIu64 " ", ts,
	    kind, (int)origin.n, origin.p, stored_size);
	rp_b64_encode(stored_root, RP_MERKLE_HASH_LEN, &line);
	rp_buf_printf(&line, " offered=%" PRIu64 " ", offered_size);
	rp_b64_encode(offered_root, RP_MERKLE_HASH_LEN, &line);
	if (dropped > 0)
		rp_buf_printf(&line, " suppressed-before=%u", dropped);
	rp_buf_add_ch(&line, '\n');
	if (line.err != 0) {
		rp_log_error("ALARM %s (alarm line not formatted)", kind);
		goto out;
	}
	/* The origin is a validated key name: no spaces, no control bytes. */
	rp_log_limited(&lim_alarm, RP_LOG_ERROR, "ALARM %s: log %.*s offered "
	    "size %" PRIu64 " against stored size %" PRIu64 " — history "
	    "rewritten; refused", kind, (int)origin.n, origin.p, offered_size,
	    stored_size);
	if (!write_line)
		goto out;
	fd = openat(w->dirfd, "alarms.log", O_WRONLY | O_APPEND | O_CREAT |
	    O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || write_all(fd, line.d, line.len) != 0 || fsync(fd) != 0)
		rp_log_error("ALARM not recorded in alarms.log: %s",
		    strerror(errno));
	if (fd >= 0)
		close(fd);
 out:
	rp_buf_release(&line);
}

/* ---- add-checkpoint ---- */

struct work {
	struct rp_witness_req rq;
	struct rp_note note;
	struct rp_checkpoint cp;
};

static const char ct_text[] = "text/plain; charset=utf-8";
static const char ct_size[] = "text/x.tlog.size";

static int
answer(unsigned *status, const char **ctype, struct rp_buf *resp,
    unsigned code, const char *msg)
{
	*status = code;
	*ctype = ct_text;
	return rp_buf_add_c(resp, msg);
}

static int
answer_size(unsigned *status, const char **ctype, struct rp_buf *resp,
    uint64_t size)
{
	*status = 409;
	*ctype = ct_size;
	return rp_buf_printf(resp, "%" PRIu64 "\n", size);
}

/* Decides with the mutex held. */
static int
decide(struct rp_witness *w, struct work *k, unsigned *status,
    struct rp_buf *resp, const char **ctype)
{
	const struct rp_note_verifier *key;
	struct rp_witness_state *st, saved, fresh;
	uint8_t stored_root[RP_MERKLE_HASH_LEN];
	uint64_t stored = 0;
	bool added = false;
	int r;

	load_alog_vkey(w);
	if ((key = find_log(w, k->cp.origin)) == NULL)
		return answer(status, ctype, resp, 404, "unknown log origin\n");
	if (rp_note_verify(&k->note, key, 1, NULL) != 0)
		return answer(status, ctype, resp, 403,
		    "no valid signature by the trusted log key\n");
	if (k->rq.old > k->cp.size)
		return answer(status, ctype, resp, 400,
		    "old size is larger than the checkpoint size\n");

	st = find_state(w, k->cp.origin);
	if (st != NULL) {
		stored = st->size;
		memcpy(stored_root, st->root, sizeof(stored_root));
	} else {
		rp_merkle_empty_root(stored_root);
	}

	/*
	 * Signed by the log, but older than what we cosigned: anyone who saw
	 * an earlier request can replay it, so it proves nothing about the
	 * log and is no alarm (and spends no alarm budget).  C2SP
	 * tlog-witness: 409 with our size.  A log that really lost entries
	 * shows itself when it reaches our size again: another root at the
	 * same size, or a proof that fails — those are alarms below.
	 */
	if (st != NULL && k->cp.size < stored) {
		rp_log_limited(&lim_older, RP_LOG_INFO, "witness: checkpoint of "
		    "size %" PRIu64 " is older than the cosigned %" PRIu64
		    "; 409", k->cp.size, stored);
		return answer_size(status, ctype, resp, stored);
	}
	if (st != NULL && k->cp.size == stored &&
	    sodium_memcmp(k->cp.root, stored_root, sizeof(stored_root)) != 0) {
		rp_witness_alarm(w, "fork-same-size", k->cp.origin, stored,
		    stored_root, k->cp.size, k->cp.root);
		if (k->rq.old != stored)
			return answer_size(status, ctype, resp, stored);
		return answer(status, ctype, resp, 422,
		    "same size as the cosigned checkpoint, different root\n");
	}
	if (k->rq.old != stored)
		return answer_size(status, ctype, resp, stored);
	if (rp_merkle_verify_consistency(stored, k->cp.size, stored_root,
	    k->cp.root, &k->rq.proof[0][0], k->rq.nproof) != 0) {
		if (st != NULL && stored > 0)
			rp_witness_alarm(w, "fork-proof", k->cp.origin, stored,
			    stored_root, k->cp.size, k->cp.root);
		return answer(status, ctype, resp, 422,
		    stored == 0 ? "bad proof or wrong empty-tree root\n" :
		    "consistency proof does not verify\n");
	}

	/* Accepted: persist (compare-and-swap under the mutex), then sign. */
	memset(&fresh, 0, sizeof(fresh));
	memcpy(fresh.origin, k->cp.origin.p, k->cp.origin.n);
	fresh.size = k->cp.size;
	memcpy(fresh.root, k->cp.root, sizeof(fresh.root));
	if (st == NULL) {
		if (w->nstate == RP_WITNESS_MAX_LOGS)
			return answer(status, ctype, resp, 500,
			    "too many logs\n");
		st = &w->state[w->nstate++];
		added = true;
	} else {
		saved = *st;
	}
	*st = fresh;
	if ((r = save_state(w)) != 0) {
		if (added)
			w->nstate--;
		else
			*st = saved;
		return answer(status, ctype, resp, 500,
		    "cannot persist the witness state\n");
	}
	*status = 200;
	*ctype = ct_text;
	if ((r = rp_note_cosign_line(w->signer, k->note.text,
	    (uint64_t)time(NULL), resp)) != 0) {
		/* The state is saved: the log may simply retry. */
		rp_log_error("witness: cosigning failed: %s", rp_strerror(r));
		rp_buf_reset(resp);
		return answer(status, ctype, resp, 500, "cosigning failed\n");
	}
	return 0;
}

int
rp_witness_add_checkpoint(struct rp_witness *w, struct rp_str body,
    unsigned *status, struct rp_buf *resp, const char **ctype)
{
	struct work *k;
	int r;

	*status = 500;
	*ctype = ct_text;
	if (body.n > RP_WITNESS_MAX_BODY)
		return answer(status, ctype, resp, 413, "request too large\n");
	if ((k = malloc(sizeof(*k))) == NULL)
		return RP_E_NOMEM;
	if (rp_witness_req_parse(body, &k->rq) != 0 ||
	    rp_note_parse(k->rq.note, &k->note) != 0 ||
	    rp_checkpoint_parse(k->note.text, &k->cp) != 0) {
		r = answer(status, ctype, resp, 400, "malformed request\n");
		goto out;
	}
	pthread_mutex_lock(&w->mu);
	r = decide(w, k, status, resp, ctype);
	pthread_mutex_unlock(&w->mu);
 out:
	free(k);
	return r;
}

int
rp_witness_status_page(struct rp_witness *w, struct rp_buf *out)
{
	size_t i;

	pthread_mutex_lock(&w->mu);
	load_alog_vkey(w);
	rp_buf_printf(out, "rentport witness\n\nverifier key: %s\n", w->vkey);
	for (i = 0; i < w->nlogs; i++)
		rp_buf_printf(out, "trusted log: %s\n", w->logs[i].name);
	rp_buf_add_c(out, "\n");
	for (i = 0; i < w->nstate; i++) {
		rp_buf_printf(out, "%s size %" PRIu64 " root ",
		    w->state[i].origin, w->state[i].size);
		rp_b64_encode(w->state[i].root, RP_MERKLE_HASH_LEN, out);
		rp_buf_add_ch(out, '\n');
	}
	if (w->nstate == 0)
		rp_buf_add_c(out, "no checkpoint cosigned yet\n");
	pthread_mutex_unlock(&w->mu);
	return out->err;
}
