/* SPDX-License-Identifier: ISC */
#include "util/common.h"
#include "conf/conf.h"
void rp_conf_defaults(struct rp_conf *c) { memset(c, 0, sizeof(*c)); }
