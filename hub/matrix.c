/* hub/matrix.c: the switch matrix: the encoder groups shared by outputs, and counters. */
#include <re.h>
#include "hub/core.h"

struct sg_hub_matrix {
	struct list groups;             /* struct sg_hub_egroup, weak:
					   each group unlinks itself     */
	unsigned outputs;
	uint64_t encodes, pkts;
};

static void destructor(void *data)
{
	struct sg_hub_matrix *m = data;

	/* outputs hold the matrix and groups live only while outputs do */
	(void)m;
}

/** A matrix; see hub.h. */
int sg_hub_matrix_alloc(struct sg_hub_matrix **mp)
{
	struct sg_hub_matrix *m;

	if (!mp)
		return EINVAL;
	m = mem_zalloc(sizeof(*m), destructor);
	if (!m)
		return ENOMEM;
	list_init(&m->groups);
	*mp = m;
	return 0;
}

/**
 * The encoder group for src x codec x resolution: an existing one (fan-
 * out: encoded once for all its outputs) or a new one. Signalling time.
 */
int sg_hub_matrix_group(struct sg_hub_matrix *m, struct sg_hub_source *src,
			const struct sg_hub_output_conf *c,
			struct sg_hub_egroup **gp)
{
	struct le *le;

	for (le = m->groups.head; le; le = le->next) {
		if (sg_hub_egroup_match(le->data, src, c)) {
			*gp = mem_ref(le->data);
			return 0;
		}
	}
	return sg_hub_egroup_alloc(gp, m, src, c);
}

struct list *sg_hub_matrix_groups(struct sg_hub_matrix *m)
{
	return &m->groups;
}

void sg_hub_matrix_count(struct sg_hub_matrix *m, int outputs_delta,
			 uint64_t encodes, uint64_t pkts)
{
	m->outputs = (unsigned)((int)m->outputs + outputs_delta);
	m->encodes += encodes;
	m->pkts += pkts;
}

void sg_hub_matrix_stats(const struct sg_hub_matrix *m,
			 struct sg_hub_matrix_stats *st)
{
	if (!m || !st)
		return;
	st->groups = list_count(&m->groups);
	st->outputs = m->outputs;
	st->encodes = m->encodes;
	st->pkts = m->pkts;
}
