/* SPDX-License-Identifier: ISC */
/* proc.c — the parent process (skeleton). */
#include "util/common.h"
#include "proc/proc.h"

int
rp_proc_serve(const struct rp_conf *conf)
{
	(void)conf;
	return 1;
}
