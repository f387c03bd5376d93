/* Fuzz target: REGISTER requests through the showroom registrar
 * (gw/showroom.c): Contact/Expires parsing, digest, bindings, replies.
 * Each input goes in as it is, then again with a valid Authorization for
 * the nonce the registrar's 401 carried, so that the binding code behind
 * the digest is reached too. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <re.h>
#include "gw/showroom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sg_showroom *sr;
static struct udp_sock *us;
static struct sa self;

static void init(void)
{
	static struct sg_rep_conf reps[2];
	struct sg_showroom_conf conf;
	struct sa laddr;

	if (libre_init())
		abort();
	memset(&conf, 0, sizeof(conf));
	conf.min_expires = 10;
	conf.max_expires = 300;
	strcpy(reps[0].store, "store1");
	strcpy(reps[0].id, "alice");
	strcpy(reps[0].password, "alicepw");
	strcpy(reps[1].store, "store1");
	strcpy(reps[1].id, "bob");
	/* bob: no password, never registers */
	if (sg_showroom_alloc(&sr, &conf, reps, 2))
		abort();
	/* replies come back to this socket; read without a loop */
	sa_set_str(&laddr, "127.0.0.1", 0);
	if (udp_listen(&us, &laddr, NULL, NULL) || udp_local_get(us, &self))
		abort();
}

/* feed one request; the nonce of a 401 reply (if any) into nonce */
static void feed(const uint8_t *data, size_t size, char *nonce, size_t nsz)
{
	struct sip_msg *msg = NULL;
	struct mbuf *mb = mbuf_alloc(size + 1);
	char buf[4096];
	ssize_t n;
	int fd = udp_sock_fd(us, AF_INET);

	if (!mb)
		return;
	(void)mbuf_write_mem(mb, data, size);
	mb->pos = 0;
	if (!sip_msg_decode(&msg, mb)) {
		msg->sock = mem_ref(us);
		msg->tp = SIP_TRANSP_UDP;
		msg->src = self;
		sa_set_str(&msg->dst, "127.0.0.1", 5070);
		(void)sg_showroom_request(sr, msg);
		mem_deref(msg);
	}
	mem_deref(mb);
	while ((n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
		struct pl pn;

		buf[n] = '\0';
		if (nonce && !re_regex(buf, (size_t)n, "nonce=\"[0-9a-f]+\"",
				       &pn) && pn.l < nsz)
			pl_strcpy(&pn, nonce, nsz);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char nonce[128] = "", auth[512], ha1[33], ha2[33], resp[33];
	uint8_t md[16];
	const uint8_t *eol;
	uint8_t *d2;
	size_t n, k;

	if (!sr)
		init();
	if (size > 8192)
		return 0;
	feed(data, size, nonce, sizeof(nonce));
	eol = memchr(data, '\n', size);
	if (!nonce[0] || !eol)
		return 0;

	/* RFC 2617 3.2.2.1 with qop=auth */
	md5((const uint8_t *)"alice:store1:alicepw", 20, md);
	re_snprintf(ha1, sizeof(ha1), "%w", md, sizeof(md));
	md5((const uint8_t *)"REGISTER:sip:store1", 19, md);
	re_snprintf(ha2, sizeof(ha2), "%w", md, sizeof(md));
	(void)md5_printf(md, "%s:%s:00000001:c:auth:%s", ha1, nonce, ha2);
	re_snprintf(resp, sizeof(resp), "%w", md, sizeof(md));
	n = (size_t)re_snprintf(auth, sizeof(auth), "Authorization: Digest "
				"username=\"alice\", realm=\"store1\", "
				"nonce=\"%s\", uri=\"sip:store1\", "
				"response=\"%s\", qop=auth, nc=00000001, "
				"cnonce=\"c\", algorithm=MD5\r\n", nonce, resp);
	k = (size_t)(eol - data) + 1;
	d2 = malloc(size + n);
	if (!d2)
		return 0;
	memcpy(d2, data, k);
	memcpy(d2 + k, auth, n);
	memcpy(d2 + k + n, data + k, size - k);
	feed(d2, size + n, NULL, 0);
	free(d2);
	return 0;
}
