/* SPDX-License-Identifier: ISC */
/*
 * keyfile.c — secret keys in files: see keyfile.h.
 */
#include "util/common.h"
#include "util/keyfile.h"

#include <assert.h>

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

int
rp_keyfile_load(const char *path, uint8_t *key, size_t n, mode_t forbid)
{
	char text[2 * RP_KEYFILE_MAX + 2];
	struct stat st;
	size_t bin = 0;
	ssize_t k;
	int fd, r = RP_E_INVAL;

	assert(n > 0 && n <= RP_KEYFILE_MAX);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return errno == ENOENT ? RP_E_NOTFOUND : RP_E_IO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		r = RP_E_IO;
		goto out;
	}
	if ((st.st_mode & forbid) != 0) {
		r = RP_E_STATE;
		goto out;
	}
	do
		k = read(fd, text, 2 * n + 2);
	while (k < 0 && errno == EINTR);
	if (k < 0) {
		r = RP_E_IO;
		goto out;
	}
	if ((size_t)k == 2 * n + 1 && text[2 * n] == '\n' &&
	    sodium_hex2bin(key, n, text, 2 * n, NULL, &bin, NULL) == 0 &&
	    bin == n)
		r = 0;
 out:
	close(fd);
	sodium_memzero(text, sizeof(text));
	if (r != 0)
		sodium_memzero(key, n);
	return r;
}

/*
 * Writes key[0..n) as a new file path (mode), whole under a temporary name
 * then linked into place: 0; RP_E_EXISTS if path exists (it is left as it
 * is); RP_E_IO; RP_E_TOOBIG.
 */
static int
write_new(const char *path, const uint8_t *key, size_t n, mode_t mode)
{
	char tmp[1200], text[2 * RP_KEYFILE_MAX + 2], dir[1200], *slash;
	int fd = -1, dfd, r = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path,
	    (long)getpid()) >= sizeof(tmp))
		return RP_E_TOOBIG;
	sodium_bin2hex(text, sizeof(text), key, n);
	text[2 * n] = '\n';
	(void)unlink(tmp);	/* a leftover of a crash of this pid */
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    mode)) < 0 || fchmod(fd, mode) != 0 ||
	    write(fd, text, 2 * n + 1) != (ssize_t)(2 * n + 1) || fsync(fd) != 0)
		r = RP_E_IO;
	/* link(2), unlike rename(2), never replaces a key someone made
	 * meanwhile: then that one is the key. */
	if (r == 0 && link(tmp, path) != 0)
		r = errno == EEXIST ? RP_E_EXISTS : RP_E_IO;
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
			(void)fsync(dfd);
			close(dfd);
		}
	}
	if (fd >= 0) {
		close(fd);
		(void)unlink(tmp);
	}
	sodium_memzero(text, sizeof(text));
	return r;
}

int
rp_keyfile_make(const char *path, uint8_t *key, size_t n, mode_t mode,
    mode_t forbid, bool *made)
{
	int r;

	assert(n > 0 && n <= RP_KEYFILE_MAX);
	if (made != NULL)
		*made = false;
	if ((r = rp_keyfile_load(path, key, n, forbid)) != RP_E_NOTFOUND)
		return r;
	randombytes_buf(key, n);
	r = write_new(path, key, n, mode);
	if (r == RP_E_EXISTS)
		r = rp_keyfile_load(path, key, n, forbid);
	else if (r == 0 && made != NULL)
		*made = true;
	if (r != 0)
		sodium_memzero(key, n);
	return r;
}

int
rp_keyfile_put(const char *path, const uint8_t *key, size_t n, mode_t mode)
{
	uint8_t old[RP_KEYFILE_MAX];
	int r;

	assert(n > 0 && n <= RP_KEYFILE_MAX);
	r = rp_keyfile_load(path, old, n, 0);
	if (r == 0 && sodium_memcmp(old, key, n) == 0)
		r = 0;
	else {
		if (r != RP_E_NOTFOUND && unlink(path) != 0)
			r = RP_E_IO;
		else
			r = write_new(path, key, n, mode);
	}
	sodium_memzero(old, sizeof(old));
	return r;
}
