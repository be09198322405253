/* SPDX-License-Identifier: ISC */
/*
 * msg.c — message framing and bounds-checked field readers (see msg.h).
 * Runs in every process; trusts nothing a peer sends.
 */
#include "util/common.h"
#include "proc/msg.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static void
le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

void
rp_msgw_begin(struct rp_msgw *w, enum rp_msg_type type)
{
	le32(w->buf, (uint32_t)type);
	le32(w->buf + 4, 0);
	w->len = RP_MSG_HEADER;
	w->err = 0;
}

static uint8_t *
room(struct rp_msgw *w, size_t n)
{
	uint8_t *p;

	if (w->err || n > sizeof(w->buf) - w->len) {
		w->err = RP_E_TOOBIG;
		return NULL;
	}
	p = w->buf + w->len;
	w->len += n;
	return p;
}

void
rp_msgw_put_u32(struct rp_msgw *w, uint32_t v)
{
	uint8_t *p = room(w, 4);

	if (p)
		le32(p, v);
}

void
rp_msgw_put_u64(struct rp_msgw *w, uint64_t v)
{
	uint8_t *p = room(w, 8);

	if (p) {
		le32(p, (uint32_t)v);
		le32(p + 4, (uint32_t)(v >> 32));
	}
}

void
rp_msgw_put_str(struct rp_msgw *w, struct rp_str s)
{
	uint8_t *p;

	if (s.n > RP_MSG_MAX_PAYLOAD) {
		w->err = RP_E_TOOBIG;
		return;
	}
	if ((p = room(w, 4 + s.n)) == NULL)
		return;
	le32(p, (uint32_t)s.n);
	if (s.n)
		memcpy(p + 4, s.p, s.n);
}

int
rp_msgw_send(int fd, struct rp_msgw *w, int flags)
{
	ssize_t r;

	if (w->err)
		return w->err;
	le32(w->buf + 4, (uint32_t)(w->len - RP_MSG_HEADER));
	do {
		r = send(fd, w->buf, w->len, flags | MSG_NOSIGNAL);
	} while (r < 0 && errno == EINTR);
	if (r < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return RP_E_AGAIN;
		if (errno == EPIPE || errno == ECONNRESET)
			return RP_E_CLOSED;
		return RP_E_IO;
	}
	return (size_t)r == w->len ? 0 : RP_E_IO;
}

/* Only the types msg.h lists: the enum has gaps. */
static bool
known_type(uint32_t t)
{
	switch (t) {
	case RP_MSG_READY: case RP_MSG_ACCESS: case RP_MSG_STOP:
	case RP_MSG_PING: case RP_MSG_PONG: case RP_MSG_SANDBOX:
	case RP_MSG_PEER_REGISTER: case RP_MSG_PEER_FORGET: case RP_MSG_PEER_ASSERT:
	case RP_MSG_LOG_APPEND: case RP_MSG_LOG_DURABLE: case RP_MSG_LOG_FAILED:
	case RP_MSG_VAULT_HELLO: case RP_MSG_VAULT_PUT: case RP_MSG_VAULT_GET:
	case RP_MSG_VAULT_FIND: case RP_MSG_VAULT_ERASE: case RP_MSG_VAULT_REPLY:
	case RP_MSG_AUTH_SIGNIN: case RP_MSG_AUTH_ENROL: case RP_MSG_AUTH_WHO:
	case RP_MSG_AUTH_SIGNOUT: case RP_MSG_AUTH_SESSIONS:
	case RP_MSG_AUTH_REVOKE: case RP_MSG_AUTH_REPLY:
	case RP_MSG_AUTH_LINK_NEW: case RP_MSG_AUTH_LINK_SETTLE:
	case RP_MSG_AUTH_LINK_OPEN: case RP_MSG_AUTH_RECEIPT:
	case RP_MSG_AUTH_CUST_WHO: case RP_MSG_AUTH_ACCESS_NEW:
	case RP_MSG_AUTH_ACCESS_CHECK: case RP_MSG_AUTH_APIKEY:
	case RP_MSG_AUTH_REPLAY:
		return true;
	default:
		return false;
	}
}

int
rp_msg_parse(const uint8_t *buf, size_t n, struct rp_msg *m)
{
	uint32_t type, len;

	memset(m, 0, sizeof(*m));
	if (n < RP_MSG_HEADER)
		return RP_E_PROTO;		/* short */
	type = rd32(buf);
	len = rd32(buf + 4);
	if (len > RP_MSG_MAX_PAYLOAD || (size_t)len != n - RP_MSG_HEADER)
		return RP_E_PROTO;		/* oversized or inconsistent */
	if (!known_type(type))
		return RP_E_PROTO;		/* unknown */
	m->type = type;
	m->p = buf + RP_MSG_HEADER;
	m->n = len;
	m->off = 0;
	return 0;
}

int
rp_msg_recv(int fd, uint8_t *buf, struct rp_msg *m)
{
	ssize_t r;

	memset(m, 0, sizeof(*m));
	do {
		/* One byte more than a frame may hold, to see oversize. */
		r = recv(fd, buf, RP_MSG_MAX_FRAME, MSG_TRUNC | MSG_DONTWAIT);
	} while (r < 0 && errno == EINTR);
	if (r < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return RP_E_AGAIN;
		return RP_E_CLOSED;
	}
	if (r == 0)
		return RP_E_CLOSED;
	if ((size_t)r > RP_MSG_MAX_FRAME)
		return RP_E_PROTO;		/* truncated: oversized */
	return rp_msg_parse(buf, (size_t)r, m);
}

int
rp_msg_get_u32(struct rp_msg *m, uint32_t *v)
{
	*v = 0;
	if (m->n - m->off < 4)
		return RP_E_PROTO;
	*v = rd32(m->p + m->off);
	m->off += 4;
	return 0;
}

int
rp_msg_get_u64(struct rp_msg *m, uint64_t *v)
{
	*v = 0;
	if (m->n - m->off < 8)
		return RP_E_PROTO;
	*v = (uint64_t)rd32(m->p + m->off) |
	    (uint64_t)rd32(m->p + m->off + 4) << 32;
	m->off += 8;
	return 0;
}

int
rp_msg_get_str(struct rp_msg *m, struct rp_str *s, size_t max)
{
	uint32_t len;

	*s = RP_STR_NULL;
	if (m->n - m->off < 4)
		return RP_E_PROTO;
	len = rd32(m->p + m->off);
	if (len > max || len > m->n - m->off - 4)
		return RP_E_PROTO;
	s->p = (const char *)m->p + m->off + 4;
	s->n = len;
	m->off += 4 + (size_t)len;
	return 0;
}

int
rp_msg_end(const struct rp_msg *m)
{
	return m->off == m->n ? 0 : RP_E_PROTO;
}

int
rp_msg_get_cstr(struct rp_msg *m, char *out, size_t max)
{
	struct rp_str s;

	if (rp_msg_get_str(m, &s, max) != 0 || !rp_str_printable(s))
		return RP_E_PROTO;
	memcpy(out, s.p, s.n);
	out[s.n] = '\0';
	return 0;
}

/* ---- unix sockets ------------------------------------------------------- */

static int
unix_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if ((size_t)snprintf(sa->sun_path, sizeof(sa->sun_path), "%s", path) >=
	    sizeof(sa->sun_path))
		return RP_E_TOOBIG;
	return 0;
}

int
rp_msg_unix_listen(const char *path, int *fd)
{
	struct sockaddr_un sa;
	int s;

	*fd = -1;
	if (unix_addr(path, &sa) != 0)
		return RP_E_TOOBIG;
	(void)unlink(path);	/* a stale socket from an earlier run */
	if ((s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) < 0)
		return RP_E_IO;
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    chmod(path, 0660) != 0 || listen(s, 128) != 0) {
		close(s);
		return RP_E_IO;
	}
	*fd = s;
	return 0;
}

int
rp_msg_unix_connect(const char *path, int *fd)
{
	struct sockaddr_un sa;
	int s;

	*fd = -1;
	if (unix_addr(path, &sa) != 0)
		return RP_E_TOOBIG;
	if ((s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) < 0)
		return RP_E_IO;
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;

		close(s);
		return e == ENOENT || e == ECONNREFUSED || e == EACCES ?
		    RP_E_AGAIN : RP_E_IO;
	}
	*fd = s;
	return 0;
}

int
rp_msg_recv_timeout(int fd, uint8_t *buf, struct rp_msg *m, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return RP_E_AGAIN;
	if (r < 0)
		return RP_E_IO;
	return rp_msg_recv(fd, buf, m);
}
