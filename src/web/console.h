/* SPDX-License-Identifier: ISC */
/*
 * console.h — what the staff console's parts share (console.c: sign-in,
 * sessions, role homes; counter.c: the airport counter's pages and the
 * handheld API).  Private to src/web/.
 */
#ifndef RP_WEB_CONSOLE_H
#define RP_WEB_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/client.h"
#include "web/request.h"
#include "web/site.h"

/* The page's session: 0 and *w; otherwise an answer was sent (1, or -1). */
int console_need_session(struct page *pg, struct rp_auth_who *w,
    struct rp_str *token);
/* The Bearer token's session: 0 and *w; otherwise an answer was sent. */
int console_api_who(struct rp_req *rq, struct rp_auth_who *w,
    struct rp_str *token);
/* Whether code is one of a comma-separated list ("NRT1,HND3"). */
bool console_in_list(const char *list, struct rp_str code);
/* Unix time as "YYYY-MM-DD HH:MM" in Japan. */
void console_time_text(int64_t t, char out[32]);

/* counter.c */
int counter_home(struct rp_req *rq);
int counter_order_page(struct rp_req *rq);
int counter_pickup_post(struct rp_req *rq);
int counter_return_post(struct rp_req *rq);
int counter_settle_post(struct rp_req *rq);
int counter_walkin_form(struct rp_req *rq);
int counter_walkin_post(struct rp_req *rq);
int counter_api_today(struct rp_req *rq);
int counter_api_units(struct rp_req *rq);
int counter_api_pickup(struct rp_req *rq);
int counter_api_return(struct rp_req *rq);
int counter_api_settle(struct rp_req *rq);
int counter_api_dispatch(struct rp_req *rq);
int counter_api_transfer(struct rp_req *rq);
int counter_api_unit(struct rp_req *rq);

#endif
