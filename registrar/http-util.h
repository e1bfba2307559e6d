/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* HTTP replies as plain data (routes fill them, the server sends them), the
 * JSON helpers, and the libmicrohttpd glue with its version shims. */

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#define HTTP_DATE_MAX 64

struct http_reply {
        int status;
        char *body;
        const char *content_type;
        unsigned retry_after; /* seconds; 0: no Retry-After header */
        /* Set for a signed answer (lib/sign.h, "Responses"): the Date header
         * exactly as sent, and the X-Onepci-Signature value.  "" otherwise
         * (libmicrohttpd then adds its own Date). */
        char date[HTTP_DATE_MAX];
        char signature[65];
};

/* An IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), as RFC 9110 asks of a
 * Date header, independent of the locale. */
void http_date(int64_t t, char ret[HTTP_DATE_MAX]);

void http_reply_done(struct http_reply *r);

/* Takes over obj.  Returns 0 or -ENOMEM (the reply is then a bare 500). */
int reply_json(struct http_reply *r, int status, struct json_object *obj);
/* {"error": error, "reason": reason} (reason may be NULL). */
int reply_error(struct http_reply *r, int status, const char *error, const char *reason,
                unsigned retry_after);
int reply_text(struct http_reply *r, int status, const char *content_type, char *body_taken);

#ifdef MHD_VERSION
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
#endif
