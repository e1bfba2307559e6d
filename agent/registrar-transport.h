/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* One HTTP exchange with the registrar: what the client (registrar-client.h)
 * hands a transport and what it gets back.  The real transport is libcurl
 * (curl-transport.h); tests inject their own through registrar_client_hooks. */

#include <stdbool.h>
#include <stddef.h>

#include "error-message.h"
#include "sign.h"

struct registrar_http_request {
        const char *url;           /* full URL */
        const char *method;        /* "PUT", "GET" */
        const char *authorization; /* header value */
        const char *body;
        size_t body_len;
        const char *ca_file;       /* NULL: system CAs */
        long timeout_ms;
};

struct registrar_http_response {
        long status;          /* 0 when no answer arrived */
        char *body;           /* malloc'ed, NUL-terminated; NULL when none */
        size_t body_len;      /* bytes in body (it may hold NULs) */
        char date[64];        /* Date header, "" when absent */
        /* X-Onepci-Signature header, "" when absent; one byte more than a
         * signature, so that a longer value stays too long to verify. */
        char signature[SIGN_KEY_HEX_LEN + 2];
        char retry_after[64]; /* Retry-After header, "" when absent */
        bool tls_failure;     /* certificate / TLS verification failed */
        struct error_message error; /* transport error for people; unset when none */
};

/* Returns 0 when an HTTP answer (any status) arrived, a negative errno when
 * not (then resp->error says why); fills resp either way. */
typedef int registrar_transport_fn(const struct registrar_http_request *req,
                                   struct registrar_http_response *resp, void *userdata);
