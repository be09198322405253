/* SPDX-License-Identifier: ISC */
/*
 * proctitle.c — process titles (see proctitle.h).  Linux shows
 * /proc/PID/cmdline from the process's own argv area: we keep that area
 * (argv strings and the environment strings right after them) as the
 * title's space and move what lived there to the heap.
 */
#include "util/common.h"
#include "util/proctitle.h"

#include <sys/prctl.h>

extern char **environ;

static char **moved_argv;	/* the heap copy (kept for the process's life) */
static char *area;		/* start of the original argv[0] */
static size_t area_len;		/* bytes up to the end of the last string */

char **
rp_proctitle_init(int argc, char **argv)
{
	char **nargv, **nenv, *end;
	size_t ne = 0;
	int i;

	if (argc <= 0 || argv[0] == NULL)
		return argv;
	end = argv[0] + strlen(argv[0]);
	for (i = 1; i < argc; i++)
		if (argv[i] == end + 1)
			end = argv[i] + strlen(argv[i]);
	for (ne = 0; environ[ne] != NULL; ne++)
		if (environ[ne] == end + 1)
			end = environ[ne] + strlen(environ[ne]);
	if ((nargv = calloc((size_t)argc + 1, sizeof(*nargv))) == NULL ||
	    (nenv = calloc(ne + 1, sizeof(*nenv))) == NULL) {
		free(nargv);
		return NULL;
	}
	for (i = 0; i < argc; i++)
		if ((nargv[i] = strdup(argv[i])) == NULL)
			return NULL;	/* start-up only: nothing to unwind */
	for (size_t k = 0; k < ne; k++)
		if ((nenv[k] = strdup(environ[k])) == NULL)
			return NULL;
	environ = nenv;
	moved_argv = nargv;
	area = argv[0];
	area_len = (size_t)(end - argv[0]);
	return nargv;
}

void
rp_proctitle_set(const char *fmt, ...)
{
	char title[256];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(title, sizeof(title), fmt, ap);
	va_end(ap);
	(void)prctl(PR_SET_NAME, title, 0, 0, 0);	/* cut to 15 */
	if (area == NULL || area_len < 2)
		return;
	n = strlen(title);
	if (n > area_len - 1)
		n = area_len - 1;
	memset(area, 0, area_len);
	memcpy(area, title, n);
}
