/* Embedded static files (generated into webrtc/www_files.c by tools/embed). */
#ifndef SG_WWW_H
#define SG_WWW_H

#include <stddef.h>

struct sg_www_file {
	const char *path;           /**< "/index.html"  */
	const char *ctype;
	const unsigned char *data;
	size_t len;
};

extern const struct sg_www_file sg_www_files[];

#endif
