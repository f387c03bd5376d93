/* hub/egroup.c: an encoder group: one source x codec x resolution, encoded once, fanned out. */
#include <string.h>
#include <re.h>
#include "hub/core.h"

enum {
	RTP_HDR = 12,
	DEF_MTU = 1200,
	DEF_VBITRATE = 800000,
	ABUF = 1500,                    /* one encoded audio frame        */
};

struct sg_hub_egroup {
	struct le le;                   /* in the matrix's groups         */
	struct sg_hub_matrix *m;        /* weak: outputs hold it          */
	struct sg_hub_source *src;      /* held by sink                   */
	struct sg_hub_sink *sink;
	enum sg_hub_src_kind kind;
	struct list outputs;            /* struct sg_hub_output, weak     */

	/* the key, besides src */
	enum sg_vcodec_id vcodec;
	int h264_mode;
	unsigned w, h;
	size_t mtu;
	enum sg_acodec_id acodec;
	uint32_t abitrate;
	int amr_mode;

	/* video */
	struct sg_venc *venc;
	uint8_t *scaled;                /* I420 at w x h                  */
	struct sg_vimg simg;
	uint8_t *pl;                    /* packetiser scratch, maxpl      */
	size_t maxpl;
	uint16_t picid;
	bool force_key;
	bool have_pts;
	uint64_t pts;

	/* audio */
	struct sg_aenc *aenc;
	uint32_t src_srate;
	size_t src_samples;
	unsigned ratio;                 /* source rate / codec rate       */
	int16_t *rs;                    /* decimated frame                */
	uint32_t rtp_samples;           /* RTP clock ticks per frame       */
	uint8_t *abuf;

	uint64_t frames, encodes, keyframes, errors, dropped;
};

static void destructor(void *data)
{
	struct sg_hub_egroup *g = data;

	list_unlink(&g->le);
	mem_deref(g->sink);
	mem_deref(g->venc);
	mem_deref(g->scaled);
	mem_deref(g->pl);
	mem_deref(g->aenc);
	mem_deref(g->rs);
	mem_deref(g->abuf);
}

static int vpkt_h(const uint8_t *pl, size_t len, bool marker, void *arg)
{
	struct sg_hub_egroup *g = arg;
	struct le *le;

	for (le = g->outputs.head; le; le = le->next)
		sg_hub_output_vpkt(le->data, pl, len, marker);
	return 0;
}

/* One picture from the source: scale, encode once, packetise once. */
static void vframe_h(const struct sg_vimg *img, uint64_t ts_us, void *arg)
{
	struct sg_hub_egroup *g = arg;
	const struct sg_vimg *in = img;
	const uint8_t *data;
	uint64_t pts = ts_us * 9 / 100;         /* 90 kHz */
	struct le *le;
	unsigned sending = 0;
	size_t len;
	bool key;
	int err;

	g->frames++;
	if (img->w != g->w || img->h != g->h) {
		sg_vimg_scale(img, &g->simg);
		in = &g->simg;
	}
	if (g->have_pts && pts <= g->pts)
		pts = g->pts + 1;
	g->have_pts = true;
	g->pts = pts;

	err = sg_venc_encode(g->venc, in, pts, g->force_key, &data, &len,
			     &key);
	if (err) {
		g->errors++;
		return;
	}
	if (!len)
		return;
	g->encodes++;
	if (key) {
		g->keyframes++;
		g->force_key = false;
	}
	for (le = g->outputs.head; le; le = le->next)
		sending += sg_hub_output_vframe(le->data, key, ts_us);
	sg_hub_matrix_count(g->m, 0, 1, 0);
	if (!sending)
		return;

	if (g->vcodec == SG_VCODEC_VP8) {
		err = sg_vp8_packetize(data, len, g->picid, g->maxpl, g->pl,
				       vpkt_h, g);
		g->picid = (g->picid + 1) & 0x7fff;
	}
	else {
		err = sg_h264_packetize(data, len, g->h264_mode, g->maxpl,
					g->pl, vpkt_h, g);
	}
	if (err) {
		/* a frame not sent breaks the receivers' references */
		g->errors++;
		g->force_key = true;
	}
}

/* One PCM frame: to the codec's rate (integer decimation), encode once. */
static void aframe_h(const int16_t *pcm, size_t samples, uint32_t srate,
		     uint64_t ts_us, void *arg)
{
	struct sg_hub_egroup *g = arg;
	const int16_t *in = pcm;
	size_t n = samples, len = ABUF, i;
	struct le *le;
	int err;

	g->frames++;
	if (samples != g->src_samples || srate != g->src_srate) {
		g->dropped++;
		return;
	}
	if (g->ratio > 1) {
		/* a box filter over each ratio samples: a low-pass that is
		 * enough for a tone or a headset microphone's speech band */
		n = samples / g->ratio;
		for (i = 0; i < n; i++) {
			int32_t sum = 0;
			unsigned k;

			for (k = 0; k < g->ratio; k++)
				sum += pcm[i * g->ratio + k];
			g->rs[i] = (int16_t)(sum / (int32_t)g->ratio);
		}
		in = g->rs;
	}
	err = sg_aenc_encode(g->aenc, in, n, g->abuf, &len);
	if (err) {
		g->errors++;
		return;
	}
	g->encodes++;
	sg_hub_matrix_count(g->m, 0, 1, 0);
	for (le = g->outputs.head; le; le = le->next)
		sg_hub_output_aframe(le->data, g->abuf, len, g->rtp_samples,
				     ts_us);
}

static int video_init(struct sg_hub_egroup *g,
		      const struct sg_hub_output_conf *c)
{
	struct sg_venc_params ep = {
		.id = g->vcodec,
		.width = g->w,
		.height = g->h,
		.fps = c->fps ? c->fps : 30,
		.bitrate = c->bitrate ? c->bitrate : DEF_VBITRATE,
		/* RFC 6184 6.2: mode 0 sends whole NAL units only */
		.max_slice = g->vcodec == SG_VCODEC_H264 && g->h264_mode == 0 ?
			g->maxpl : 0,
	};
	size_t ysz = (size_t)g->w * g->h, csz = (size_t)(g->w / 2) * (g->h / 2);
	int err;

	err = sg_venc_alloc(&g->venc, &ep);
	if (err)
		return err;
	g->scaled = mem_alloc(ysz + 2 * csz, NULL);
	g->pl = mem_alloc(g->maxpl, NULL);
	if (!g->scaled || !g->pl)
		return ENOMEM;
	g->simg.w = g->w;
	g->simg.h = g->h;
	g->simg.data[0] = g->scaled;
	g->simg.data[1] = g->scaled + ysz;
	g->simg.data[2] = g->scaled + ysz + csz;
	g->simg.stride[0] = (int)g->w;
	g->simg.stride[1] = g->simg.stride[2] = (int)(g->w / 2);
	g->picid = rand_u16() & 0x7fff;
	g->force_key = true;
	return sg_hub_sink_alloc(&g->sink, g->src, vframe_h, NULL, g);
}

static int audio_init(struct sg_hub_egroup *g,
		      const struct sg_hub_output_conf *c)
{
	struct sg_acodec_params ap = {
		.id = g->acodec,
		.channels = 1,
		.bitrate = g->abitrate,
		.amr_mode = g->amr_mode,
	};
	uint32_t crate;
	int err;

	(void)c;
	if ((unsigned)g->acodec >= SG_ACODEC_COUNT)
		return EINVAL;
	sg_hub_source_afmt(g->src, &g->src_srate, &g->src_samples);
	crate = sg_acodec_srate(g->acodec);
	if (!g->src_srate || !g->src_samples || g->src_srate % crate ||
	    g->src_samples % (g->src_srate / crate))
		return ENOTSUP;
	g->ratio = g->src_srate / crate;
	g->rtp_samples = (uint32_t)((uint64_t)g->src_samples *
				    sg_acodec_rtp_rate(g->acodec) /
				    g->src_srate);
	err = sg_aenc_alloc(&g->aenc, &ap);
	if (err)
		return err;
	g->rs = mem_alloc(g->src_samples / g->ratio * sizeof(*g->rs), NULL);
	g->abuf = mem_alloc(ABUF, NULL);
	if (!g->rs || !g->abuf)
		return ENOMEM;
	return sg_hub_sink_alloc(&g->sink, g->src, NULL, aframe_h, g);
}

/**
 * A new group, linked into the matrix: the encoder and every buffer are
 * allocated here, none per frame.
 */
int sg_hub_egroup_alloc(struct sg_hub_egroup **gp, struct sg_hub_matrix *m,
			struct sg_hub_source *src,
			const struct sg_hub_output_conf *c)
{
	struct sg_hub_egroup *g;
	int err;

	g = mem_zalloc(sizeof(*g), destructor);
	if (!g)
		return ENOMEM;
	g->m = m;
	g->src = src;
	g->kind = c->kind;
	list_init(&g->outputs);
	g->mtu = c->mtu ? c->mtu : DEF_MTU;
	g->maxpl = g->mtu - RTP_HDR;
	if (c->kind == SG_HUB_SRC_VIDEO) {
		g->vcodec = c->vcodec;
		g->h264_mode = c->h264_mode;
		g->w = c->width ? c->width : 640;
		g->h = c->height ? c->height : 480;
		err = video_init(g, c);
	}
	else {
		g->acodec = c->acodec;
		g->abitrate = c->bitrate;
		g->amr_mode = c->amr_mode;
		err = audio_init(g, c);
	}
	if (err) {
		mem_deref(g);
		return err;
	}
	list_append(sg_hub_matrix_groups(m), &g->le, g);
	*gp = g;
	return 0;
}

/** Same source, codec, encoder settings and packet size. */
bool sg_hub_egroup_match(const struct sg_hub_egroup *g,
			 const struct sg_hub_source *src,
			 const struct sg_hub_output_conf *c)
{
	size_t mtu = c->mtu ? c->mtu : DEF_MTU;

	if (g->src != src || g->kind != c->kind || g->mtu != mtu)
		return false;
	if (c->kind == SG_HUB_SRC_VIDEO)
		return g->vcodec == c->vcodec &&
			(g->vcodec != SG_VCODEC_H264 ||
			 g->h264_mode == c->h264_mode) &&
			g->w == (c->width ? c->width : 640) &&
			g->h == (c->height ? c->height : 480);
	return g->acodec == c->acodec && g->abitrate == c->bitrate &&
		g->amr_mode == c->amr_mode;
}

/** A joining output needs a keyframe to start decoding. */
void sg_hub_egroup_join(struct sg_hub_egroup *g, struct le *le,
			struct sg_hub_output *o)
{
	list_append(&g->outputs, le, o);
	g->force_key = true;
}

void sg_hub_egroup_leave(struct sg_hub_egroup *g, struct le *le)
{
	(void)g;
	list_unlink(le);
}

void sg_hub_egroup_keyframe(struct sg_hub_egroup *g)
{
	g->force_key = true;
}

int sg_hub_egroup_set_bitrate(struct sg_hub_egroup *g, uint32_t bps)
{
	if (g->venc)
		return sg_venc_set_bitrate(g->venc, bps);
	return sg_aenc_set_mode(g->aenc, g->amr_mode, bps);
}

void sg_hub_egroup_counts(const struct sg_hub_egroup *g, unsigned *outputs,
			  uint64_t *frames, uint64_t *encodes)
{
	*outputs = list_count(&g->outputs);
	*frames = g->frames;
	*encodes = g->encodes;
}
