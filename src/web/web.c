/* SPDX-License-Identifier: ISC */
/* web.c — web worker (skeleton). */
#include "util/common.h"
#include "web/web.h"

struct rp_metrics *
rp_metrics_create(void)
{
	return NULL;
}

void
rp_metrics_child_restart(struct rp_metrics *m, const char *kind)
{
	(void)m;
	(void)kind;
}

int
rp_web_listen(const struct rp_conf *conf, int *fd, struct rp_buf *err)
{
	(void)conf;
	(void)err;
	*fd = -1;
	return RP_E_IO;
}

int
rp_web_run(const struct rp_conf *conf, int listen_fd, int parent_fd,
    unsigned index, struct rp_metrics *m)
{
	(void)conf; (void)listen_fd; (void)parent_fd; (void)index; (void)m;
	return 1;
}
