/* gw/ private header: sales reps and the showroom SIP side (issue 5).
 *
 * The configuration shapes shared by the showroom registrar (gw/showroom.c),
 * the hub legs (gw/hubleg.c) and the router (gw/router.c). A rep belongs to
 * one store; the showroom AoR of a rep is sip:<id>@<store> (the store id is
 * the showroom domain and the digest realm).
 */
#ifndef SG_GW_REP_H
#define SG_GW_REP_H

#include <stdbool.h>
#include <stddef.h>
#include "gw/store.h"

#define SG_MAX_REPS            128   /**< reps in one config (all stores)  */
#define SG_REP_ID_MAX           32   /**< [a-z0-9_-], 31 chars             */
#define SG_REP_NAME_MAX         64
#define SG_REP_PASSWORD_MAX     64
#define SG_REP_MAX_SKILLS        8
#define SG_REP_SKILL_MAX        32
#define SG_REP_MAX_CONTACTS      4
#define SG_REP_CONTACT_MAX     128

/** One element of the top-level "reps" list. Holds a password: never log. */
struct sg_rep_conf {
	char store[SG_STORE_ID_MAX];      /**< a configured store's id        */
	char id[SG_REP_ID_MAX];           /**< unique within the store        */
	char name[SG_REP_NAME_MAX];       /**< display name (chat "from")     */
	char password[SG_REP_PASSWORD_MAX]; /**< showroom digest password      */
	char skills[SG_REP_MAX_SKILLS][SG_REP_SKILL_MAX];
	size_t skillc;
	/** Tried in order: "hub" (the rep's registered showroom endpoint),
	 *  "tel:+E164" or "sip:user@host" (through the store's IMS identity). */
	char contacts[SG_REP_MAX_CONTACTS][SG_REP_CONTACT_MAX];
	size_t contactc;
};

/** Config group "showroom": the gateway as registrar for the hubs. */
struct sg_showroom_conf {
	char listen[64];        /**< "127.0.0.1:5070" UDP + TCP; "" = off  */
	char tls_listen[64];    /**< "" = no TLS                           */
	char tls_cert[256];     /**< PEM, certificate and key              */
	int min_expires;        /**< REGISTER Expires below: 423           */
	int max_expires;        /**< Expires above: lowered to this        */
	int ring_timeout_s;     /**< a contact that does not answer: next  */
	int queue_max_wait_s;   /**< queued longer: hangup {reason:"no-rep"} */
	int queue_max;          /**< shoppers waiting per store            */
};

#endif
