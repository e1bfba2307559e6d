/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* HTTP replies as plain data (routes fill them, the server sends them) and
 * the JSON helpers; their libmicrohttpd form is in http-mhd.h. */

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
