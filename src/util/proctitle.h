/* SPDX-License-Identifier: ISC */
/*
 * proctitle.h — the process title `ps` shows ("rentport: web 1",
 * "rentport: vault", ...), so that an operator sees the process layout.
 * The title is written over the memory of the original argv and environment
 * (their contents are moved to the heap first) and the thread name (comm,
 * 15 characters) is set alike.
 */
#ifndef RP_PROCTITLE_H
#define RP_PROCTITLE_H

/*
 * Once, first thing in main: moves argv's strings and the environment to
 * the heap and returns the new argv (use it instead of the old one).  NULL
 * only if out of memory, then the old argv stays valid.
 */
char **rp_proctitle_init(int argc, char **argv);

/* Sets the title (cut to the space the original argv and environ had). */
void rp_proctitle_set(const char *fmt, ...) RP_PRINTF(1, 2);

#endif
