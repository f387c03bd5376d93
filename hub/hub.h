/**
 * @file hub.h  storegw webcam hub: the one public header of hub/.
 *
 * The hub's media core: capture sources (synthetic video and audio, V4L2
 * cameras) behind one interface, and the switch matrix that puts any
 * source onto any call ("output"), encoding once per source x codec x
 * resolution and fanning the packets out.
 *
 * hub/ uses media/ and libre only (DESIGN.md). Everything runs on the
 * calling thread's libre loop; every object is a libre mem object. Nothing
 * is allocated or logged per frame or packet once an output is attached.
 */
#ifndef SG_HUB_H
#define SG_HUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "media/media.h"

struct mbuf;

/* ------------------------------------------------------------------ */
/* Pixel formats (hub/convert.c): pure functions, no allocation         */
/* ------------------------------------------------------------------ */

/** BT.601 limited range ("studio swing") Y'CbCr of a 0xRRGGBB colour. */
void sg_hub_rgb_to_yuv(uint32_t rgb, uint8_t *y, uint8_t *u, uint8_t *v);

/**
 * Packed YUYV 4:2:2 (V4L2_PIX_FMT_YUYV: Y0 U Y1 V) -> I420. Each output
 * chroma sample is the rounded mean of the two source rows it covers,
 * (a + b + 1) / 2. dst->w, dst->h (even) and its planes are set by the
 * caller; src holds dst->h rows of 2 * dst->w bytes, stride bytes apart.
 */
void sg_hub_yuyv_to_i420(const uint8_t *src, size_t stride,
			 struct sg_vimg *dst);

/**
 * Semi-planar NV12 (Y plane, then interleaved U V at half resolution)
 * -> I420: luma copied, chroma de-interleaved.
 */
void sg_hub_nv12_to_i420(const uint8_t *y, size_t ystride, const uint8_t *uv,
			 size_t uvstride, struct sg_vimg *dst);

/** I420 -> I420 of the same size with other strides (a plain copy). */
void sg_hub_i420_copy(const struct sg_vimg *src, struct sg_vimg *dst);

/* ------------------------------------------------------------------ */
/* Synthetic pictures (hub/pattern.c, hub/font.c)                        */
/* ------------------------------------------------------------------ */

/**
 * Draw text with the built-in 5x7 bitmap font into the luma plane at
 * (x, y), each font pixel scale x scale, in luma value lum. Digits, A-Z
 * (lower case drawn as upper case), space and ":.-_/'()!?#+" ; other
 * characters as a box. Clipped to the picture.
 * @return the width drawn in pixels
 */
unsigned sg_hub_font_draw(struct sg_vimg *img, unsigned x, unsigned y,
			  unsigned scale, uint8_t lum, const char *text);

/**
 * Draw one synthetic frame: background in the rep's colour, a luma-only
 * bar moving with the frame number, the name and the wall-clock time
 * (HH:MM:SS, UTC) as white text. Only luma differs from the colour
 * outside the text, so the picture's mean chroma is the rep's.
 */
void sg_hub_pattern_draw(struct sg_vimg *img, const char *name, uint32_t rgb,
			 uint64_t frame, uint64_t wall_us);

/* ------------------------------------------------------------------ */
/* Sources (hub/source.c and one file per kind)                          */
/* ------------------------------------------------------------------ */

enum sg_hub_src_kind {
	SG_HUB_SRC_VIDEO = 0,
	SG_HUB_SRC_AUDIO,
};

enum sg_hub_src_state {
	SG_HUB_SRC_STOPPED = 0,  /**< not started, or stopped             */
	SG_HUB_SRC_OK,           /**< delivering frames                   */
	SG_HUB_SRC_FAILED,       /**< failed; retried every retry_ms      */
};

/** A capture source (camera, microphone, synthetic); a mem object. */
struct sg_hub_source;
/** One consumer's subscription to a source's frames; a mem object. */
struct sg_hub_sink;

/**
 * One I420 picture (valid during the call only). ts_us: capture time,
 * monotonic microseconds (sg_now_us()).
 */
typedef void (sg_hub_vframe_h)(const struct sg_vimg *img, uint64_t ts_us,
			       void *arg);
/** One audio frame: mono 16-bit PCM at srate, valid during the call. */
typedef void (sg_hub_aframe_h)(const int16_t *pcm, size_t samples,
			       uint32_t srate, uint64_t ts_us, void *arg);
/** The source changed state; err: why it failed (0 otherwise). */
typedef void (sg_hub_state_h)(enum sg_hub_src_state state, int err,
			      void *arg);

struct sg_hub_source_stats {
	uint64_t frames;         /**< frames delivered                     */
	uint64_t failures;       /**< times it went to FAILED              */
	uint64_t retries;        /**< restart attempts after a failure     */
	uint64_t dropped;        /**< device frames dropped (bad/short)    */
	int last_err;            /**< errno of the last failure            */
	unsigned width, height;  /**< video: current picture size          */
};

/** Synthetic video: a moving pattern with the rep's name and the time. */
struct sg_hub_synvideo_conf {
	const char *name;        /**< source name and the text drawn       */
	uint32_t rgb;            /**< background 0xRRGGBB                  */
	unsigned width, height;  /**< even; 0: 640 x 480                   */
	unsigned fps;            /**< 0: 30                                */
};

/** Synthetic audio: a sine tone. */
struct sg_hub_synaudio_conf {
	const char *name;
	unsigned freq_hz;        /**< 0: 440                               */
	uint32_t srate;          /**< 0: 48000                             */
	unsigned ptime_ms;       /**< frame length; 0: 20                  */
	int level_dbfs;          /**< 0: -12 dBFS                          */
};

/** A V4L2 camera (YUYV, NV12 or YUV420 as the device offers). */
struct sg_hub_v4l2_conf {
	const char *name;
	const char *device;      /**< "/dev/video0"                        */
	unsigned width, height;  /**< asked of the driver; 0: 640 x 480    */
	unsigned fps;            /**< asked of the driver; 0: 30           */
};

/** An ALSA microphone: mono S16_LE captured at srate (hub/alsa.c). */
struct sg_hub_alsa_conf {
	const char *name;
	const char *device;      /**< "default", "hw:1,0", "plughw:1,0", "null" */
	uint32_t srate;          /**< exact (hw: devices may refuse it,
				      plughw: converts); 0: 48000          */
	unsigned ptime_ms;       /**< frame length; 0: 20                  */
};

int sg_hub_synvideo_alloc(struct sg_hub_source **sp,
			  const struct sg_hub_synvideo_conf *c);
int sg_hub_synaudio_alloc(struct sg_hub_source **sp,
			  const struct sg_hub_synaudio_conf *c);
int sg_hub_v4l2_alloc(struct sg_hub_source **sp,
		      const struct sg_hub_v4l2_conf *c);
int sg_hub_alsa_alloc(struct sg_hub_source **sp,
		      const struct sg_hub_alsa_conf *c);

/**
 * Start capturing (on the calling thread's libre loop). A failure to
 * start is not fatal to the caller: the source goes to FAILED, reports
 * it, and is retried every retry_ms until it works or is stopped.
 * @return 0 when it runs, else the errno of this attempt (already
 *         handled: a retry is scheduled)
 */
int sg_hub_source_start(struct sg_hub_source *s);
/** Stop capturing (and retrying); STOPPED. */
void sg_hub_source_stop(struct sg_hub_source *s);
/** Retry interval of a FAILED source; 0: 5000 ms. */
void sg_hub_source_set_retry(struct sg_hub_source *s, unsigned retry_ms);
/** One state handler (the daemon marks the rep available or not). */
void sg_hub_source_set_stateh(struct sg_hub_source *s, sg_hub_state_h *h,
			      void *arg);
enum sg_hub_src_state sg_hub_source_state(const struct sg_hub_source *s);
enum sg_hub_src_kind sg_hub_source_kind(const struct sg_hub_source *s);
const char *sg_hub_source_name(const struct sg_hub_source *s);
const char *sg_hub_src_state_name(enum sg_hub_src_state st);
void sg_hub_source_stats(const struct sg_hub_source *s,
			 struct sg_hub_source_stats *st);

/**
 * Subscribe to a source's frames (vh for video sources, ah for audio).
 * The sink holds a reference to the source; freeing the sink ends the
 * subscription. A handler may free its own sink, not another one.
 */
int sg_hub_sink_alloc(struct sg_hub_sink **skp, struct sg_hub_source *s,
		      sg_hub_vframe_h *vh, sg_hub_aframe_h *ah, void *arg);

/* ------------------------------------------------------------------ */
/* Switch matrix (hub/matrix.c, hub/egroup.c, hub/output.c)              */
/* ------------------------------------------------------------------ */

/** The matrix: finds and shares encoder groups; a mem object. */
struct sg_hub_matrix;
/** One call's stream (one m-line of a SIP leg); a mem object. */
struct sg_hub_output;

/** What an output sends, as negotiated in SDP. */
struct sg_hub_output_conf {
	enum sg_hub_src_kind kind;
	uint8_t pt;               /**< RTP payload type                     */
	size_t mtu;               /**< largest RTP packet incl. 12-byte
				       header; 0: 1200                      */
	/* video */
	enum sg_vcodec_id vcodec;
	int h264_mode;            /**< RFC 6184 packetization-mode 0 / 1    */
	unsigned width, height;   /**< even; 0: 640 x 480                   */
	unsigned fps;             /**< encoder rate hint; 0: 30             */
	uint32_t bitrate;         /**< bps; 0: 800 kbit/s video, codec
				       default audio                        */
	/* audio */
	enum sg_acodec_id acodec;
	int amr_mode;             /**< AMR mode; -1: highest                */
	bool amr_octet_align;     /**< RFC 4867 octet-align=1               */
};

/**
 * One RTP packet of an output: mb->pos..end is the whole packet (12-byte
 * header with this output's PT, sequence number, timestamp and marker;
 * SSRC 0, the leg writes its own) with >= 64 bytes of room after end.
 * Send it before returning (the buffer is reused); it may be changed in
 * place (SRTP). The handler must not free its output.
 */
typedef void (sg_hub_send_h)(struct mbuf *mb, void *arg);

struct sg_hub_matrix_stats {
	unsigned groups;          /**< encoder groups alive               */
	unsigned outputs;         /**< outputs alive                      */
	uint64_t encodes;         /**< frames encoded by every group, ever */
	uint64_t pkts;            /**< packets sent to every output, ever  */
};

struct sg_hub_output_stats {
	uint64_t pkts, bytes;
	uint64_t frames;          /**< frames sent                          */
	uint64_t keyframes;       /**< key frames sent                      */
	uint64_t waiting;         /**< delta frames held back awaiting a key */
	uint64_t switches;        /**< source changes                       */
	uint64_t keyreqs;         /**< keyframe requests (PLI/FIR)          */
	uint16_t seq;             /**< next sequence number                 */
	uint32_t last_ts;         /**< timestamp of the last packet         */
	/* its encoder group now (all 0 when it has no source) */
	unsigned group_outputs;   /**< outputs sharing the encoder          */
	uint64_t group_frames;    /**< frames the group received            */
	uint64_t group_encodes;   /**< frames it encoded                    */
};

int sg_hub_matrix_alloc(struct sg_hub_matrix **mp);
void sg_hub_matrix_stats(const struct sg_hub_matrix *m,
			 struct sg_hub_matrix_stats *st);

/**
 * A new output with no source (it sends nothing until one is set).
 * Holds a reference to the matrix. Sequence number and timestamp start
 * random (RFC 3550 5.1) and stay continuous for the output's life.
 */
int sg_hub_output_alloc(struct sg_hub_output **op, struct sg_hub_matrix *m,
			const struct sg_hub_output_conf *c,
			sg_hub_send_h *sendh, void *arg);
/**
 * Put a source on the output (NULL: none), mid-call: no renegotiation.
 * Joins (or creates) the encoder group of src x codec x resolution and
 * asks it for a keyframe; the output sends nothing from the new source
 * before that keyframe. Sequence numbers and timestamps continue.
 * @return 0, EINVAL (kind mismatch), ENOTSUP (audio rate not an integer
 *         multiple of the codec's), ENOMEM / codec errors
 */
int sg_hub_output_set_source(struct sg_hub_output *o,
			     struct sg_hub_source *src);
/** The receiver asked for a keyframe (RFC 4585 PLI, RFC 5104 FIR). */
void sg_hub_output_request_keyframe(struct sg_hub_output *o);
/** REMB/TMMBR: the target bitrate of the output's encoder group. */
int sg_hub_output_set_bitrate(struct sg_hub_output *o, uint32_t bps);
struct sg_hub_source *sg_hub_output_source(const struct sg_hub_output *o);
void sg_hub_output_stats(const struct sg_hub_output *o,
			 struct sg_hub_output_stats *st);

#endif
