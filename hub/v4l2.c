/* hub/v4l2.c: V4L2 camera source: mmap streaming I/O on the libre loop, YUYV/NV12/YUV420 -> I420. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/videodev2.h>
#include <re.h>
#include "hub/core.h"

enum {
	NBUF = 4,                       /* driver buffers asked for       */
	MIN_BUF = 2,
};

struct v4l2 {
	struct sg_hub_source *src;      /* weak: it owns us              */
	char device[256];
	unsigned req_w, req_h, req_fps;

	int fd;
	struct {
		void *start;
		size_t len;
	} bufv[NBUF];
	unsigned bufc;
	bool streaming;
	uint32_t pixfmt;
	size_t bpl;                     /* bytes per line of plane 0     */
	uint8_t *i420;                  /* converted picture              */
	struct sg_vimg img;
};

static int xioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do
		r = ioctl(fd, req, arg);
	while (r < 0 && errno == EINTR);
	return r < 0 ? errno : 0;
}

static void stop(void *impl)
{
	struct v4l2 *v = impl;
	enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	unsigned i;

	if (v->fd >= 0) {
		fd_close(v->fd);
		if (v->streaming)
			(void)xioctl(v->fd, VIDIOC_STREAMOFF, &type);
	}
	for (i = 0; i < v->bufc; i++)
		if (v->bufv[i].start && v->bufv[i].start != MAP_FAILED)
			munmap(v->bufv[i].start, v->bufv[i].len);
	memset(v->bufv, 0, sizeof(v->bufv));
	v->bufc = 0;
	v->streaming = false;
	if (v->fd >= 0)
		close(v->fd);
	v->fd = -1;
	v->i420 = mem_deref(v->i420);
}

static void destructor(void *data)
{
	stop(data);
}

/* One captured buffer -> I420 -> sinks. Unusable buffers are counted. */
static void deliver(struct v4l2 *v, const uint8_t *p, size_t used)
{
	size_t h = v->img.h, bpl = v->bpl;

	switch (v->pixfmt) {
	case V4L2_PIX_FMT_YUYV:
		if (used < bpl * h)
			goto bad;
		sg_hub_yuyv_to_i420(p, bpl, &v->img);
		break;
	case V4L2_PIX_FMT_NV12:
		if (used < bpl * h + bpl * (h / 2))
			goto bad;
		sg_hub_nv12_to_i420(p, bpl, p + bpl * h, bpl, &v->img);
		break;
	case V4L2_PIX_FMT_YUV420: {
		struct sg_vimg s = v->img;

		if (used < bpl * h + 2 * (bpl / 2) * (h / 2))
			goto bad;
		s.data[0] = (uint8_t *)p;
		s.data[1] = s.data[0] + bpl * h;
		s.data[2] = s.data[1] + (bpl / 2) * (h / 2);
		s.stride[0] = (int)bpl;
		s.stride[1] = s.stride[2] = (int)(bpl / 2);
		sg_hub_i420_copy(&s, &v->img);
		break;
	}
	default:
		goto bad;
	}
	sg_hub_source_put_video(v->src, &v->img, sg_now_us());
	return;
 bad:
	sg_hub_source_dropped(v->src);
}

/* The device has frames: take each, deliver it, give the buffer back. */
static void read_h(int flags, void *arg)
{
	struct v4l2 *v = arg;
	struct v4l2_buffer b;
	int err;

	(void)flags;
	for (;;) {
		memset(&b, 0, sizeof(b));
		b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		b.memory = V4L2_MEMORY_MMAP;
		err = xioctl(v->fd, VIDIOC_DQBUF, &b);
		if (err == EAGAIN)
			return;
		if (err || b.index >= v->bufc) {
			/* ENODEV: unplugged; the source stops and retries */
			sg_hub_source_fail(v->src, err ? err : EPROTO);
			return;
		}
		if (b.flags & V4L2_BUF_FLAG_ERROR)
			sg_hub_source_dropped(v->src);
		else
			deliver(v, v->bufv[b.index].start, b.bytesused);
		/* a sink may have stopped the source */
		if (v->fd < 0)
			return;
		err = xioctl(v->fd, VIDIOC_QBUF, &b);
		if (err) {
			sg_hub_source_fail(v->src, err);
			return;
		}
	}
}

/* The first of YUYV, NV12, YUV420 the driver takes at about our size. */
static int set_format(struct v4l2 *v)
{
	static const uint32_t prefs[] = {
		V4L2_PIX_FMT_YUYV, V4L2_PIX_FMT_NV12, V4L2_PIX_FMT_YUV420,
	};
	struct v4l2_format f;
	struct v4l2_streamparm sp;
	size_t i;
	int err = ENOTSUP;

	for (i = 0; i < sizeof(prefs) / sizeof(prefs[0]); i++) {
		memset(&f, 0, sizeof(f));
		f.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		f.fmt.pix.width = v->req_w;
		f.fmt.pix.height = v->req_h;
		f.fmt.pix.pixelformat = prefs[i];
		f.fmt.pix.field = V4L2_FIELD_NONE;
		err = xioctl(v->fd, VIDIOC_S_FMT, &f);
		if (err == EBUSY)
			return err;
		if (err || f.fmt.pix.pixelformat != prefs[i])
			continue;
		if ((f.fmt.pix.width & 1) || (f.fmt.pix.height & 1) ||
		    f.fmt.pix.width < 16 || f.fmt.pix.height < 16)
			continue;
		v->pixfmt = f.fmt.pix.pixelformat;
		v->img.w = f.fmt.pix.width;
		v->img.h = f.fmt.pix.height;
		v->bpl = f.fmt.pix.bytesperline;
		if (!v->bpl)
			v->bpl = v->pixfmt == V4L2_PIX_FMT_YUYV ?
				2 * (size_t)v->img.w : v->img.w;
		goto rate;
	}
	return ENOTSUP;

 rate:
	/* a rate the driver refuses is not fatal: it keeps its own */
	memset(&sp, 0, sizeof(sp));
	sp.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	sp.parm.capture.timeperframe.numerator = 1;
	sp.parm.capture.timeperframe.denominator = v->req_fps;
	(void)xioctl(v->fd, VIDIOC_S_PARM, &sp);
	return 0;
}

static int map_buffers(struct v4l2 *v)
{
	struct v4l2_requestbuffers rb;
	unsigned i;
	int err;

	memset(&rb, 0, sizeof(rb));
	rb.count = NBUF;
	rb.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	rb.memory = V4L2_MEMORY_MMAP;
	err = xioctl(v->fd, VIDIOC_REQBUFS, &rb);
	if (err)
		return err;
	if (rb.count < MIN_BUF)
		return ENOMEM;
	for (i = 0; i < rb.count && i < NBUF; i++) {
		struct v4l2_buffer b;

		memset(&b, 0, sizeof(b));
		b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		b.memory = V4L2_MEMORY_MMAP;
		b.index = i;
		err = xioctl(v->fd, VIDIOC_QUERYBUF, &b);
		if (err)
			return err;
		v->bufv[i].len = b.length;
		v->bufv[i].start = mmap(NULL, b.length, PROT_READ | PROT_WRITE,
					MAP_SHARED, v->fd, b.m.offset);
		v->bufc = i + 1;
		if (v->bufv[i].start == MAP_FAILED)
			return errno;
		err = xioctl(v->fd, VIDIOC_QBUF, &b);
		if (err)
			return err;
	}
	return 0;
}

static int start(void *impl)
{
	struct v4l2 *v = impl;
	struct v4l2_capability cap;
	enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	size_t ysz, csz;
	uint32_t caps;
	int err;

	v->fd = open(v->device, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (v->fd < 0)
		return errno;
	err = xioctl(v->fd, VIDIOC_QUERYCAP, &cap);
	if (err)
		goto out;
	caps = cap.capabilities & V4L2_CAP_DEVICE_CAPS ? cap.device_caps :
		cap.capabilities;
	if (!(caps & V4L2_CAP_VIDEO_CAPTURE) || !(caps & V4L2_CAP_STREAMING)) {
		err = ENODEV;
		goto out;
	}
	err = set_format(v);
	if (err)
		goto out;
	ysz = (size_t)v->img.w * v->img.h;
	csz = (size_t)(v->img.w / 2) * (v->img.h / 2);
	v->i420 = mem_alloc(ysz + 2 * csz, NULL);
	if (!v->i420) {
		err = ENOMEM;
		goto out;
	}
	v->img.data[0] = v->i420;
	v->img.data[1] = v->i420 + ysz;
	v->img.data[2] = v->i420 + ysz + csz;
	v->img.stride[0] = (int)v->img.w;
	v->img.stride[1] = v->img.stride[2] = (int)(v->img.w / 2);
	err = map_buffers(v);
	if (err)
		goto out;
	err = xioctl(v->fd, VIDIOC_STREAMON, &type);
	if (err)
		goto out;
	v->streaming = true;
	err = fd_listen(v->fd, FD_READ, read_h, v);
	if (err)
		goto out;
	SG_INFO(SG_SUB_HUB, NULL, "camera %s: %ux%u %c%c%c%c, %u buffers",
		v->device, v->img.w, v->img.h, (int)(v->pixfmt & 0xff),
		(int)(v->pixfmt >> 8 & 0xff), (int)(v->pixfmt >> 16 & 0xff),
		(int)(v->pixfmt >> 24), v->bufc);
 out:
	if (err)
		stop(v);
	return err;
}

static const struct sg_hub_source_ops ops = {
	.start = start,
	.stop = stop,
};

/**
 * A V4L2 camera; nothing is opened until sg_hub_source_start().
 * @return 0, EINVAL, ENOMEM
 */
int sg_hub_v4l2_alloc(struct sg_hub_source **sp,
		      const struct sg_hub_v4l2_conf *c)
{
	struct v4l2 *v;
	int err;

	if (!sp || !c || !c->device || !*c->device ||
	    strlen(c->device) >= sizeof(v->device) || c->fps > 120 ||
	    (c->width & 1) || (c->height & 1))
		return EINVAL;
	v = mem_zalloc(sizeof(*v), destructor);
	if (!v)
		return ENOMEM;
	v->fd = -1;
	str_ncpy(v->device, c->device, sizeof(v->device));
	v->req_w = c->width ? c->width : 640;
	v->req_h = c->height ? c->height : 480;
	v->req_fps = c->fps ? c->fps : 30;
	err = sg_hub_source_new(sp, SG_HUB_SRC_VIDEO,
				c->name ? c->name : c->device, &ops, v);
	if (err)
		return err;
	v->src = *sp;
	return 0;
}
