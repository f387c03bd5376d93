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
#include <stdio.h>

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
	int workers;                 /**< media worker threads; -1 auto
				      *   (CPUs - 1, >= 1), 0 inline      */
	enum sg_srtp_backend srtp_backend;
	int rtcp_interval_ms;        /**< RTCP SR/RR interval              */
	int pli_interval_ms;         /**< keyframe request while none comes */
	int nack_history;            /**< packets kept per video m-line for
				      *   NACK re-sends; 0 = off           */
	int rtp_timeout_s;           /**< SIP-side peer silent: end; 0 off */
};

extern const struct sg_conf_key sg_media_conf_keys[];
void sg_media_conf_defaults(struct sg_media_conf *c);

/* ------------------------------------------------------------------ */
/* Config files (media/cfgfile.c): any key table against libconfig      */
/* ------------------------------------------------------------------ */

struct config_setting_t;
struct config_t;

/**
 * Read a libconfig file (path) or text (text != NULL; path names it in
 * messages) into cf (config_init() done by the caller).
 * @return 0, or EINVAL with "file:line: message" / "file: cannot read"
 */
int sg_conf_read(struct config_t *cf, const char *path, const char *text,
		 char *err, size_t errsz);

/**
 * Write "file:line: " and the message for setting s into err.
 * @param path  the file name used when libconfig knows none (text input)
 * @return EINVAL, always
 */
int sg_conf_fail(const struct config_setting_t *s, const char *path,
		 char *err, size_t errsz, const char *fmt, ...);

/**
 * Load a libconfig group gs into grp through its key table: an unknown
 * key, a wrong type, a value out of range, not among an enum's names, a
 * list too long or refused by the key's check ends with EINVAL and
 * "file:line: gname.key: what" in err. Members named in subs (NULL-
 * terminated, may be NULL) are skipped: the caller loads them.
 */
int sg_conf_group_load(const struct sg_conf_key *keys, void *grp,
		       const struct config_setting_t *gs, const char *gname,
		       const char *const *subs, const char *path, char *err,
		       size_t errsz);

/**
 * Print grp's keys as libconfig text, each after its doc line (and range
 * or names), every line starting with indent.
 */
void sg_conf_group_print(FILE *f, const struct sg_conf_key *keys,
			 const void *grp, const char *indent);

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
	SG_RTCP_TMMBR = 1 << 7,   /**< RFC 5104 4.2.1 */
	SG_RTCP_TMMBN = 1 << 8,   /**< RFC 5104 4.2.2 */
};

#define SG_RTCP_MAX_NACK  16   /**< NACK FCI entries kept per packet */
#define SG_RTCP_NACK_SEQS 17   /**< sequence numbers one FCI names   */
#define SG_RTCP_MAX_TMMB  4    /**< TMMBR/TMMBN FCI entries kept     */

/** One TMMBR/TMMBN FCI entry (RFC 5104 4.2.1.1): a maximum total media
 *  bit rate (MxTBR = mantissa * 2^exp, bps, packet overhead included)
 *  for the media sender ssrc (TMMBR) or of the tuple's owner (TMMBN). */
struct sg_rtcp_tmmb {
	uint32_t ssrc;
	uint64_t bps;             /**< UINT64_MAX when it does not fit   */
	uint16_t overhead;        /**< measured overhead, bytes/packet   */
};

struct sg_rtcp_info {
	unsigned flags;           /**< enum sg_rtcp_flag bits */
	uint32_t sr_ssrc;         /**< SR sender               */
	uint32_t sr_ntp_mid;      /**< middle 32 bits of SR NTP */
	uint32_t fb_media_ssrc;   /**< media SSRC of the last PLI/FIR/NACK */
	uint64_t remb_bps;
	/** RFC 4585 6.2.1 generic NACK: FCI entries of the first NACK's
	 *  media SSRC (later NACKs for it appended), at most
	 *  SG_RTCP_MAX_NACK; nack_trunc when some were left out (more
	 *  entries, or another SSRC's NACK in the same compound). */
	uint32_t nack_ssrc;
	uint16_t nack_pid[SG_RTCP_MAX_NACK];
	uint16_t nack_blp[SG_RTCP_MAX_NACK];
	size_t nackc;
	bool nack_trunc;
	/** RFC 5104 TMMBR: the requester (packet sender SSRC) and its FCI
	 *  entries, at most SG_RTCP_MAX_TMMB (tmmb_trunc: more were sent).
	 *  fb_media_ssrc is the first entry's SSRC (4.2.1.2: the header's
	 *  media SSRC is 0). TMMBN: its sender and entry count only. */
	uint32_t tmmbr_sender;
	struct sg_rtcp_tmmb tmmbr[SG_RTCP_MAX_TMMB];
	size_t tmmbrc;
	bool tmmb_trunc;
	uint32_t tmmbn_sender;
	size_t tmmbnc;
};

/** Parse a compound RTCP packet; EBADMSG when malformed (nothing read past n). */
int sg_rtcp_parse(struct sg_rtcp_info *info, const uint8_t *p, size_t n);
/** Expand one NACK FCI (PID + BLP) into seqv; return the count, 1..17. */
size_t sg_rtcp_nack_seqs(uint16_t pid, uint16_t blp,
			 uint16_t seqv[SG_RTCP_NACK_SEQS]);
/** REMB (draft-alvestrand-rmcat-remb) limiting media_ssrc to bps. 24,
 *  or 0 if buf is too small. */
size_t sg_rtcp_build_remb(uint8_t *buf, size_t bufsz, uint32_t sender_ssrc,
			  uint32_t media_ssrc, uint64_t bps);
/** RFC 5104 TMMBR asking media_ssrc for at most bps (overhead: bytes per
 *  packet below RTP that bps includes). 20, or 0 if buf is too small. */
size_t sg_rtcp_build_tmmbr(uint8_t *buf, size_t bufsz, uint32_t sender_ssrc,
			   uint32_t media_ssrc, uint64_t bps,
			   uint16_t overhead);
/** RFC 5104 TMMBN with the bounding set v[0..n-1] (n may be 0). */
size_t sg_rtcp_build_tmmbn(uint8_t *buf, size_t bufsz, uint32_t sender_ssrc,
			   const struct sg_rtcp_tmmb *v, size_t n);
/** The TMMBR entry for media sender ssrc in info, or NULL. */
const struct sg_rtcp_tmmb *sg_rtcp_tmmbr_for(const struct sg_rtcp_info *info,
					     uint32_t ssrc);
/**
 * The media bit rate a TMMBR tuple leaves at a packet rate (RFC 5104
 * 3.5.4.1: MxTBR counts overhead bytes in every packet): bps - 8 *
 * overhead * pkts_per_s, at least 0.
 */
uint64_t sg_rtcp_tmmb_net(const struct sg_rtcp_tmmb *e, unsigned pkts_per_s);

/* ------------------------------------------------------------------ */
/* RTP send history for NACK re-sends (media/rtphist.c)                 */
/* ------------------------------------------------------------------ */

/** Bytes kept per packet: a browser-sized RTP packet plus its SRTP tag. */
#define SG_RTP_HIST_PKT 1256

/** The last n packets sent on one SSRC, by sequence number (a ring). */
struct sg_rtp_hist;

int sg_rtp_hist_alloc(struct sg_rtp_hist **hp, size_t n);
size_t sg_rtp_hist_bytes(size_t n);
void sg_rtp_hist_put(struct sg_rtp_hist *h, uint16_t seq, const uint8_t *p,
		     size_t len);
int sg_rtp_hist_rtx(struct sg_rtp_hist *h, uint16_t seq, uint64_t now_us,
		    const uint8_t **pp, size_t *lenp);

/* ------------------------------------------------------------------ */
/* SDP model (media/sdp.c): RFC 8866, fixed size, no allocation         */
/* ------------------------------------------------------------------ */

#define SG_SDP_MAX_MEDIA   16
#define SG_SDP_MAX_FMT     64
#define SG_SDP_MAX_CAND    16
#define SG_SDP_MAX_SSRC    8
#define SG_SDP_MAX_FB      12
#define SG_SDP_MAX_EXTMAP  16
#define SG_SDP_MAX_CRYPTO  8
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

/** a=crypto (RFC 4568 9.1), as written; the key is checked by its user. */
struct sg_sdp_crypto {
	uint32_t tag;             /**< 1..999999999                         */
	char suite[48];           /**< "AES_CM_128_HMAC_SHA1_80"            */
	char key[128];            /**< key-params "inline:<b64>[|..]"; secret */
	char params[96];          /**< session parameters, "" when none     */
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
	uint16_t rtcp_port;       /**< RFC 3605 a=rtcp port, 0 when absent */
	struct sg_sdp_crypto cryptov[SG_SDP_MAX_CRYPTO]; /**< RFC 4568 SDES  */
	uint8_t cryptoc;
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

/** A signal, on the loop (media/signals.c). */
typedef void (sg_signal_h)(int sig, void *arg);
/** Hand the signals of sigv (0-terminated) to h on the calling thread's
 *  libre loop through a self-pipe (once per process); SIGPIPE ignored. */
int sg_signals_listen(const int *sigv, sg_signal_h *h, void *arg);
void sg_signals_close(void);

/* ------------------------------------------------------------------ */
/* Plain RTP leg toward a SIP peer (media/rtpleg.c)                    */
/* TS 26.114: RTP/AVP(F), one UDP port per m-line, RTCP on port + 1    */
/* unless rtcp-mux, symmetric RTP latching (RFC 4961).                  */
/* ------------------------------------------------------------------ */

/** One RTP stream (one m-line) toward a SIP peer; a libre mem object. */
struct sg_rtpleg;

struct sg_rtpleg_conf {
	const char *laddr;        /**< local IP literal to bind               */
	uint16_t port_min;        /**< RTP port range (even ports are used)   */
	uint16_t port_max;
	bool rtcp_mux;            /**< RFC 5761: one port for RTP and RTCP    */
	uint32_t clock_rate;      /**< main payload clock (jitter, SR ts)     */
	int rtcp_interval_ms;     /**< RTCP report interval; <= 0: 5000       */
};

/**
 * One received RTP packet from the latched peer. mb->pos..end is the whole
 * packet (after SRTP unprotect when SDES is on) and mb->size leaves >= 64
 * bytes of room after end, so the handler may rewrite it in place and send
 * it on (sg_webrtc_transport_send_rtp(), sg_rtpleg_send()). The handler may
 * free the leg.
 */
typedef void (sg_rtpleg_rtp_h)(const struct sg_rtp_hdr *h, struct mbuf *mb,
			       void *arg);
/** Parsed RTCP from the peer carrying PLI/FIR/NACK/REMB. */
typedef void (sg_rtpleg_rtcp_h)(const struct sg_rtcp_info *ri, void *arg);

struct sg_rtpleg_stats {
	uint64_t rx_pkts, rx_bytes, tx_pkts, tx_bytes;
	uint64_t rx_rtcp, tx_rtcp;
	uint64_t drop_src;        /**< from a source other than the peer      */
	uint64_t drop_malformed;  /**< not RTP/RTCP, bad header               */
	uint64_t drop_nopeer;     /**< before sg_rtpleg_set_remote()          */
	uint64_t drop_srtp;       /**< SRTP/SRTCP unprotect/protect failed    */
	uint64_t tx_err;          /**< sendto() failed                        */
	uint64_t ssrc_changes;    /**< peer started a new SSRC                */
	bool latched;             /**< RTP source latched (RFC 4961)          */
	char latched_addr[48];    /**< its IP ("" if not latched)             */
	uint16_t latched_port;
	uint32_t local_ssrc;      /**< our outgoing SSRC                      */
	uint32_t rx_ssrc;         /**< the peer's current SSRC (0: none)      */
	uint32_t rx_received;     /**< RFC 3550 A.1 received count of rx_ssrc */
	bool peer_sr;             /**< an SR from the peer arrived            */
	uint32_t peer_sr_packets; /**< its sender's packet count              */
	uint32_t peer_sr_octets;
	bool peer_rb;             /**< the peer reported on our SSRC          */
	struct sg_rtcp_rb peer_report; /**< its last report block about us   */
	uint64_t tmmbr_rx;        /**< TMMBRs naming our SSRC (RFC 5104)      */
	uint64_t tmmbn_tx;        /**< TMMBNs we answered them with           */
	uint64_t tmmbn_rx;        /**< TMMBNs from the peer (to our requests) */
	uint64_t tmmbr_bps;       /**< the last one's MxTBR (0: none yet)     */
};

/**
 * Bind an even RTP port and port + 1 for RTCP (one port with rtcp-mux) on
 * conf->laddr within [port_min, port_max]: random start, then probe.
 * Call in the libre loop (thread) that runs the call's media: the sockets
 * and the RTCP timer belong to it and every handler runs there.
 */
int sg_rtpleg_alloc(struct sg_rtpleg **lp, const struct sg_rtpleg_conf *conf,
		    const char *callid, sg_rtpleg_rtp_h *rtph,
		    sg_rtpleg_rtcp_h *rtcph, void *arg);
/** Local RTP port (RTCP is port + 1 unless rtcp-mux). */
uint16_t sg_rtpleg_port(const struct sg_rtpleg *l);
/** Our outgoing SSRC (random, fixed for the leg's life). */
uint32_t sg_rtpleg_ssrc(const struct sg_rtpleg *l);
/** Our RTCP CNAME (RFC 7022: random per leg). */
const char *sg_rtpleg_cname(const struct sg_rtpleg *l);

/**
 * Set the peer from its SDP: RTP to addr:port, RTCP to rtcp_port (0: port
 * + 1, RFC 3605 default) or to port when rtcp_mux. Starts the RTCP timer.
 * Calling it again (re-INVITE) resets latching.
 */
int sg_rtpleg_set_remote(struct sg_rtpleg *l, const char *addr, uint16_t port,
			 uint16_t rtcp_port, bool rtcp_mux);

/**
 * Send one RTP packet (mb->pos..end, header written by the caller): the
 * SSRC is set to the leg's, SRTP-protected in place if SDES is on (then mb
 * needs 32 bytes of room after end), sent to the latched peer (else the
 * SDP address). Nothing is allocated. Return 0 or an errno (counted).
 */
int sg_rtpleg_send(struct sg_rtpleg *l, struct mbuf *mb);

/** Ask the peer for a keyframe (RFC 4585 6.3.1 PLI) on its current SSRC. */
int sg_rtpleg_request_keyframe(struct sg_rtpleg *l);

/**
 * Ask the peer to send at most bps on its current SSRC (RFC 5104 TMMBR;
 * overhead: bytes per packet below RTP counted in bps). Used to pass on a
 * request from the other leg when relaying. A TMMBR from the peer naming
 * our SSRC is answered with a TMMBN by the leg itself (4.2.1.2) and
 * handed to the rtcp handler with SG_RTCP_TMMBR and fb_media_ssrc = ours.
 */
int sg_rtpleg_send_tmmbr(struct sg_rtpleg *l, uint64_t bps, uint16_t overhead);

/**
 * SDES hook (RFC 4568): SRTP contexts for send (protect) and receive
 * (unprotect); references are taken. NULL, NULL turns SRTP off.
 */
int sg_rtpleg_set_srtp(struct sg_rtpleg *l, struct sg_srtp *tx,
		       struct sg_srtp *rx);

void sg_rtpleg_stats(const struct sg_rtpleg *l, struct sg_rtpleg_stats *st);

/** Nothing came from the peer for the watched time (sg_rtpleg_watch). */
typedef void (sg_rtpleg_idle_h)(void *arg);
/**
 * Watch for inactivity (a dead peer): h when neither RTP nor RTCP came
 * for timeout_ms (checked on a timer, at most 1 s late; counting starts
 * now), again after each further timeout_ms. 0 or NULL stops (hold).
 * The handler may free the leg.
 */
void sg_rtpleg_watch(struct sg_rtpleg *l, uint32_t timeout_ms,
		     sg_rtpleg_idle_h *h, void *arg);
/** Whether the leg is watched; if so *ms = ms since it last received
 *  (as of the watch's last check). */
bool sg_rtpleg_idle(const struct sg_rtpleg *l, uint64_t *ms);

/**
 * Find, in a compound RTCP packet, the SR sender info of any SR and the
 * report block about ssrc (RFC 3550 6.4). Bounds-checked (outside input).
 * @return 0 (flags in *found: 1 = SR seen, 2 = block about ssrc), EBADMSG
 */
int sg_rtpleg_rtcp_reports(const uint8_t *p, size_t n, uint32_t ssrc,
			   unsigned *found, uint32_t *sr_packets,
			   uint32_t *sr_octets, struct sg_rtcp_rb *rb);

/* ------------------------------------------------------------------ */
/* Relay stream: one direction of one m-line, leg A -> leg B            */
/* (media/relay.c). In-place rewrite, no allocation.                    */
/* ------------------------------------------------------------------ */

#define SG_RELAY_MAX_PT 8

/** One payload type mapping. */
struct sg_relay_pt {
	uint8_t in_pt, out_pt;
	uint32_t in_rate, out_rate; /**< clock rates of this PT on each side */
	bool telev;                 /**< RFC 4733 telephone-event           */
};

struct sg_relay_map {
	uint32_t out_ssrc;         /**< 0: leave it (the destination sets it) */
	uint32_t in_clock;         /**< timestamp clock of the source stream;
				        0: first non-telev PT's in_rate        */
	uint32_t out_clock;        /**< of the destination stream; 0: likewise */
	struct sg_relay_pt ptv[SG_RELAY_MAX_PT];
	size_t ptc;
};

struct sg_relay_stats {
	uint64_t fwd;              /**< rewritten packets                   */
	uint64_t drop_pt;          /**< PT not in the map                   */
	uint64_t drop_bad;         /**< malformed telephone-event payload    */
	uint64_t src_changes;      /**< source SSRC changed (re-based)       */
	uint64_t telev;            /**< telephone-event packets rewritten    */
	uint64_t injected;         /**< seq/ts handed out by _next()         */
	uint64_t drop_old;         /**< late packets of the previous source  */
};

/**
 * State of one relayed stream. Embed it in the owner; fields are private
 * to media/relay.c (read stats only).
 */
struct sg_relay_stream {
	struct sg_relay_map map;
	int8_t pt_idx[128];        /**< in PT -> ptv index, -1 none          */
	bool have_src, have_out;
	bool mark_next;            /**< set M on the next audio packet       */
	uint32_t src_ssrc;
	uint32_t prev_ssrc;        /**< the source before the last change    */
	uint64_t change_us;        /**< when it changed (monotonic us)       */
	uint16_t seq_off;          /**< out seq = in seq + seq_off           */
	uint32_t base_in, base_out;/**< ts mapping anchor (RFC 3550 5.1)     */
	uint16_t max_seq;          /**< highest out seq sent                 */
	uint32_t max_ts;           /**< highest out timestamp sent           */
	uint64_t max_ts_us;        /**< when it was sent (monotonic us)      */
	struct sg_relay_stats st;
};

/**
 * Initialise a stream from a map (copied). EINVAL for a bad map (rates of
 * 0, duplicate input PT, more than SG_RELAY_MAX_PT entries).
 */
int sg_relay_stream_init(struct sg_relay_stream *s,
			 const struct sg_relay_map *map);

/**
 * s takes over from prev toward the same destination (a new source leg in
 * place of an old one): its first packet continues prev's sequence
 * numbers and timestamps, so the receiver sees one stream. Nothing
 * happens when prev sent nothing or the output clocks differ.
 */
void sg_relay_stream_follow(struct sg_relay_stream *s,
			    const struct sg_relay_stream *prev);

/**
 * Rewrite one RTP packet in place for the destination: PT, SSRC (if
 * map.out_ssrc), sequence number and timestamp continuous across source
 * SSRC changes, telephone-event timestamp/duration scaled (RFC 4733).
 * @param pkt  the whole RTP packet, len bytes
 * @param h    its parsed header (sg_rtp_hdr_parse)
 * @return 0 to send it, ENOENT (PT not mapped) or EBADMSG: drop (counted)
 */
int sg_relay_stream_rewrite(struct sg_relay_stream *s, uint8_t *pkt,
			    size_t len, const struct sg_rtp_hdr *h);

/**
 * Take the next outgoing sequence number and the destination timestamp of
 * "now" for a packet the gateway inserts (DTMF): later relayed packets
 * shift by one so the numbering stays continuous.
 */
void sg_relay_stream_next(struct sg_relay_stream *s, uint16_t *seq,
			  uint32_t *ts);

/* ------------------------------------------------------------------ */
/* RFC 4733 DTMF events (media/dtmf.c)                                  */
/* ------------------------------------------------------------------ */

struct sg_dtmf_event {
	uint8_t event;            /**< 0-9, 10 '*', 11 '#', 12-15 A-D       */
	bool end;                 /**< E bit                                */
	uint8_t volume;           /**< 0..63, -dBm0                         */
	uint16_t duration;        /**< in the event's clock units           */
};

/**
 * Parse an RFC 4733 2.3 telephone-event payload (outside input).
 * @return 0, EINVAL, EBADMSG (short, not whole 4-byte blocks),
 *         ENOTSUP (not a DTMF event 0..15)
 */
int sg_dtmf_parse(struct sg_dtmf_event *ev, const uint8_t *p, size_t n);
/** '0'..'9', '*', '#', 'A'..'D' for events 0..15, else 0. */
char sg_dtmf_digit(uint8_t event);
/** Event code of a digit (case-insensitive A-D), -1 if none. */
int sg_dtmf_event_code(char digit);

/** RFC 4733 generator; a libre mem object. */
struct sg_dtmf;

struct sg_dtmf_conf {
	uint8_t pt;               /**< telephone-event PT on the destination */
	uint32_t clock_rate;      /**< its clock (duration units); 0: 8000   */
	unsigned duration_ms;     /**< per digit; 0: 100                     */
	unsigned gap_ms;          /**< between digits; 0: 50                 */
	unsigned ptime_ms;        /**< update interval; 0: 50                */
	uint8_t volume;           /**< 0: 10                                 */
};

/**
 * A ready RTP packet (mb->pos..end, 64 bytes of room after end): send it
 * with sg_rtpleg_send() or sg_webrtc_transport_send_rtp().
 */
typedef void (sg_dtmf_send_h)(struct mbuf *mb, void *arg);

/**
 * Allocate a generator sending into stream s (weak pointer: s must outlive
 * the generator), whose sequence/timestamp it continues. Runs on a libre
 * timer of the calling thread.
 */
int sg_dtmf_alloc(struct sg_dtmf **dp, const struct sg_dtmf_conf *conf,
		  struct sg_relay_stream *s, sg_dtmf_send_h *sendh, void *arg);
/** Queue digits; EINVAL on a bad digit (nothing queued), ENOSPC if full. */
int sg_dtmf_send(struct sg_dtmf *d, const char *digits);
/** true while digits are queued or being sent. */
bool sg_dtmf_busy(const struct sg_dtmf *d);


/* ------------------------------------------------------------------ */
/* Audio codecs (media/acodec.c): one interface over Opus, AMR-WB,      */
/* AMR-NB, G.711 and G.722; PCM is 16-bit signed, interleaved.          */
/* ------------------------------------------------------------------ */

enum sg_acodec_id {
	SG_ACODEC_OPUS = 0,     /**< RFC 7587: 48 kHz RTP clock          */
	SG_ACODEC_AMRWB,        /**< RFC 4867: 16 kHz                    */
	SG_ACODEC_AMRNB,        /**< RFC 4867: 8 kHz                     */
	SG_ACODEC_PCMU,         /**< G.711 mu-law, 8 kHz                 */
	SG_ACODEC_PCMA,         /**< G.711 A-law, 8 kHz                  */
	SG_ACODEC_G722,         /**< 16 kHz audio, 8 kHz RTP clock (RFC 3551) */
	SG_ACODEC_COUNT
};

/** Look a codec up by its SDP encoding name ("opus", "AMR-WB", "AMR",
 *  "PCMU", "PCMA", "G722"); -1 when we cannot transcode it. */
int sg_acodec_by_name(const char *name);
const char *sg_acodec_name(enum sg_acodec_id id);
/** PCM sample rate the codec works at (opus: 48000; G.722: 16000). */
uint32_t sg_acodec_srate(enum sg_acodec_id id);
/** RTP timestamp clock rate (G.722: 8000, RFC 3551 4.5.2). */
uint32_t sg_acodec_rtp_rate(enum sg_acodec_id id);

struct sg_acodec_params {
	enum sg_acodec_id id;
	uint8_t channels;          /**< 1 (opus may be 2 on the wire)     */
	uint32_t bitrate;          /**< opus bps; 0 = codec default       */
	int amr_mode;              /**< AMR mode 0..8 (WB) / 0..7 (NB); -1 = highest allowed */
	uint16_t amr_mode_set;     /**< bit n = mode n allowed; 0 = all   */
	bool opus_fec;             /**< opus in-band FEC on encode        */
	bool dtx;                  /**< discontinuous transmission        */
};

/** One direction of one codec instance: encoder or decoder. */
struct sg_aenc;
struct sg_adec;

int sg_aenc_alloc(struct sg_aenc **ep, const struct sg_acodec_params *p);
/**
 * Encode one frame of samples (sg_acodec_srate * ptime; AMR: 20 ms only)
 * into out; *outlen in: room, out: bytes. For AMR the output is one
 * "storage format" frame (TOC byte + speech bits, octet aligned, as the
 * opencore/vo-amrwbenc libraries produce), which media/amr.c packs into
 * RFC 4867 payloads. 0 bytes = DTX/no data.
 */
int sg_aenc_encode(struct sg_aenc *e, const int16_t *pcm, size_t samples,
		   uint8_t *out, size_t *outlen);
/** Change the AMR mode (CMR, RFC 4867 4.3.1) or opus bitrate on the fly. */
int sg_aenc_set_mode(struct sg_aenc *e, int amr_mode, uint32_t bitrate);

int sg_adec_alloc(struct sg_adec **dp, const struct sg_acodec_params *p);
/**
 * Decode one frame (storage-format for AMR) into pcm (room in *samples,
 * out: samples written). data == NULL: the frame was lost; conceal it
 * (opus PLC, AMR bad-frame handling, G.711/G.722 repetition then
 * fade to silence) producing samples of the codec's frame length
 * (opus: the last frame's length).
 */
int sg_adec_decode(struct sg_adec *d, const uint8_t *data, size_t len,
		   int16_t *pcm, size_t *samples);
/** Opus only: decode the FEC copy of a lost frame from the next packet. */
int sg_adec_decode_fec(struct sg_adec *d, const uint8_t *next, size_t len,
		       int16_t *pcm, size_t *samples);

/* ------------------------------------------------------------------ */
/* AMR / AMR-WB RTP payload format (media/amr.c): RFC 4867              */
/* ------------------------------------------------------------------ */

#define SG_AMR_MAX_FRAMES 12   /**< frames per packet we accept        */
#define SG_AMR_NO_CMR 15       /**< CMR value "no mode request"        */

struct sg_amr_frame {
	uint8_t ft;               /**< frame type (mode; 8/9 SID, 15 no data) */
	bool q;                   /**< quality bit: 0 = damaged            */
	const uint8_t *speech;    /**< speech bits, MSB first, octet padded */
	size_t bits;
};

struct sg_amr_payload {
	uint8_t cmr;
	struct sg_amr_frame framev[SG_AMR_MAX_FRAMES];
	size_t framec;
	uint8_t buf[SG_AMR_MAX_FRAMES * 64]; /**< speech bits of BE payloads */
};

/**
 * Parse an RFC 4867 payload (octet-aligned 4.4 or bandwidth-efficient
 * 4.3), wb selecting AMR-WB frame sizes. Outside input: never reads past
 * n; EBADMSG when malformed.
 */
int sg_amr_unpack(struct sg_amr_payload *pl, const uint8_t *p, size_t n,
		  bool wb, bool octet_align);
/**
 * Build a payload from storage-format frames (as sg_aenc_encode writes):
 * cmr, then frames in order. Return bytes written or 0 if out is too small.
 */
size_t sg_amr_pack(uint8_t *out, size_t outsz, uint8_t cmr,
		   const uint8_t *const *frames, const size_t *lens,
		   size_t framec, bool wb, bool octet_align);
/** Storage-format frame (TOC + speech) from a parsed frame (for decode). */
size_t sg_amr_storage(uint8_t *out, size_t outsz,
		      const struct sg_amr_frame *f, bool wb);

/* ------------------------------------------------------------------ */
/* Video RTP payloads (media/vpkt.c): RFC 7741 VP8, RFC 6184 H.264.     */
/* Outside input: nothing is read past a packet; buffers are bounded    */
/* and allocated once; nothing is allocated per packet.                 */
/* ------------------------------------------------------------------ */

enum sg_vcodec_id {
	SG_VCODEC_VP8 = 0,      /**< RFC 7741, 90 kHz                    */
	SG_VCODEC_H264,         /**< RFC 6184, 90 kHz                    */
};

#define SG_VPKT_MAX_FRAME  (512 * 1024) /**< default frame bound         */
#define SG_VPKT_MAX_PS     256          /**< one stored SPS or PPS       */

/** RFC 7741 4.2 VP8 payload descriptor. */
struct sg_vp8_desc {
	bool n;                  /**< non-reference frame                 */
	bool s;                  /**< start of a VP8 partition            */
	uint8_t pid;             /**< partition index 0..7                */
	bool has_picid;          /**< I                                   */
	bool picid_long;         /**< M: 15-bit PictureID                 */
	uint16_t picid;
	bool has_tl0;            /**< L                                   */
	uint8_t tl0picidx;
	bool has_tid;            /**< T                                   */
	uint8_t tid;
	bool y;
	bool has_keyidx;         /**< K                                   */
	uint8_t keyidx;          /**< 0..31                               */
	size_t len;              /**< descriptor bytes (parse: out)       */
};

/** Parse a VP8 payload descriptor; EBADMSG if short/malformed. */
int sg_vp8_desc_parse(struct sg_vp8_desc *d, const uint8_t *p, size_t n);
/** Write a descriptor; return bytes written, 0 if sz is too small. */
size_t sg_vp8_desc_write(uint8_t *p, size_t sz, const struct sg_vp8_desc *d);
/**
 * Is this VP8 frame (its first bytes) a key frame (RFC 7741 4.3, RFC 6386
 * 9.1: P bit clear, start code 9d 01 2a)? Sets *w, *h if non-NULL.
 */
bool sg_vp8_is_keyframe(const uint8_t *frame, size_t n, unsigned *w,
			unsigned *h);
/** Does this Annex-B access unit hold an IDR slice (NAL type 5)? */
bool sg_h264_is_idr(const uint8_t *au, size_t n);

/**
 * Find the next NAL unit of an Annex-B stream at or after *off.
 * @return 0 (nal/len set, *off moved past it) or ENOENT at the end
 */
int sg_h264_nal_next(const uint8_t *au, size_t n, size_t *off,
		     const uint8_t **nal, size_t *len);

/** A frame assembled by a depacketiser (valid until its next call). */
struct sg_vframe {
	const uint8_t *data;     /**< VP8 frame / Annex-B access unit     */
	size_t len;
	uint32_t ts;             /**< RTP timestamp (90 kHz)              */
	bool key;                /**< VP8 key frame / H.264 IDR           */
};

/** What sg_vdepack_put() reports (bits). */
enum sg_vdepack_ev {
	SG_VDEPACK_FRAME = 1 << 0, /**< *f holds a complete frame          */
	SG_VDEPACK_LOST  = 1 << 1, /**< a frame was lost or dropped: the
				       decoder needs a keyframe             */
};

struct sg_vdepack_stats {
	uint64_t pkts, frames, lost, malformed, too_big, dup;
};

/** A depacketiser for one received stream; a libre mem object. */
struct sg_vdepack;

/**
 * @param h264_mode  RFC 6184 packetization-mode 0 or 1 (ignored for VP8)
 * @param max_frame  largest frame assembled (0: SG_VPKT_MAX_FRAME)
 */
int sg_vdepack_alloc(struct sg_vdepack **dp, enum sg_vcodec_id codec,
		     int h264_mode, size_t max_frame);
/**
 * Store SPS/PPS from an fmtp sprop-parameter-sets value (RFC 6184 8.1:
 * comma-separated base64 NAL units); they are put in front of an IDR
 * access unit that comes without them. EBADMSG on bad base64 or NALs.
 */
int sg_vdepack_set_sprop(struct sg_vdepack *d, const char *sprop);
/**
 * Feed one RTP packet (payload only; h: its header; packets in sequence
 * order, e.g. from a jitter buffer). A sequence gap, a malformed packet or
 * an oversized frame drops the partial frame and reports SG_VDEPACK_LOST.
 * @param ev  out: enum sg_vdepack_ev bits
 * @return 0, or EBADMSG (malformed, counted) / E2BIG (frame too big)
 */
int sg_vdepack_put(struct sg_vdepack *d, const struct sg_rtp_hdr *h,
		   const uint8_t *pl, size_t n, unsigned *ev,
		   struct sg_vframe *f);
void sg_vdepack_stats(const struct sg_vdepack *d, struct sg_vdepack_stats *st);

/**
 * One payload written by a packetiser into its out buffer; marker: last
 * packet of the frame (RFC 7741 4.1, RFC 6184 5.1). Return non-zero to stop.
 */
typedef int (sg_vpack_h)(const uint8_t *pl, size_t len, bool marker,
			 void *arg);

/**
 * Packetise one encoded VP8 frame into payloads <= maxpl bytes, each with
 * a descriptor carrying the 15-bit PictureID, S=1/PID=0 on the first.
 * out: scratch of >= maxpl bytes that each payload is written to.
 * @return 0, EINVAL (maxpl too small), or the handler's error
 */
int sg_vp8_packetize(const uint8_t *frame, size_t len, uint16_t picid,
		     size_t maxpl, uint8_t *out, sg_vpack_h *pkth, void *arg);
/**
 * Packetise one Annex-B access unit (RFC 6184). Mode 1: a NAL unit <=
 * maxpl goes alone, runs of small NAL units (SPS+PPS) in one STAP-A
 * (5.7.1), larger ones as FU-A (5.8). Mode 0: single NAL units only
 * (6.2), so the encoder must limit its slice size to maxpl; E2BIG for a
 * larger NAL unit (nothing sent). Marker on the last payload.
 */
int sg_h264_packetize(const uint8_t *au, size_t len, int mode, size_t maxpl,
		      uint8_t *out, sg_vpack_h *pkth, void *arg);

/* ------------------------------------------------------------------ */
/* Video codecs (media/vcodec.c): libvpx VP8 and openh264 behind one    */
/* interface; I420 frames; single-threaded, realtime settings.          */
/* ------------------------------------------------------------------ */

/** An I420 picture; planes owned by whoever filled it. */
struct sg_vimg {
	unsigned w, h;
	uint8_t *data[3];
	int stride[3];
};

/**
 * Bilinear I420 scale src -> dst (dst->w, dst->h and planes set by the
 * caller; even sizes). No allocation.
 */
void sg_vimg_scale(const struct sg_vimg *src, struct sg_vimg *dst);

struct sg_venc_params {
	enum sg_vcodec_id id;
	unsigned width, height;  /**< fixed for the encoder's life        */
	unsigned fps;            /**< 0: 30                               */
	uint32_t bitrate;        /**< bps                                 */
	size_t max_slice;        /**< H.264: slice NAL size limit in bytes
				      (packetization-mode 0); 0: one slice */
};

struct sg_venc;
struct sg_vdec;

int sg_venc_alloc(struct sg_venc **ep, const struct sg_venc_params *p);
/**
 * Encode one picture (its size must be the encoder's). pts: 90 kHz,
 * increasing. Output (VP8 frame / Annex-B AU with 4-byte start codes)
 * stays valid until the next call; *len 0: the encoder skipped it.
 */
int sg_venc_encode(struct sg_venc *e, const struct sg_vimg *img, uint64_t pts,
		   bool force_key, const uint8_t **data, size_t *len,
		   bool *key);
/** Change the target bitrate on the fly (REMB, TMMBR). */
int sg_venc_set_bitrate(struct sg_venc *e, uint32_t bps);

int sg_vdec_alloc(struct sg_vdec **dp, enum sg_vcodec_id id);
/**
 * Decode one frame / access unit. *got: a picture is in *img (planes
 * owned by the decoder until its next call). EBADMSG: decode error.
 */
int sg_vdec_decode(struct sg_vdec *d, const uint8_t *data, size_t len,
		   struct sg_vimg *img, bool *got);

/* ------------------------------------------------------------------ */
/* Video transcoding pipeline (media/vtx.c): RTP in -> depacketise ->   */
/* decode -> scale/frame-rate cap -> encode -> packetise -> RTP out.    */
/* Runs on the caller's thread; allocates only at alloc and when the    */
/* resolution changes.                                                  */
/* ------------------------------------------------------------------ */

struct sg_vtx_params {
	enum sg_vcodec_id in_codec;
	int in_h264_mode;          /**< RFC 6184 packetization-mode (0/1)  */
	const char *in_sprop;      /**< fmtp sprop-parameter-sets or NULL  */
	enum sg_vcodec_id out_codec;
	int out_h264_mode;         /**< 0: single NAL units only, slices
				        limited to the payload size        */
	unsigned max_width, max_height; /**< output cap (0: none); aspect kept */
	unsigned max_fps;          /**< output cap (0: 30)                 */
	uint32_t bitrate;          /**< initial encoder bps                */
	size_t mtu;                /**< largest RTP packet, 12-byte header
				        included (0: 1200)                 */
	uint8_t out_pt;
	size_t max_frame;          /**< 0: SG_VPKT_MAX_FRAME               */
};

struct sg_vtx_stats {
	uint64_t pkts_in, pkts_bad;
	uint64_t frames_in;        /**< complete frames depacketised        */
	uint64_t frames_lost;      /**< frames dropped by the depacketiser  */
	uint64_t frames_skipped;   /**< delta frames while awaiting a key   */
	uint64_t frames_decoded, decode_errors;
	uint64_t frames_capped;    /**< decoded, not encoded (fps cap)      */
	uint64_t frames_encoded, keyframes_sent, encode_errors;
	uint64_t pkts_out;
	uint64_t keyreq_sent;      /**< keyframe requests toward the sender */
	uint64_t keyreq_rcvd;      /**< sg_vtx_request_keyframe() calls     */
	unsigned out_width, out_height;
};

/**
 * One output RTP packet: mb->pos..end is the whole packet (12-byte header
 * with our seq/ts/marker/PT, SSRC 0: the leg sets it) with >= 64 bytes of
 * room after end. Send it before returning (the buffer is reused).
 */
typedef void (sg_vtx_send_h)(struct mbuf *mb, void *arg);
/** Ask the sender for a keyframe (PLI/FIR toward the input leg). */
typedef void (sg_vtx_keyreq_h)(void *arg);

struct sg_vtx;

int sg_vtx_alloc(struct sg_vtx **vp, const struct sg_vtx_params *p,
		 sg_vtx_send_h *sendh, sg_vtx_keyreq_h *keyreqh, void *arg);
/**
 * One received RTP packet (whole packet, h parsed by sg_rtp_hdr_parse),
 * in sequence order. Decodes and re-encodes when a frame completes.
 * @return 0, or the errno of a dropped packet/frame (also counted)
 */
int sg_vtx_input(struct sg_vtx *v, const struct sg_rtp_hdr *h,
		 const uint8_t *pkt, size_t len);
/** The receiver asked for a keyframe: the next encoded frame is one. */
void sg_vtx_request_keyframe(struct sg_vtx *v);
/** REMB/TMMBR: change the encoder's bitrate. */
int sg_vtx_set_bitrate(struct sg_vtx *v, uint32_t bps);
void sg_vtx_stats(const struct sg_vtx *v, struct sg_vtx_stats *st);

/* ------------------------------------------------------------------ */
/* Audio transcoding pipeline (media/atx.c): one direction of one       */
/* stream, RTP in codec A -> RTP out codec B. Reorder buffer, loss      */
/* concealment, resampling, re-packetisation; nothing allocated per     */
/* packet. Runs in the call's media thread.                             */
/* ------------------------------------------------------------------ */

/** One side of a pipeline, as negotiated in SDP. */
struct sg_atx_side {
	enum sg_acodec_id codec;
	uint8_t pt;               /**< its payload type                     */
	uint8_t channels;         /**< 1; opus input may be 2 (downmixed)   */
	bool amr_octet_align;     /**< RFC 4867 octet-align=1               */
	uint16_t amr_mode_set;    /**< bit n = mode n allowed; 0 = all      */
};

/** Start from sg_atx_conf_defaults(): 0 is a valid AMR mode/CMR. */
struct sg_atx_conf {
	struct sg_atx_side in, out;
	uint8_t in_cn_pt;         /**< RFC 3389 CN PT on the input; 0: none */
	uint8_t out_cn_pt;        /**< send one CN packet when silence starts
				       (a G.711/G.722 peer that offered CN);
				       0: silence sends nothing            */
	unsigned ptime_ms;        /**< out packet time: 20, 40 or 60        */
	int amr_mode;             /**< out AMR start mode; -1: highest allowed */
	uint8_t amr_cmr;          /**< CMR we send: the mode we ask the far
				       end for; SG_AMR_NO_CMR: none        */
	bool amr_follow_cmr;      /**< sg_atx_set_cmr() changes our mode    */
	uint32_t opus_bitrate;    /**< 0: codec default                     */
	bool opus_fec;            /**< out opus in-band FEC                 */
	bool dtx;                 /**< out encoder DTX                      */
	unsigned jb_min_ms;       /**< wait for a missing packet: adaptive  */
	unsigned jb_max_ms;       /**< between these (30, 60), at least one
				       packet time + 10 ms                 */
};

struct sg_atx_stats {
	uint64_t in_pkts;         /**< accepted (audio + CN)                */
	uint64_t concealed;       /**< lost packet times concealed          */
	uint64_t fec;             /**< of those, from the next opus packet's
				       FEC (libopus conceals if it has none) */
	uint64_t late;            /**< arrived after being concealed/skipped */
	uint64_t dup;             /**< duplicates dropped                   */
	uint64_t dec_frames, enc_frames, out_pkts;
	uint64_t drop_pt;         /**< neither the input PT nor CN          */
	uint64_t drop_bad;        /**< malformed / undecodable payloads      */
	uint64_t enc_err;
	uint64_t silences;        /**< silence periods (DTX/CN) started     */
	uint64_t resync;          /**< new SSRC, restarted seq, long loss   */
	uint64_t cmr_rx;          /**< CMR changes received (handed over)   */
	uint64_t mode_changes;    /**< our AMR encoder mode changed          */
	unsigned jb_pkts;         /**< packets held now                     */
	unsigned jb_max;          /**< most packets held at once            */
	unsigned jb_wait_ms;      /**< current wait for a missing packet    */
	int amr_mode;             /**< our AMR encoder mode (-1: not AMR)   */
};

struct sg_atx;

/**
 * A ready RTP packet at mb->pos..end (64 bytes of room after end): our
 * PT, sequence, timestamp (out RTP clock), marker; SSRC 0, to be set by
 * the leg (sg_rtpleg_send(), sg_webrtc_transport_send_rtp()). The
 * handler may free the pipeline.
 */
typedef void (sg_atx_send_h)(struct mbuf *mb, void *arg);
/**
 * The AMR peer's CMR changed: a mode it asks of OUR encoder toward it,
 * i.e. of the opposite direction's pipeline (hand it to sg_atx_set_cmr()).
 */
typedef void (sg_atx_cmr_h)(int mode, void *arg);

void sg_atx_conf_defaults(struct sg_atx_conf *c);
/** Allocate a pipeline (libre mem object); conf and callid are copied. */
int sg_atx_alloc(struct sg_atx **ap, const struct sg_atx_conf *conf,
		 const char *callid, sg_atx_send_h *sendh,
		 sg_atx_cmr_h *cmrh, void *arg);
/** One input RTP packet (whole, decrypted, h from sg_rtp_hdr_parse). */
int sg_atx_input(struct sg_atx *a, const struct sg_rtp_hdr *h,
		 const uint8_t *pkt, size_t len, uint64_t now_us);
/** Playout deadline: call every 10-20 ms (libre timer, media thread). */
void sg_atx_tick(struct sg_atx *a, uint64_t now_us);
/** Peer's CMR for our AMR encoder (mode-set respected; 15: no change). */
int sg_atx_set_cmr(struct sg_atx *a, int mode);
/** The CMR we send: the mode asked of the far end (15: none). */
int sg_atx_request_mode(struct sg_atx *a, int mode);
/** Opus out bitrate (REMB/TMMBR). */
int sg_atx_set_bitrate(struct sg_atx *a, uint32_t bps);
void sg_atx_stats(const struct sg_atx *a, struct sg_atx_stats *st);

/* ------------------------------------------------------------------ */
/* Audio mixer with mix-minus (media/amix.c): N parties in one          */
/* conference; each hears the sum of all the others, never itself.      */
/* Runs in one media thread: every party's packets, the tick and the    */
/* send handlers belong to it. Nothing allocated per packet or frame.   */
/* ------------------------------------------------------------------ */

#define SG_AMIX_MAX 8             /**< parties per mixer                 */
#define SG_AMIX_FRAME 960         /**< 20 ms at 48 kHz: the mixer's frame */

/**
 * A PCM-output pipeline (media/atx.c): the input side of a mixer party.
 * Frames of n samples (48 kHz mono, 20 ms) as they are played, in the
 * pipeline's order: decoded, concealed (up to 100 ms) or FEC-recovered.
 */
typedef void (sg_atx_pcm_h)(const int16_t *pcm, size_t n, void *arg);

int sg_atx_alloc_pcm(struct sg_atx **ap, const struct sg_atx_conf *conf,
		     const char *callid, sg_atx_pcm_h *pcmh,
		     sg_atx_cmr_h *cmrh, void *arg);

struct sg_amix_conf {
	unsigned jb_ms;           /**< playout depth per party, 40..160 ms,
				       a multiple of 20 (default 60): how
				       long a late or lost packet may take
				       to be concealed before it is missed */
	uint16_t talk_level;      /**< a frame whose peak is below this is
				       not mixed (silence; default 32, about
				       -60 dBFS); 0: every frame is mixed  */
};

/** What one party sends us and what it receives, as negotiated. */
struct sg_amix_party_conf {
	struct sg_atx_side in;    /**< its codec toward us (any of acodec) */
	uint8_t in_cn_pt;         /**< RFC 3389 CN PT it may send; 0: none */
	struct sg_atx_side out;   /**< what we send it (20 ms packets)     */
	uint32_t opus_bitrate;    /**< out opus; 0: codec default          */
	bool opus_fec;            /**< out opus in-band FEC                */
	bool dtx;                 /**< out encoder DTX                     */
	bool keep_sending;        /**< hearing nobody: send encoded silence
				       (a peer that drops the call when RTP
				       stops); else nothing is sent        */
};

struct sg_amix_party_stats {
	struct sg_atx_stats in;   /**< its input pipeline (concealed, late..)*/
	uint64_t frames;          /**< 20 ms frames it spoke into the mix  */
	uint64_t quiet;           /**< frames below talk_level: not mixed  */
	uint64_t underruns;       /**< playing, but no frame when due      */
	uint64_t trimmed;         /**< frames dropped: queue over its bound */
	uint64_t out_pkts;        /**< packets sent to it                  */
	uint64_t out_shared;      /**< of those, encoded once for several  */
	uint64_t enc_err;
	unsigned queued;          /**< frames waiting for their tick now   */
};

struct sg_amix_stats {
	uint64_t ticks;
	uint64_t mixes;           /**< outputs that summed >= 2 talkers    */
	uint64_t passthrough;     /**< outputs of one talker: no sum       */
	uint64_t encodes;         /**< encoder runs (one per distinct output
				       and codec, shared by its listeners) */
};

struct sg_amix;

/**
 * A ready RTP packet for one party at mb->pos..end (64 bytes of room
 * after end for SRTP): its PT, own sequence and timestamp, marker on
 * the first packet after silence; SSRC 0, to be set by the leg. The
 * handler must not free the mixer; it may remove parties.
 */
typedef void (sg_amix_send_h)(struct mbuf *mb, void *arg);

/** Defaults: jb_ms 60, talk_level 32. */
void sg_amix_conf_defaults(struct sg_amix_conf *c);
/** Allocate a mixer (libre mem object); conf may be NULL (defaults). */
int sg_amix_alloc(struct sg_amix **mp, const struct sg_amix_conf *conf,
		  const char *callid);
/**
 * Add a party: its input pipeline, playout queue, encoder and send
 * handler. *idp: its id (0..SG_AMIX_MAX-1) for the calls below.
 * @return 0, EINVAL, EOVERFLOW (full), ENOMEM, or the codec's error
 */
int sg_amix_add(struct sg_amix *m, unsigned *idp,
		const struct sg_amix_party_conf *pc, sg_amix_send_h *sendh,
		void *arg);
/** Remove a party (the others go on); ENOENT if there is none. */
int sg_amix_remove(struct sg_amix *m, unsigned id);
/** One RTP packet from party id (whole, decrypted, h parsed). */
int sg_amix_input(struct sg_amix *m, unsigned id, const struct sg_rtp_hdr *h,
		  const uint8_t *pkt, size_t len, uint64_t now_us);
/**
 * The mixer's clock: one 20 ms frame per call. Conceals what is
 * overdue, takes one frame per party, mixes and sends. Call it every
 * 20 ms (sg_amix_start() does so with a libre timer).
 */
void sg_amix_tick(struct sg_amix *m, uint64_t now_us);
/** Tick from a libre timer of the calling thread, every 20 ms. */
int sg_amix_start(struct sg_amix *m);
void sg_amix_stop(struct sg_amix *m);
int sg_amix_party_stats(const struct sg_amix *m, unsigned id,
			struct sg_amix_party_stats *st);
void sg_amix_stats(const struct sg_amix *m, struct sg_amix_stats *st);

/* ------------------------------------------------------------------ */
/* Packet rings (media/ring.c): fixed-size single-producer/single-      */
/* consumer rings between two threads; allocated once, no lock.         */
/* ------------------------------------------------------------------ */

struct sg_ring;

/** slots (rounded up to a power of 2, <= 65536) of slot_size bytes. */
int sg_ring_alloc(struct sg_ring **rp, unsigned slots, size_t slot_size);
/** Producer: the next free slot (*cap bytes), NULL when full. */
uint8_t *sg_ring_wbuf(struct sg_ring *r, size_t *cap);
/** Producer: publish the slot from sg_ring_wbuf() with len bytes. */
void sg_ring_commit(struct sg_ring *r, size_t len);
/** Producer: copy a then b into one slot; ENOSPC full, EMSGSIZE big. */
int sg_ring_push(struct sg_ring *r, const void *a, size_t alen,
		 const void *b, size_t blen);
/** Consumer: the oldest slot (*len bytes), NULL when empty. */
const uint8_t *sg_ring_rbuf(struct sg_ring *r, size_t *len);
/** Consumer: done with the slot from sg_ring_rbuf(). */
void sg_ring_release(struct sg_ring *r);
/** Slots in use (a snapshot). */
unsigned sg_ring_count(struct sg_ring *r);
unsigned sg_ring_slots(const struct sg_ring *r);

/* ------------------------------------------------------------------ */
/* Media workers (media/worker.c): a pool of threads, each with its own */
/* libre loop (re_thread_init); a job (a call's pipeline) is assigned   */
/* to the least loaded worker when created and stays there. Its input   */
/* crosses in sg_ring slots and sg_mjob_wake() (one eventfd write per   */
/* batch); its output likewise with sg_mtask_notify(). Attach and       */
/* detach cross in a libre mqueue: once the job handle is freed, the    */
/* worker runs ops.stop (after everything already handed over) and     */
/* nothing of the job is touched by the main thread again.              */
/* ------------------------------------------------------------------ */

/** media.workers: -1 = sg_mworkers_auto(), 0 = inline */
enum { SG_MWORKERS_MAX = 64, SG_MEDIA_WORKERS_DEFAULT = -1 };

struct sg_mworkers;
struct sg_mjob;
struct sg_mtask;

typedef void (sg_mjob_h)(void *arg);
/** On the job's worker thread: t for sg_mtask_notify(), arg = warg. */
typedef void (sg_mtask_h)(struct sg_mtask *t, void *arg);

struct sg_mjob_ops {
	sg_mtask_h *start;  /**< attached: start the job's timers here   */
	sg_mtask_h *run;    /**< input may be waiting in its rings       */
	sg_mtask_h *stop;   /**< detached: last call, free warg's state  */
};

struct sg_mworker_stats {
	unsigned jobs, load;
	uint64_t wakeups_in;   /**< worker woken by the main thread      */
	uint64_t wakeups_out;  /**< main thread woken by the worker      */
	uint64_t runs;
};

/** The default pool size: CPUs minus one, at least one. */
unsigned sg_mworkers_auto(void);
/**
 * Start n worker threads (0: none, jobs run inline: sg_mjob_alloc()
 * says ENOTSUP). Call from the main loop's thread; free it after every
 * job (jobs hold a reference).
 */
int sg_mworkers_alloc(struct sg_mworkers **pp, unsigned n);
unsigned sg_mworkers_count(const struct sg_mworkers *p);
/** Sum of the weights of worker i's jobs. */
unsigned sg_mworkers_load(const struct sg_mworkers *p, unsigned i);
void sg_mworkers_stats(const struct sg_mworkers *p, unsigned i,
		       struct sg_mworker_stats *st);
/**
 * Assign a job to the least loaded worker (weight: its share, e.g. a
 * video pipeline more than an audio one). warg belongs to the worker
 * from now on (ops.stop frees it); outh(marg) runs on this thread when
 * the worker called sg_mtask_notify(). mem_deref() the job to detach.
 * @return 0, ENOTSUP (no workers), EINVAL, ENOMEM
 */
int sg_mjob_alloc(struct sg_mjob **jp, struct sg_mworkers *p,
		  unsigned weight, const struct sg_mjob_ops *ops, void *warg,
		  sg_mjob_h *outh, void *marg);
/** Index of the job's worker. */
unsigned sg_mjob_worker(const struct sg_mjob *j);
/** Main thread: input was pushed (coalesced: no write while one is due). */
void sg_mjob_wake(struct sg_mjob *j);
/** Worker thread: output was pushed (coalesced likewise). */
void sg_mtask_notify(struct sg_mtask *t);

#endif
