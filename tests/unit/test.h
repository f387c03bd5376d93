/* Unit test tables: each module exports one NULL-terminated table. */
#ifndef SG_TEST_H
#define SG_TEST_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sg_test {
	const char *name;
	int (*fn)(void);    /**< 0 = pass; TEST_* macros return on failure */
};

void sg_test_fail(const char *file, int line, const char *what);

#define TEST_ASSERT(c)							\
	do {								\
		if (!(c)) {						\
			sg_test_fail(__FILE__, __LINE__, #c);		\
			return EINVAL;					\
		}							\
	} while (0)

#define TEST_EQ(a, b)							\
	do {								\
		long long a_ = (long long)(a), b_ = (long long)(b);	\
		if (a_ != b_) {						\
			char m_[512];					\
			snprintf(m_, sizeof(m_), "%s == %s (%lld != %lld)", \
				 #a, #b, a_, b_);			\
			sg_test_fail(__FILE__, __LINE__, m_);		\
			return EINVAL;					\
		}							\
	} while (0)

#define TEST_STREQ(a, b)						\
	do {								\
		const char *a_ = (a), *b_ = (b);			\
		if (!a_ || !b_ || strcmp(a_, b_)) {			\
			char m_[400];					\
			snprintf(m_, sizeof(m_), "%s == %s (\"%s\" != \"%s\")", \
				 #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
			sg_test_fail(__FILE__, __LINE__, m_);		\
			return EINVAL;					\
		}							\
	} while (0)

/** Read a file under the source tree or ../shared (fixtures). */
char *sg_test_read_file(const char *path, size_t *lenp);
/** A copy of src with every `from` replaced by `to` (free() it); NULL
 *  when out of memory. Edits fixtures into the variant a test needs. */
char *sg_test_edit(const char *src, const char *from, const char *to);
/** Path of tests/fixtures/NAME (or SG_FIXTURES/NAME). */
const char *sg_test_fixture(const char *name);

extern const struct sg_test sg_tests_media[];
extern const struct sg_test sg_tests_sdp[];
extern const struct sg_test sg_tests_jsep[];
extern const struct sg_test sg_tests_conf[];
extern const struct sg_test sg_tests_srtp[];
extern const struct sg_test sg_tests_rtcp[];
extern const struct sg_test sg_tests_api[];
extern const struct sg_test sg_tests_token[];
extern const struct sg_test sg_tests_dialplan[];
extern const struct sg_test sg_tests_aka[];
extern const struct sg_test sg_tests_sdpmap[];
extern const struct sg_test sg_tests_relay[];
extern const struct sg_test sg_tests_sip[];
extern const struct sg_test sg_tests_acodec[];
extern const struct sg_test sg_tests_amr[];
extern const struct sg_test sg_tests_atx[];
extern const struct sg_test sg_tests_vpkt[];
extern const struct sg_test sg_tests_vtx[];
extern const struct sg_test sg_tests_orders[];
extern const struct sg_test sg_tests_demo[];
extern const struct sg_test sg_tests_hub[];
extern const struct sg_test sg_tests_hubd[];
extern const struct sg_test sg_tests_router[];
extern const struct sg_test sg_tests_showroom[];
extern const struct sg_test sg_tests_amix[];
extern const struct sg_test sg_tests_worker[];

#endif
