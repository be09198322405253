/* SPDX-License-Identifier: ISC */
/* fuzz target: the rentport.conf parser. */
#include "util/common.h"
#include "conf/conf.h"
#include "../fuzz_util.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rp_conf c;
	struct rp_buf err;
	struct rp_str s = { (const char *)data, size };

	rp_conf_defaults(&c);
	rp_buf_init(&err, 4096);
	if (rp_conf_parse(&c, s, "fuzz", &err) == 0) {
		/* Whatever was accepted must be within the documented ranges. */
		if (c.port < 1 || c.port > 65535 || c.workers < 1 ||
		    c.workers > 64 || memchr(c.data_dir, '\0',
		    sizeof(c.data_dir)) == NULL)
			abort();
	}
	rp_buf_release(&err);
	return 0;
}
