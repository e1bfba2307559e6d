/* SPDX-License-Identifier: Apache-2.0 */
/* Replies and their libmicrohttpd form.  Bodies are JSON rendered by json-c,
 * so no request text is ever pasted into a response unescaped. */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include "cleanup-mhd.h"
#include "http-mhd.h"
#include "http-util.h"
#include "macros.h"
#include "sign.h"

void http_date(int64_t t, char ret[HTTP_DATE_MAX]) {
        static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
        static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        time_t tt = (time_t)t;
        struct tm tm;

        if (!gmtime_r(&tt, &tm))
                memset(&tm, 0, sizeof(tm));
        snprintf(ret, HTTP_DATE_MAX, "%.3s, %02d %.3s %04d %02d:%02d:%02d GMT",
                 days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900,
                 tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void http_reply_done(struct http_reply *r) {
        free(r->body);
        r->body = NULL;
}

int reply_json(struct http_reply *r, int status, struct json_object *obj) {
        const char *s;

        http_reply_done(r);
        r->content_type = "application/json";
        if (!obj) {
                r->status = 500;
                return -ENOMEM;
        }
        s = json_object_to_json_string_ext(obj,
                                           JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        r->body = s ? malloc(strlen(s) + 2) : NULL;
        if (r->body)
                sprintf(r->body, "%s\n", s);
        json_object_put(obj);
        if (!r->body) {
                r->status = 500;
                return -ENOMEM;
        }
        r->status = status;
        return 0;
}

int reply_error(struct http_reply *r, int status, const char *error, const char *reason,
                unsigned retry_after) {
        struct json_object *o = json_object_new_object();

        if (o) {
                json_object_object_add(o, "error", json_object_new_string(error));
                if (reason)
                        json_object_object_add(o, "reason", json_object_new_string(reason));
        }
        r->retry_after = retry_after;
        return reply_json(r, status, o);
}

int reply_text(struct http_reply *r, int status, const char *content_type, char *body_taken) {
        http_reply_done(r);
        r->content_type = content_type;
        r->body = body_taken;
        r->status = body_taken ? status : 500;
        return body_taken ? 0 : -ENOMEM;
}

struct MHD_Response *http_reply_to_mhd(const struct http_reply *r) {
        const char *body = r->body ? r->body : "";
        struct MHD_Response *resp;

        resp = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
        if (!resp)
                return NULL;
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                r->content_type ? r->content_type : "application/json");
        MHD_add_response_header(resp, "Cache-Control", "no-store");
        MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
        if (r->date[0])
                MHD_add_response_header(resp, MHD_HTTP_HEADER_DATE, r->date);
        if (r->signature[0])
                MHD_add_response_header(resp, SIGN_RESPONSE_HEADER, r->signature);
        if (r->retry_after > 0) {
                char s[16];
                snprintf(s, sizeof(s), "%u", r->retry_after);
                MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, s);
        }
        return resp;
}

MHD_RESULT respond(struct MHD_Connection *c, const struct http_reply *r) {
        _cleanup_(MHD_destroy_responsep) struct MHD_Response *resp = http_reply_to_mhd(r);

        if (!resp)
                return MHD_NO;
        return MHD_queue_response(c, (unsigned)r->status, resp);
}

MHD_RESULT respond_error(struct MHD_Connection *c, int status, const char *error,
                         const char *reason) {
        struct http_reply r = {};
        MHD_RESULT ret;

        reply_error(&r, status, error, reason, 0);
        ret = respond(c, &r);
        http_reply_done(&r);
        return ret;
}
