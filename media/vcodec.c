/* media/vcodec.c: VP8 (libvpx) and H.264 (openh264) behind one interface. */
#include <string.h>
#include <re.h>
#include <vpx/vpx_encoder.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>
#include <wels/codec_api.h>
#include "media/media.h"

struct sg_venc {
	struct sg_venc_params p;
	vpx_codec_enc_cfg_t cfg;
	vpx_codec_ctx_t vpx;
	bool vpx_ok;
	ISVCEncoder *h264;
	bool h264_ok;
	uint8_t *buf;            /* the encoded frame handed out          */
	size_t bufsz;
};

struct sg_vdec {
	enum sg_vcodec_id id;
	vpx_codec_ctx_t vpx;
	bool vpx_ok;
	ISVCDecoder *h264;
	bool h264_ok;
};

/* ---- bilinear I420 scaler --------------------------------------------- */

/* 16.16 source position of destination sample i, centres aligned. */
static inline uint32_t src_pos(unsigned i, uint32_t step, unsigned smax)
{
	int64_t s = (int64_t)i * step + step / 2 - 32768;

	if (s < 0)
		return 0;
	if (s > (int64_t)smax << 16)
		return (uint32_t)smax << 16;
	return (uint32_t)s;
}

static void scale_plane(const uint8_t *src, int sstride, unsigned sw,
			unsigned sh, uint8_t *dst, int dstride, unsigned dw,
			unsigned dh)
{
	uint32_t xstep = (uint32_t)(((uint64_t)sw << 16) / dw);
	uint32_t ystep = (uint32_t)(((uint64_t)sh << 16) / dh);
	unsigned x, y;

	if (sw == dw && sh == dh) {
		for (y = 0; y < dh; y++)
			memcpy(dst + (size_t)y * dstride,
			       src + (size_t)y * sstride, dw);
		return;
	}

	for (y = 0; y < dh; y++) {
		uint32_t sy = src_pos(y, ystep, sh - 1);
		unsigned yi = sy >> 16, fy = (sy >> 8) & 0xff;
		const uint8_t *r0 = src + (size_t)yi * sstride;
		const uint8_t *r1 = yi + 1 < sh ? r0 + sstride : r0;
		uint8_t *d = dst + (size_t)y * dstride;

		for (x = 0; x < dw; x++) {
			uint32_t sx = src_pos(x, xstep, sw - 1);
			unsigned xi = sx >> 16, fx = (sx >> 8) & 0xff;
			unsigned x1 = xi + 1 < sw ? xi + 1 : xi;
			unsigned top = r0[xi] * (256 - fx) + r0[x1] * fx;
			unsigned bot = r1[xi] * (256 - fx) + r1[x1] * fx;

			d[x] = (uint8_t)((top * (256 - fy) + bot * fy + 32768)
					 >> 16);
		}
	}
}

/** Bilinear I420 scale; dst planes and size set by the caller. */
void sg_vimg_scale(const struct sg_vimg *src, struct sg_vimg *dst)
{
	int i;

	if (!src || !dst || !src->w || !src->h || !dst->w || !dst->h)
		return;
	for (i = 0; i < 3; i++) {
		unsigned sw = i ? (src->w + 1) / 2 : src->w;
		unsigned sh = i ? (src->h + 1) / 2 : src->h;
		unsigned dw = i ? (dst->w + 1) / 2 : dst->w;
		unsigned dh = i ? (dst->h + 1) / 2 : dst->h;

		scale_plane(src->data[i], src->stride[i], sw, sh,
			    dst->data[i], dst->stride[i], dw, dh);
	}
}

/* ---- encoders ---------------------------------------------------------- */

static void venc_destructor(void *data)
{
	struct sg_venc *e = data;

	if (e->vpx_ok)
		vpx_codec_destroy(&e->vpx);
	if (e->h264) {
		if (e->h264_ok)
			(*e->h264)->Uninitialize(e->h264);
		WelsDestroySVCEncoder(e->h264);
	}
	mem_deref(e->buf);
}

static int vp8_enc_init(struct sg_venc *e)
{
	vpx_codec_enc_cfg_t *c = &e->cfg;

	if (vpx_codec_enc_config_default(vpx_codec_vp8_cx(), c, 0))
		return ENOTSUP;
	c->g_w = e->p.width;
	c->g_h = e->p.height;
	c->g_timebase.num = 1;          /* pts are RTP timestamps, 90 kHz */
	c->g_timebase.den = 90000;
	c->g_threads = 1;               /* the caller's thread only       */
	c->g_lag_in_frames = 0;         /* realtime: a frame in, a frame out */
	c->g_pass = VPX_RC_ONE_PASS;
	c->g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
	c->rc_end_usage = VPX_CBR;
	c->rc_target_bitrate = e->p.bitrate / 1000;
	c->rc_dropframe_thresh = 0;     /* one frame out per frame in     */
	c->rc_min_quantizer = 2;
	c->rc_max_quantizer = 56;
	c->rc_undershoot_pct = 100;
	c->rc_overshoot_pct = 15;
	c->rc_buf_initial_sz = 500;
	c->rc_buf_optimal_sz = 600;
	c->rc_buf_sz = 1000;
	/* key frames when asked (PLI/FIR), else a slow safety net */
	c->kf_mode = VPX_KF_AUTO;
	c->kf_max_dist = 3000;

	if (vpx_codec_enc_init(&e->vpx, vpx_codec_vp8_cx(), c, 0))
		return EINVAL;
	e->vpx_ok = true;
	/* DEPENDENCIES.md: cpu-used -6 measured; realtime deadline on encode */
	vpx_codec_control(&e->vpx, VP8E_SET_CPUUSED, -6);
	vpx_codec_control(&e->vpx, VP8E_SET_NOISE_SENSITIVITY, 0);
	vpx_codec_control(&e->vpx, VP8E_SET_STATIC_THRESHOLD, 1);
	vpx_codec_control(&e->vpx, VP8E_SET_TOKEN_PARTITIONS,
			  VP8_ONE_TOKENPARTITION);
	/* key frames at most 3x an average frame: fewer packet bursts */
	vpx_codec_control(&e->vpx, VP8E_SET_MAX_INTRA_BITRATE_PCT, 300);
	return 0;
}

static int h264_enc_init(struct sg_venc *e)
{
	SEncParamExt ep;
	int lvl = WELS_LOG_QUIET, fmt = videoFormatI420;
	SSpatialLayerConfig *l;

	if (WelsCreateSVCEncoder(&e->h264) || !e->h264)
		return ENOMEM;
	/* openh264 logs to stderr unless told otherwise (DEPENDENCIES.md) */
	(*e->h264)->SetOption(e->h264, ENCODER_OPTION_TRACE_LEVEL, &lvl);

	memset(&ep, 0, sizeof(ep));
	(*e->h264)->GetDefaultParams(e->h264, &ep);
	ep.iUsageType = CAMERA_VIDEO_REAL_TIME;
	ep.iPicWidth = (int)e->p.width;
	ep.iPicHeight = (int)e->p.height;
	ep.iTargetBitrate = (int)e->p.bitrate;
	ep.iMaxBitrate = UNSPECIFIED_BIT_RATE;
	ep.iRCMode = RC_BITRATE_MODE;
	ep.fMaxFrameRate = (float)e->p.fps;
	ep.iTemporalLayerNum = 1;
	ep.iSpatialLayerNum = 1;
	ep.iComplexityMode = LOW_COMPLEXITY;
	ep.uiIntraPeriod = 0;           /* IDR on request only            */
	ep.iNumRefFrame = 1;
	/* constant SPS/PPS ids: what the SDP's sprop says stays true */
	ep.eSpsPpsIdStrategy = CONSTANT_ID;
	ep.bPrefixNalAddingCtrl = false;
	ep.bEnableSSEI = false;
	ep.iEntropyCodingModeFlag = 0;  /* CAVLC: constrained baseline    */
	ep.bEnableFrameSkip = false;
	ep.iMultipleThreadIdc = 1;      /* no threads of its own          */
	ep.bEnableDenoise = false;
	ep.bEnableBackgroundDetection = false;
	ep.bEnableAdaptiveQuant = false;
	ep.bEnableSceneChangeDetect = false;
	ep.bEnableLongTermReference = false;

	l = &ep.sSpatialLayers[0];
	l->iVideoWidth = (int)e->p.width;
	l->iVideoHeight = (int)e->p.height;
	l->fFrameRate = (float)e->p.fps;
	l->iSpatialBitrate = (int)e->p.bitrate;
	l->iMaxSpatialBitrate = UNSPECIFIED_BIT_RATE;
	l->uiProfileIdc = PRO_BASELINE;
	if (e->p.max_slice) {
		/* packetization-mode 0 (RFC 6184 6.2): every NAL unit must
		   fit one RTP packet, so slices are cut by size */
		l->sSliceArgument.uiSliceMode = SM_SIZELIMITED_SLICE;
		l->sSliceArgument.uiSliceSizeConstraint =
			(unsigned)e->p.max_slice;
		ep.uiMaxNalSize = (unsigned)e->p.max_slice;
	}
	else {
		l->sSliceArgument.uiSliceMode = SM_SINGLE_SLICE;
		l->sSliceArgument.uiSliceNum = 1;
	}

	if ((*e->h264)->InitializeExt(e->h264, &ep) != cmResultSuccess)
		return EINVAL;
	e->h264_ok = true;
	(*e->h264)->SetOption(e->h264, ENCODER_OPTION_TRACE_LEVEL, &lvl);
	(*e->h264)->SetOption(e->h264, ENCODER_OPTION_DATAFORMAT, &fmt);
	return 0;
}

/**
 * Allocate an encoder for one fixed picture size.
 * @return 0, EINVAL (bad parameters or the library refused), ENOMEM
 */
int sg_venc_alloc(struct sg_venc **ep, const struct sg_venc_params *p)
{
	struct sg_venc *e;
	int err;

	if (!ep || !p || !p->width || !p->height || (p->width & 1) ||
	    (p->height & 1) || p->width > 4096 || p->height > 4096 ||
	    !p->bitrate)
		return EINVAL;
	if (p->id != SG_VCODEC_VP8 && p->id != SG_VCODEC_H264)
		return EINVAL;

	e = mem_zalloc(sizeof(*e), venc_destructor);
	if (!e)
		return ENOMEM;
	e->p = *p;
	if (!e->p.fps)
		e->p.fps = 30;
	/* room for a poorly compressed key frame of this size */
	e->bufsz = (size_t)p->width * p->height * 2 + 65536;
	e->buf = mem_alloc(e->bufsz, NULL);
	if (!e->buf) {
		err = ENOMEM;
		goto out;
	}
	err = p->id == SG_VCODEC_VP8 ? vp8_enc_init(e) : h264_enc_init(e);
 out:
	if (err)
		mem_deref(e);
	else
		*ep = e;
	return err;
}

static int vp8_encode(struct sg_venc *e, const struct sg_vimg *img,
		      uint64_t pts, bool force_key, size_t *len, bool *key)
{
	const vpx_codec_cx_pkt_t *pkt;
	vpx_codec_iter_t iter = NULL;
	vpx_image_t vi;
	int i;

	/* wrap the caller's planes: no copy */
	if (!vpx_img_wrap(&vi, VPX_IMG_FMT_I420, img->w, img->h, 1,
			  img->data[0]))
		return EINVAL;
	for (i = 0; i < 3; i++) {
		vi.planes[i] = img->data[i];
		vi.stride[i] = img->stride[i];
	}

	if (vpx_codec_encode(&e->vpx, &vi, (vpx_codec_pts_t)pts,
			     90000 / e->p.fps,
			     force_key ? VPX_EFLAG_FORCE_KF : 0,
			     VPX_DL_REALTIME))
		return EPROTO;

	*len = 0;
	*key = false;
	while ((pkt = vpx_codec_get_cx_data(&e->vpx, &iter))) {
		if (pkt->kind != VPX_CODEC_CX_FRAME_PKT)
			continue;
		if (pkt->data.frame.sz > e->bufsz - *len)
			return E2BIG;
		memcpy(e->buf + *len, pkt->data.frame.buf, pkt->data.frame.sz);
		*len += pkt->data.frame.sz;
		if (pkt->data.frame.flags & VPX_FRAME_IS_KEY)
			*key = true;
	}
	return 0;
}

static int h264_encode(struct sg_venc *e, const struct sg_vimg *img,
		       uint64_t pts, bool force_key, size_t *len, bool *key)
{
	SSourcePicture pic;
	SFrameBSInfo bs;
	int i, j;

	memset(&pic, 0, sizeof(pic));
	pic.iColorFormat = videoFormatI420;
	pic.iPicWidth = (int)img->w;
	pic.iPicHeight = (int)img->h;
	for (i = 0; i < 3; i++) {
		pic.pData[i] = img->data[i];
		pic.iStride[i] = img->stride[i];
	}
	pic.uiTimeStamp = (long long)(pts / 90);     /* milliseconds */

	if (force_key)
		(*e->h264)->ForceIntraFrame(e->h264, true);

	memset(&bs, 0, sizeof(bs));
	if ((*e->h264)->EncodeFrame(e->h264, &pic, &bs) != cmResultSuccess)
		return EPROTO;

	*len = 0;
	*key = bs.eFrameType == videoFrameTypeIDR;
	if (bs.eFrameType == videoFrameTypeSkip ||
	    bs.eFrameType == videoFrameTypeInvalid)
		return 0;

	/* each layer's NAL units are Annex-B with 4-byte start codes */
	for (i = 0; i < bs.iLayerNum; i++) {
		const SLayerBSInfo *l = &bs.sLayerInfo[i];
		size_t sz = 0;

		for (j = 0; j < l->iNalCount; j++)
			sz += (size_t)l->pNalLengthInByte[j];
		if (sz > e->bufsz - *len)
			return E2BIG;
		memcpy(e->buf + *len, l->pBsBuf, sz);
		*len += sz;
	}
	return 0;
}

/**
 * Encode one picture of the encoder's size; see media.h.
 * @return 0, EINVAL, EPROTO (the library failed), E2BIG
 */
int sg_venc_encode(struct sg_venc *e, const struct sg_vimg *img, uint64_t pts,
		   bool force_key, const uint8_t **data, size_t *len,
		   bool *key)
{
	int err;

	if (!e || !img || !data || !len || !key)
		return EINVAL;
	if (img->w != e->p.width || img->h != e->p.height)
		return EINVAL;

	err = e->p.id == SG_VCODEC_VP8 ?
		vp8_encode(e, img, pts, force_key, len, key) :
		h264_encode(e, img, pts, force_key, len, key);
	if (err)
		*len = 0;
	*data = e->buf;
	return err;
}

/** New target bitrate (REMB, RFC 5104 TMMBR) without a restart. */
int sg_venc_set_bitrate(struct sg_venc *e, uint32_t bps)
{
	if (!e || !bps)
		return EINVAL;
	e->p.bitrate = bps;

	if (e->p.id == SG_VCODEC_VP8) {
		e->cfg.rc_target_bitrate = bps / 1000 ? bps / 1000 : 1;
		return vpx_codec_enc_config_set(&e->vpx, &e->cfg) ?
			EINVAL : 0;
	}
	else {
		SBitrateInfo bi = {SPATIAL_LAYER_ALL, (int)bps};

		return (*e->h264)->SetOption(e->h264, ENCODER_OPTION_BITRATE,
					     &bi) ? EINVAL : 0;
	}
}

/* ---- decoders ---------------------------------------------------------- */

static void vdec_destructor(void *data)
{
	struct sg_vdec *d = data;

	if (d->vpx_ok)
		vpx_codec_destroy(&d->vpx);
	if (d->h264) {
		if (d->h264_ok)
			(*d->h264)->Uninitialize(d->h264);
		WelsDestroyDecoder(d->h264);
	}
}

/** Allocate a decoder. @return 0, EINVAL, ENOMEM */
int sg_vdec_alloc(struct sg_vdec **dp, enum sg_vcodec_id id)
{
	struct sg_vdec *d;
	int err = 0;

	if (!dp || (id != SG_VCODEC_VP8 && id != SG_VCODEC_H264))
		return EINVAL;
	d = mem_zalloc(sizeof(*d), vdec_destructor);
	if (!d)
		return ENOMEM;
	d->id = id;

	if (id == SG_VCODEC_VP8) {
		vpx_codec_dec_cfg_t cfg = {.threads = 1};

		if (vpx_codec_dec_init(&d->vpx, vpx_codec_vp8_dx(), &cfg, 0)) {
			err = EINVAL;
			goto out;
		}
		d->vpx_ok = true;
	}
	else {
		SDecodingParam dp0;
		int lvl = WELS_LOG_QUIET;

		if (WelsCreateDecoder(&d->h264) || !d->h264) {
			err = ENOMEM;
			goto out;
		}
		(*d->h264)->SetOption(d->h264, DECODER_OPTION_TRACE_LEVEL,
				      &lvl);
		memset(&dp0, 0, sizeof(dp0));
		dp0.sVideoProperty.size = sizeof(dp0.sVideoProperty);
		dp0.sVideoProperty.eVideoBsType = VIDEO_BITSTREAM_AVC;
		/* no concealment: after a loss the pipeline waits for an IDR */
		dp0.eEcActiveIdc = ERROR_CON_DISABLE;
		if ((*d->h264)->Initialize(d->h264, &dp0)) {
			err = EINVAL;
			goto out;
		}
		d->h264_ok = true;
	}
 out:
	if (err)
		mem_deref(d);
	else
		*dp = d;
	return err;
}

/**
 * Decode one frame; see media.h.
 * @return 0, EINVAL, EBADMSG (the decoder rejected the frame)
 */
int sg_vdec_decode(struct sg_vdec *d, const uint8_t *data, size_t len,
		   struct sg_vimg *img, bool *got)
{
	int i;

	if (!d || !data || !len || !img || !got || len > INT32_MAX)
		return EINVAL;
	*got = false;

	if (d->id == SG_VCODEC_VP8) {
		vpx_codec_iter_t iter = NULL;
		vpx_image_t *vi;

		if (vpx_codec_decode(&d->vpx, data, (unsigned)len, NULL, 0))
			return EBADMSG;
		vi = vpx_codec_get_frame(&d->vpx, &iter);
		if (!vi)
			return 0;
		if (vi->fmt != VPX_IMG_FMT_I420)
			return EBADMSG;
		img->w = vi->d_w;
		img->h = vi->d_h;
		for (i = 0; i < 3; i++) {
			img->data[i] = vi->planes[i];
			img->stride[i] = vi->stride[i];
		}
		*got = true;
	}
	else {
		uint8_t *dst[3] = {NULL, NULL, NULL};
		SBufferInfo bi;
		DECODING_STATE ds;

		memset(&bi, 0, sizeof(bi));
		ds = (*d->h264)->DecodeFrameNoDelay(d->h264, data, (int)len,
						    dst, &bi);
		if (ds != dsErrorFree)
			return EBADMSG;
		if (bi.iBufferStatus != 1 || !dst[0])
			return 0;
		img->w = (unsigned)bi.UsrData.sSystemBuffer.iWidth;
		img->h = (unsigned)bi.UsrData.sSystemBuffer.iHeight;
		img->stride[0] = bi.UsrData.sSystemBuffer.iStride[0];
		img->stride[1] = bi.UsrData.sSystemBuffer.iStride[1];
		img->stride[2] = bi.UsrData.sSystemBuffer.iStride[1];
		for (i = 0; i < 3; i++)
			img->data[i] = dst[i];
		*got = true;
	}
	return 0;
}
