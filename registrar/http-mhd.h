/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The libmicrohttpd glue of http-util.h, with its version shims.  It
 * includes <microhttpd.h> itself, so no include order can hide it. */

#include <microhttpd.h>

#include "http-util.h"

#if MHD_VERSION < 0x00097002
typedef int MHD_RESULT;
#else
typedef enum MHD_Result MHD_RESULT;
#endif

/* Builds the libmicrohttpd response of a reply.  NULL on allocation failure. */
struct MHD_Response *http_reply_to_mhd(const struct http_reply *r);
/* Sends a reply on a connection (respond()); MHD_NO when it could not. */
MHD_RESULT respond(struct MHD_Connection *c, const struct http_reply *r);
/* A JSON error directly (respondf() of journal-remote, in JSON). */
MHD_RESULT respond_error(struct MHD_Connection *c, int status, const char *error,
                         const char *reason);
