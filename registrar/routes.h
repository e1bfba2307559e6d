/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The registrar's HTTP API (docs/protocol.md) as a function from a request
 * to a reply, free of libmicrohttpd so tests can call it directly. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http-util.h"

struct registrar;

struct http_request {
        const char *method;
        const char *path;          /* without query string */
        const char *authorization; /* NULL when absent */
        const char *body;
        size_t body_len;
        bool body_too_large;
        int64_t now; /* the server's time (Unix seconds) */
};

/* Cheap routes the server answers in its own thread (/metrics, /healthz, 404s). */
bool routes_is_inline(const char *method, const char *path);

/* Answers a request.  When its Authorization header parses, the answer
 * carries a Date and an X-Onepci-Signature made with the key of the node it
 * names (lib/sign.h), whatever the route and the outcome. */
void routes_handle(struct registrar *r, const struct http_request *req, struct http_reply *reply);

/* 503 busy (the server's queue is full), signed like any answer. */
void routes_refuse_busy(struct registrar *r, const struct http_request *req,
                        struct http_reply *reply);
