/* SPDX-License-Identifier: ISC */
/*
 * test_alog_recover.c — recovery never cuts what a signed checkpoint
 * covers: a damaged last record inside the checkpoint is refused (and the
 * wal kept as evidence), while the same damage past the checkpoint is a
 * torn tail and is cut.
 */
#include "util/common.h"
#include "alog/entry.h"
#include "alog/store.h"
#include "conf/conf.h"
#include "tap.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static off_t
wal_size(void)
{
	char p[128];
	struct stat sb;

	snprintf(p, sizeof(p), "%s/alog/wal", dir);
	return stat(p, &sb) == 0 ? sb.st_size : -1;
}

/* Flips a byte of the last record's 4-byte check. */
static void
damage_last(void)
{
	char p[128];
	uint8_t c;
	int fd;

	snprintf(p, sizeof(p), "%s/alog/wal", dir);
	fd = open(p, O_RDWR);
	if (fd < 0 || pread(fd, &c, 1, wal_size() - 1) != 1)
		abort();
	c ^= 0x55;
	if (pwrite(fd, &c, 1, wal_size() - 1) != 1)
		abort();
	close(fd);
}

static int
append(struct rp_alog_store *st, size_t n)
{
	struct rp_alog_entry e;
	struct rp_buf b;
	struct rp_str v[16];
	uint64_t t[16], ix[16];
	int r;

	memset(&e, 0, sizeof(e));
	e.action = RP_ALOG_GET;
	e.role = RP_ROLE_INCIDENT;
	e.node = RP_STR_LIT("test");
	e.actor = RP_STR_LIT("staff:test");
	e.purpose = RP_STR_LIT("incident");
	rp_buf_init(&b, RP_ALOG_MAX_ENTRY);
	if ((r = rp_alog_body_encode(&e, &b)) == 0) {
		for (size_t i = 0; i < n; i++)
			v[i] = rp_buf_str(&b);
		r = rp_alog_store_append(st, v, n, t, ix);
	}
	rp_buf_release(&b);
	return r;
}

int
main(void)
{
	struct rp_alog_store *st = NULL;
	struct rp_conf conf;
	off_t before;
	bool made;
	char cmd[128];

	rp_conf_defaults(&conf);
	snprintf(dir, sizeof(dir), "/tmp/rp-alog-recover-XXXXXX");
	ok(mkdtemp(dir) != NULL, "temp dir");
	ok(rp_alog_store_open(dir, &conf, &st) == 0, "open");
	ok(st && append(st, 10) == 0, "append 10");
	ok(st && rp_alog_store_checkpoint(st, true, true, NULL, &made) == 0,
	    "checkpoint at 10 published");
	rp_alog_store_close(st);
	st = NULL;

	/* Damage inside the checkpoint: refused, nothing cut. */
	damage_last();
	before = wal_size();
	is_int(rp_alog_store_open(dir, &conf, &st), RP_E_STATE,
	    "damaged record inside the signed checkpoint: open refused");
	is_int(wal_size(), before, "the wal is kept whole as evidence");
	rp_alog_store_close(st);
	st = NULL;
	damage_last();			/* repair */
	ok(rp_alog_store_open(dir, &conf, &st) == 0, "repaired log opens");

	/* Past the checkpoint the same damage is a torn tail: cut. */
	ok(st && append(st, 3) == 0, "append 3 beyond the checkpoint");
	rp_alog_store_close(st);
	st = NULL;
	damage_last();
	ok(rp_alog_store_open(dir, &conf, &st) == 0, "torn tail past the checkpoint: opens");
	is_int(st ? rp_alog_store_size(st) : 0, 12, "the unacknowledged last record was cut");
	rp_alog_store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("cleanup failed");
	return tap_done();
}
