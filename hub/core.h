/* hub/core.h: hub/'s private interfaces between sources, drivers and the matrix. */
#ifndef SG_HUB_CORE_H
#define SG_HUB_CORE_H

#include "hub/hub.h"

/** What a source kind implements; impl is the driver's mem object. */
struct sg_hub_source_ops {
	/** Open the device / start the timer; 0 or an errno (then FAILED). */
	int (*start)(void *impl);
	/** Close everything start opened; safe when not started. */
	void (*stop)(void *impl);
};

/**
 * A source around a driver. impl (a mem object) is owned by the source
 * from now on, also on failure; the driver keeps a weak pointer back.
 */
int sg_hub_source_new(struct sg_hub_source **sp, enum sg_hub_src_kind kind,
		      const char *name, const struct sg_hub_source_ops *ops,
		      void *impl);
/** Driver: one picture / audio frame to every sink. */
void sg_hub_source_put_video(struct sg_hub_source *s,
			     const struct sg_vimg *img, uint64_t ts_us);
void sg_hub_source_put_audio(struct sg_hub_source *s, const int16_t *pcm,
			     size_t samples, uint64_t ts_us);
/** Driver: it broke at run time (unplugged): stop, FAILED, retry. */
void sg_hub_source_fail(struct sg_hub_source *s, int err);
/** Driver: a frame the device gave was unusable (counted). */
void sg_hub_source_dropped(struct sg_hub_source *s);
/** Audio format a source delivers (set by its driver at alloc). */
void sg_hub_source_set_afmt(struct sg_hub_source *s, uint32_t srate,
			    size_t frame_samples);
void sg_hub_source_afmt(const struct sg_hub_source *s, uint32_t *srate,
			size_t *frame_samples);

/* ---- the matrix's encoder groups (hub/egroup.c) ---------------------- */

struct sg_hub_egroup;

/** An output as a group sees it (hub/output.c). */
struct sg_hub_output;

/** Find the group for src x conf in the matrix, or make one (ref'd). */
int sg_hub_matrix_group(struct sg_hub_matrix *m, struct sg_hub_source *src,
			const struct sg_hub_output_conf *c,
			struct sg_hub_egroup **gp);
/** Matrix bookkeeping (hub/matrix.c). */
struct list *sg_hub_matrix_groups(struct sg_hub_matrix *m);
void sg_hub_matrix_count(struct sg_hub_matrix *m, int outputs_delta,
			 uint64_t encodes, uint64_t pkts);

int sg_hub_egroup_alloc(struct sg_hub_egroup **gp, struct sg_hub_matrix *m,
			struct sg_hub_source *src,
			const struct sg_hub_output_conf *c);
bool sg_hub_egroup_match(const struct sg_hub_egroup *g,
			 const struct sg_hub_source *src,
			 const struct sg_hub_output_conf *c);
/** Add/remove an output (its list element); adding asks for a keyframe. */
void sg_hub_egroup_join(struct sg_hub_egroup *g, struct le *le,
			struct sg_hub_output *o);
void sg_hub_egroup_leave(struct sg_hub_egroup *g, struct le *le);
void sg_hub_egroup_keyframe(struct sg_hub_egroup *g);
int sg_hub_egroup_set_bitrate(struct sg_hub_egroup *g, uint32_t bps);
void sg_hub_egroup_counts(const struct sg_hub_egroup *g, unsigned *outputs,
			  uint64_t *frames, uint64_t *encodes);

/* ---- an output's packet path, called by its group (hub/output.c) ----- */

/**
 * Start of a video frame from the group: whether this output sends it
 * (not while it awaits a keyframe after a switch) and its timestamp.
 */
bool sg_hub_output_vframe(struct sg_hub_output *o, bool key, uint64_t ts_us);
/** One video payload of the frame started above. */
void sg_hub_output_vpkt(struct sg_hub_output *o, const uint8_t *pl,
			size_t len, bool marker);
/** One encoded audio frame (storage format for AMR). */
void sg_hub_output_aframe(struct sg_hub_output *o, const uint8_t *data,
			  size_t len, uint32_t rtp_samples, uint64_t ts_us);

#endif
