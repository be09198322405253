/* SPDX-License-Identifier: ISC */
/*
 * mail_helper.c — the test's hands on a running `rentport serve`, for
 * test_mailer.py: what a web worker does when an order is placed (a person
 * into the vault, a message into the outbox), done from outside.
 *
 *	mail_helper put DATA_DIR
 *	    puts the test person (operator token; role backoffice, purpose
 *	    backoffice) and prints the record id
 *	mail_helper enqueue DATA_DIR PERSON_ID ORDER_NUMBER
 *	    queues an order_confirmed message (ja) and prints its id
 *	mail_helper state DATA_DIR MESSAGE_ID
 *	    prints "STATE ATTEMPTS LAST_ERROR" (LAST_ERROR "-" if none)
 *
 * The person is synthetic; the test checks that its name and address reach
 * the message and nothing else.  Exit 0, or 1 with a line on stderr.
 */
#include "util/common.h"

#include <sodium.h>
#include <unistd.h>

#include "mail/mail.h"
#include "vault/client.h"

#define TEST_NAME	"山田 太郎"
#define TEST_EMAIL	"taro@example.com"

static int
cmd_put(const char *dir)
{
	static char token[RP_VAULT_TOKEN_HEX + 1];
	struct rp_vault_client *vc = NULL;
	struct rp_vault_caller c;
	struct rp_vault_person p;
	/* the orders test_mailer.py mails about: the mailer reads only the
	 * traveller linked to a message's order */
	static const struct rp_str orders[] = {
		{ "RP-TEST0001", 11 }, { "RP-TEST0002", 11 },
		{ "RP-TEST0003", 11 }, { "RP-TEST0004", 11 },
	};
	uint64_t id = 0;
	int r;

	if ((r = rp_vault_token_read(dir, token)) != 0) {
		fprintf(stderr, "mail_helper: operator token: %s\n",
		    rp_strerror(r));
		return 1;
	}
	/* The vault may still be connecting to the log writer. */
	for (int k = 0; k < 100; k++) {
		if ((r = rp_vault_client_connect(dir, token, &vc)) == 0)
			break;
		usleep(100000);
	}
	sodium_memzero(token, sizeof(token));
	if (r != 0) {
		fprintf(stderr, "mail_helper: connect: %s\n", rp_strerror(r));
		return 1;
	}
	memset(&p, 0, sizeof(p));
	p.f[RP_VF_NAME] = rp_str_c(TEST_NAME);
	p.f[RP_VF_EMAIL] = rp_str_c(TEST_EMAIL);
	if ((r = rp_vault_caller_init(&c, "backoffice", "operator", "staff:test",
	    "backoffice")) == 0) {
		for (int k = 0; k < 100; k++) {
			if ((r = rp_vault_client_put(vc, &c, &p, 0, orders,
			    RP_ARRAY_LEN(orders), &id, NULL)) != RP_E_AGAIN)
				break;
			usleep(100000);
		}
	}
	rp_vault_client_close(vc);
	if (r != 0) {
		fprintf(stderr, "mail_helper: put: %s\n", rp_strerror(r));
		return 1;
	}
	printf("%" PRIu64 "\n", id);
	return 0;
}

static int
cmd_enqueue(const char *dir, const char *person, const char *order)
{
	struct rp_mail_outbox *ob = NULL;
	char params[1024];
	uint64_t pid, id = 0;
	int r, n;

	if (rp_str_to_u64(rp_str_c(person), INT64_MAX, &pid) != 0) {
		fprintf(stderr, "mail_helper: bad person id\n");
		return 1;
	}
	/* Every {{key}} of order_confirmed.ja.txt but {{name}}, which comes
	 * from the vault. */
	n = snprintf(params, sizeof(params), "{\"order_number\":\"%s\","
	    "\"plan\":\"国内データ無制限\",\"start_date\":\"2026-12-01\","
	    "\"end_date\":\"2026-12-08\",\"total\":\"12,800\","
	    "\"link\":\"http://127.0.0.1/x\"}", order);
	if (n < 0 || (size_t)n >= sizeof(params))
		return 1;
	if ((r = rp_mail_outbox_open(dir, &ob)) != 0 ||
	    (r = rp_mail_enqueue(ob, "order_confirmed", "ja", order, pid,
	    params, "", (int64_t)time(NULL), &id, NULL)) != 0) {
		fprintf(stderr, "mail_helper: enqueue: %s\n", rp_strerror(r));
		rp_mail_outbox_close(ob);
		return 1;
	}
	rp_mail_outbox_close(ob);
	printf("%" PRIu64 "\n", id);
	return 0;
}

static int
cmd_state(const char *dir, const char *msg)
{
	static const char *const names[] = { "queued", "sent", "failed", "dead" };
	struct rp_mail_outbox *ob = NULL;
	struct rp_mail_info mi;
	uint64_t id;
	int r;

	if (rp_str_to_u64(rp_str_c(msg), INT64_MAX, &id) != 0) {
		fprintf(stderr, "mail_helper: bad message id\n");
		return 1;
	}
	if ((r = rp_mail_outbox_open(dir, &ob)) != 0 ||
	    (r = rp_mail_get(ob, id, &mi)) != 0) {
		fprintf(stderr, "mail_helper: state: %s\n", rp_strerror(r));
		rp_mail_outbox_close(ob);
		return 1;
	}
	rp_mail_outbox_close(ob);
	printf("%s %u %s\n", (unsigned)mi.state < 4 ? names[mi.state] : "?",
	    mi.attempts, mi.last_error[0] ? mi.last_error : "-");
	return 0;
}

int
main(int argc, char **argv)
{
	if (sodium_init() < 0)
		return 1;
	if (argc == 3 && strcmp(argv[1], "put") == 0)
		return cmd_put(argv[2]);
	if (argc == 5 && strcmp(argv[1], "enqueue") == 0)
		return cmd_enqueue(argv[2], argv[3], argv[4]);
	if (argc == 4 && strcmp(argv[1], "state") == 0)
		return cmd_state(argv[2], argv[3]);
	fprintf(stderr, "usage: mail_helper put DATA_DIR\n"
	    "       mail_helper enqueue DATA_DIR PERSON_ID ORDER_NUMBER\n"
	    "       mail_helper state DATA_DIR MESSAGE_ID\n");
	return 2;
}
