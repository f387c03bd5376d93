/**
 * @file media.h  storegw media library: the one public header of media/.
 *
 * media/ is the bottom of the dependency graph: it knows nothing of calls,
 * browsers or SIP. It holds logging, the config-key tables every folder uses,
 * SDP (RFC 8866) as a small fixed-size model, RTP/RTCP helpers, RFC 7983
 * demultiplexing and SRTP behind one interface with two backends.
 *
 * This header includes no libre or sofia-sip header, so it can be used from
 * sip/ (sofia-sip) and from libre code alike. libre types are forward declared.
 */
#ifndef SG_MEDIA_H
#define SG_MEDIA_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mbuf;

/* ------------------------------------------------------------------ */
/* Logging (media/log.c)                                               */
/* ------------------------------------------------------------------ */

enum sg_log_level {
	SG_LOG_ERROR = 0,
	SG_LOG_WARN,
	SG_LOG_INFO,
	SG_LOG_DEBUG,
};

/** Subsystems, each with its own level. */
enum sg_log_subsys {
	SG_SUB_MAIN = 0,
	SG_SUB_CONF,
	SG_SUB_HTTP,
	SG_SUB_API,
	SG_SUB_WEBRTC,
	SG_SUB_MEDIA,
	SG_SUB_SIP,
	SG_SUB_HUB,
	SG_SUB_COUNT
};

void sg_log_set_level(enum sg_log_subsys sub, enum sg_log_level lvl);
enum sg_log_level sg_log_get_level(enum sg_log_subsys sub);
int sg_log_level_parse(const char *name, enum sg_log_level *lvl);
int sg_log_subsys_parse(const char *name, enum sg_log_subsys *sub);
const char *sg_log_subsys_name(enum sg_log_subsys sub);
bool sg_log_enabled(enum sg_log_subsys sub, enum sg_log_level lvl);
/**
 * Log one line. fmt is libre's re_printf format: printf's conversions plus
 * %m (errno text), %J (struct sa with port), %j (address), %r (struct pl),
 * %H (print handler). Never pass secrets.
 */
void sg_log(enum sg_log_subsys sub, enum sg_log_level lvl, const char *callid,
	    const char *fmt, ...);

/** Log with the subsystem and call id (NULL or "" when not in a call). */
#define SG_LOG(sub, lvl, cid, ...)					\
	do {								\
		if (sg_log_enabled((sub), (lvl)))			\
			sg_log((sub), (lvl), (cid), __VA_ARGS__);	\
	} while (0)
#define SG_ERR(sub, cid, ...)   SG_LOG(sub, SG_LOG_ERROR, cid, __VA_ARGS__)
#define SG_WARN(sub, cid, ...)  SG_LOG(sub, SG_LOG_WARN, cid, __VA_ARGS__)
#define SG_INFO(sub, cid, ...)  SG_LOG(sub, SG_LOG_INFO, cid, __VA_ARGS__)
#define SG_DEBUG(sub, cid, ...) SG_LOG(sub, SG_LOG_DEBUG, cid, __VA_ARGS__)

/* ------------------------------------------------------------------ */
/* Config-key tables (interpreted by gw/conf.c with libconfig)          */
/* ------------------------------------------------------------------ */

enum sg_conf_type {
	SG_CONF_INT,      /**< int, range [min, max]             */
	SG_CONF_BOOL,     /**< bool                              */
	SG_CONF_STRING,   /**< char[size], NUL-terminated         */
	SG_CONF_ENUM,     /**< int, one of names[] (string in file) */
	SG_CONF_STRLIST,  /**< char[count][size] array of strings, count in *cnt */
};

/**
 * Validate one value after the type and range checks passed.
 * Return 0, or an errno and a message in msg.
 */
typedef int (sg_conf_check_h)(const void *val, char *msg, size_t msgsz);

/** One configuration key of a group: pure data, no libconfig types. */
struct sg_conf_key {
	const char *name;
	enum sg_conf_type type;
	size_t offset;           /**< offsetof() into the group's struct   */
	size_t size;             /**< STRING: buffer size; STRLIST: per item */
	long long min, max;      /**< INT range; STRLIST: max items in max  */
	const char *const *names;/**< ENUM: NULL-terminated names          */
	size_t cnt_offset;       /**< STRLIST: offsetof() of a size_t count */
	sg_conf_check_h *check;  /**< optional extra validation            */
	const char *doc;         /**< one line for etc/storegw.conf        */
};

/* ------------------------------------------------------------------ */
/* Media config group "media" (media/conf.c)                            */
/* ------------------------------------------------------------------ */

enum sg_srtp_backend {
	SG_SRTP_BACKEND_LIBRE = 0,   /**< libre srtp (OpenSSL EVP, AES-NI)  */
	SG_SRTP_BACKEND_LIBSRTP2,    /**< libsrtp2, the reference backend   */
};

struct sg_media_conf {
	enum sg_srtp_backend srtp_backend;
	int rtcp_interval_ms;        /**< RTCP SR/RR interval              */
	int pli_interval_ms;         /**< keyframe request while none comes */
};

extern const struct sg_conf_key sg_media_conf_keys[];
void sg_media_conf_defaults(struct sg_media_conf *c);

/* ------------------------------------------------------------------ */
/* SRTP (media/srtp.c + backends)                                       */
/* ------------------------------------------------------------------ */

enum sg_srtp_suite {
	SG_SRTP_AES_CM_128_HMAC_SHA1_80 = 0,
	SG_SRTP_AES_CM_128_HMAC_SHA1_32,
	SG_SRTP_AEAD_AES_128_GCM,
};

/** Master key + salt length for a suite (30 for AES_CM_128, 28 for GCM). */
size_t sg_srtp_keylen(enum sg_srtp_suite suite);
const char *sg_srtp_backend_name(enum sg_srtp_backend be);

/** One direction of one SRTP session (all SSRCs of a transport). */
struct sg_srtp;

/**
 * Allocate an SRTP context (a libre mem object).
 * @param key      master key followed by master salt, sg_srtp_keylen() bytes
 * @param outbound true to protect (send), false to unprotect (receive)
 */
int sg_srtp_alloc(struct sg_srtp **sp, enum sg_srtp_backend be,
		  enum sg_srtp_suite suite, const uint8_t *key, size_t keylen,
		  bool outbound);

/**
 * Protect/unprotect the packet in mb from mb->pos to mb->end, in place.
 * Protect appends the tag: the caller leaves >= 32 bytes of room after
 * mb->end (mb->size); nothing is allocated per packet.
 * Return 0, or an errno (the caller counts the drop).
 */
int sg_srtp_protect(struct sg_srtp *s, struct mbuf *mb);
int sg_srtp_unprotect(struct sg_srtp *s, struct mbuf *mb);
int sg_srtcp_protect(struct sg_srtp *s, struct mbuf *mb);
int sg_srtcp_unprotect(struct sg_srtp *s, struct mbuf *mb);

/* ------------------------------------------------------------------ */
/* RFC 7983 demultiplexing (media/demux.c)                              */
/* ------------------------------------------------------------------ */

enum sg_pkt_kind {
	SG_PKT_UNKNOWN = 0,
	SG_PKT_STUN,      /**< first byte 0..3    */
	SG_PKT_DTLS,      /**< first byte 20..63  */
	SG_PKT_RTP,       /**< 128..191, PT byte not 192..223 */
	SG_PKT_RTCP,      /**< 128..191, second byte 192..223 (RFC 5761) */
};

enum sg_pkt_kind sg_pkt_classify(const uint8_t *p, size_t n);

/* ------------------------------------------------------------------ */
/* RTP / RTCP (media/rtp.c, media/rtcp.c, media/rtpstats.c)             */
/* ------------------------------------------------------------------ */

struct sg_rtp_hdr {
	bool marker;
	uint8_t pt;
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	size_t hdr_len;      /**< bytes up to the payload (CSRC + extension) */
	size_t pad_len;      /**< padding bytes at the end                  */
};

/** Parse a (decrypted) RTP header; EBADMSG if malformed. */
int sg_rtp_hdr_parse(struct sg_rtp_hdr *h, const uint8_t *p, size_t n);

/** Write SSRC / sequence / timestamp / PT of an RTP packet in place. */
void sg_rtp_set_ssrc(uint8_t *p, uint32_t ssrc);
void sg_rtp_set_seq(uint8_t *p, uint16_t seq);
void sg_rtp_set_ts(uint8_t *p, uint32_t ts);
void sg_rtp_set_pt(uint8_t *p, uint8_t pt);

/** Receive statistics of one SSRC (RFC 3550 A.1, A.3, A.8). */
struct sg_rtp_rxstats {
	uint32_t ssrc;
	bool init;
	uint16_t max_seq;
	uint32_t cycles;
	uint32_t base_seq;
	uint32_t bad_seq;
	uint32_t probation;
	uint32_t received;
	uint32_t expected_prior;
	uint32_t received_prior;
	uint32_t transit;
	uint32_t jitter;        /**< in timestamp units, << 4 as in A.8 */
	uint32_t clock_rate;
	uint32_t lsr;           /**< middle 32 bits of the last SR's NTP */
	uint64_t lsr_arrival_us;/**< when that SR arrived (monotonic us) */
};

void sg_rtp_rxstats_init(struct sg_rtp_rxstats *s, uint32_t ssrc,
			 uint32_t clock_rate);
/** Update with one packet; arrival in monotonic microseconds. */
void sg_rtp_rxstats_update(struct sg_rtp_rxstats *s, uint16_t seq,
			   uint32_t ts, uint64_t arrival_us);

/** Send statistics of one outgoing SSRC. */
struct sg_rtp_txstats {
	uint32_t ssrc;
	uint32_t packets;
	uint32_t octets;
	uint32_t last_ts;        /**< RTP timestamp of the last packet sent */
	uint64_t last_us;        /**< when it was sent (monotonic us)       */
	uint32_t clock_rate;
};

void sg_rtp_txstats_update(struct sg_rtp_txstats *s, uint32_t ts,
			   size_t payload_len, uint64_t now_us);

/** Report block for an RR/SR; fills and advances the prior counters. */
struct sg_rtcp_rb {
	uint32_t ssrc;
	uint8_t fraction_lost;
	int32_t cum_lost;        /**< 24-bit signed */
	uint32_t ext_max_seq;
	uint32_t jitter;
	uint32_t lsr;
	uint32_t dlsr;
};

void sg_rtp_rxstats_report(struct sg_rtp_rxstats *s, struct sg_rtcp_rb *rb,
			   uint64_t now_us);

/**
 * Build RTCP into buf (plain, before SRTCP). Return bytes written, or 0 if
 * bufsz is too small. now_ntp_us is wallclock microseconds since the Unix
 * epoch (converted to NTP inside).
 */
size_t sg_rtcp_build_sr(uint8_t *buf, size_t bufsz,
			const struct sg_rtp_txstats *tx, uint64_t now_wall_us,
			uint64_t now_us, const struct sg_rtcp_rb *rbv,
			size_t rbc);
size_t sg_rtcp_build_rr(uint8_t *buf, size_t bufsz, uint32_t sender_ssrc,
			const struct sg_rtcp_rb *rbv, size_t rbc);
/** RFC 4585 PLI. */
size_t sg_rtcp_build_pli(uint8_t *buf, size_t bufsz, uint32_t sender_ssrc,
			 uint32_t media_ssrc);
/** RFC 5104 FIR. */
size_t sg_rtcp_build_fir(uint8_t *buf, size_t bufsz, uint32_t sender_ssrc,
			 uint32_t media_ssrc, uint8_t seqnr);
/** SDES with one CNAME item. */
size_t sg_rtcp_build_sdes(uint8_t *buf, size_t bufsz, uint32_t ssrc,
			  const char *cname);

/** What one compound RTCP packet said (decrypted). */
enum sg_rtcp_flag {
	SG_RTCP_SR   = 1 << 0,
	SG_RTCP_RR   = 1 << 1,
	SG_RTCP_PLI  = 1 << 2,
	SG_RTCP_FIR  = 1 << 3,
	SG_RTCP_NACK = 1 << 4,
	SG_RTCP_REMB = 1 << 5,
	SG_RTCP_BYE  = 1 << 6,
};

struct sg_rtcp_info {
	unsigned flags;           /**< enum sg_rtcp_flag bits */
	uint32_t sr_ssrc;         /**< SR sender               */
	uint32_t sr_ntp_mid;      /**< middle 32 bits of SR NTP */
	uint32_t fb_media_ssrc;   /**< media SSRC of the last PLI/FIR/NACK */
	uint64_t remb_bps;
};

/** Parse a compound RTCP packet; EBADMSG when malformed (nothing read past n). */
int sg_rtcp_parse(struct sg_rtcp_info *info, const uint8_t *p, size_t n);

/* ------------------------------------------------------------------ */
/* SDP model (media/sdp.c): RFC 8866, fixed size, no allocation         */
/* ------------------------------------------------------------------ */

#define SG_SDP_MAX_MEDIA   16
#define SG_SDP_MAX_FMT     64
#define SG_SDP_MAX_CAND    16
#define SG_SDP_MAX_SSRC    8
#define SG_SDP_MAX_FB      12
#define SG_SDP_MAX_EXTMAP  16
#define SG_SDP_MAX_GROUP   16
#define SG_SDP_TOKEN       64
#define SG_SDP_LINE        256
#define SG_SDP_MAX_LEN     65536  /**< longest SDP accepted */

enum sg_sdp_dir {
	SG_SDP_SENDRECV = 0,
	SG_SDP_SENDONLY,
	SG_SDP_RECVONLY,
	SG_SDP_INACTIVE,
};

enum sg_sdp_setup {
	SG_SDP_SETUP_NONE = 0,
	SG_SDP_SETUP_ACTPASS,
	SG_SDP_SETUP_ACTIVE,
	SG_SDP_SETUP_PASSIVE,
	SG_SDP_SETUP_HOLDCONN,
};

struct sg_sdp_fmt {
	uint8_t pt;
	char name[32];            /**< encoding name as written ("opus")   */
	uint32_t clock_rate;
	uint8_t channels;         /**< 0 when not given                     */
	char fmtp[SG_SDP_LINE];   /**< a=fmtp parameters, "" when none      */
	char fb[SG_SDP_MAX_FB][48];/**< a=rtcp-fb values for this pt ("nack pli") */
	uint8_t fbc;
};

struct sg_sdp_cand {
	char foundation[33];
	uint16_t component;
	char transport[8];        /**< "udp" / "tcp" (lower case)           */
	uint32_t priority;
	char addr[SG_SDP_TOKEN];  /**< IP literal or an mDNS ".local" name  */
	uint16_t port;
	char type[8];             /**< host / srflx / prflx / relay         */
};

struct sg_sdp_extmap {
	uint16_t id;
	char uri[128];
};

struct sg_sdp_media {
	char type[16];            /**< audio / video / application          */
	uint16_t port;
	char proto[32];           /**< "UDP/TLS/RTP/SAVPF" ...              */
	struct sg_sdp_fmt fmtv[SG_SDP_MAX_FMT];
	uint8_t fmtc;
	char app_fmt[SG_SDP_TOKEN];/**< non-RTP media: the fmt token        */
	char mid[SG_SDP_TOKEN];
	enum sg_sdp_dir dir;
	bool rtcp_mux;
	bool rtcp_rsize;
	char ice_ufrag[257];      /**< media-level, else copied from session */
	char ice_pwd[257];
	char fp_hash[16];         /**< "sha-256"                            */
	char fingerprint[160];    /**< hex with colons                       */
	enum sg_sdp_setup setup;
	char conn_addr[SG_SDP_TOKEN];
	uint32_t ssrcv[SG_SDP_MAX_SSRC];
	uint8_t ssrcc;
	uint32_t fid_ssrc[2];     /**< a=ssrc-group:FID primary, rtx (0 if none) */
	char msid[2 * SG_SDP_TOKEN + 2];
	struct sg_sdp_cand candv[SG_SDP_MAX_CAND];
	uint8_t candc;
	struct sg_sdp_extmap extv[SG_SDP_MAX_EXTMAP];
	uint8_t extc;
	bool end_of_candidates;
	uint32_t ptime;           /**< 0 when absent */
};

struct sg_sdp {
	uint64_t sess_id;
	uint64_t sess_version;
	char origin_addr[SG_SDP_TOKEN];
	char bundle[SG_SDP_MAX_GROUP][SG_SDP_TOKEN]; /**< a=group:BUNDLE mids */
	uint8_t bundlec;
	bool ice_lite;
	struct sg_sdp_media mediav[SG_SDP_MAX_MEDIA];
	uint8_t mediac;
};

/**
 * Parse an SDP (RFC 8866). Session-level ice-ufrag/pwd, fingerprint, setup
 * and connection are inherited by media sections that lack them.
 * Unknown attributes are ignored. Line endings CRLF or LF.
 * @param err  on failure: a short reason for the API error message
 * Return 0, EBADMSG on malformed input, E2BIG when a limit is exceeded.
 */
int sg_sdp_parse(struct sg_sdp *sdp, const char *str, size_t len,
		 char *err, size_t errsz);

/** Parse one "candidate:..." attribute value (with or without "a="). */
int sg_sdp_cand_parse(struct sg_sdp_cand *c, const char *str, size_t len);

/** Find a media section by mid, NULL if none. */
const struct sg_sdp_media *sg_sdp_media_by_mid(const struct sg_sdp *sdp,
					       const char *mid);

/** Find a format by encoding name (case-insensitive) and clock rate (0 = any). */
const struct sg_sdp_fmt *sg_sdp_fmt_find(const struct sg_sdp_media *m,
					 const char *name, uint32_t clock_rate);

/** Get a fmtp parameter value ("apt", "packetization-mode") into val. */
int sg_sdp_fmtp_param(const struct sg_sdp_fmt *f, const char *key,
		      char *val, size_t valsz);

/** Monotonic and wallclock time in microseconds. */
uint64_t sg_now_us(void);
uint64_t sg_wallclock_us(void);

#endif
