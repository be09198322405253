/* SPDX-License-Identifier: ISC */
/*
 * http.h — the log writer's read-only HTTP server (http.c): GET
 * /checkpoint, /tile/<L>/<N>[.p/<W>], /tile/entries/<N>[.p/<W>] per C2SP
 * tlog-tiles, never past the latest published checkpoint.  Internal to
 * src/alog (the writer starts it).
 */
#ifndef RP_ALOG_HTTP_H
#define RP_ALOG_HTTP_H

#include "alog/store.h"
#include "conf/conf.h"

struct rp_alog_http;

/*
 * Listens on conf->alog_http_addr:alog_http_port and serves st from an
 * internal thread.  st must outlive the server.  0; RP_E_IO (cannot
 * listen: the reason, e.g. address in use, is logged); RP_E_INVAL (bad
 * address); RP_E_NOMEM.
 */
int rp_alog_http_start(const struct rp_conf *conf, struct rp_alog_store *st,
    struct rp_alog_http **out /* owned: rp_alog_http_stop */) RP_WARN_UNUSED;

/* Stops the server and frees it; NULL-safe. */
void rp_alog_http_stop(struct rp_alog_http *h);

#endif
