/* Unit tests: vpkt (filled by the module's author). */
#include "test.h"

const struct sg_test sg_tests_vpkt[] = {
	{NULL, NULL},
};
