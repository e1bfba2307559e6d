/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The agent's registration client: PUT /v1/hosts/{name}/pci to the registrar
 * (docs/protocol.md), signed with the node key (lib/sign.h).
 *
 * Retries 409, 429, 5xx and connection failures with capped exponential
 * backoff and full jitter under an overall deadline, waiting at least what
 * Retry-After asks; stops at once on 400, 401, 403 and TLS verification
 * failures; after a 401 "clock_skew" signs once more with the offset between
 * the server's Date header and the local clock.
 *
 * Every failure of register_send() is a negative errno and a message in the
 * result; the agent maps any of them to EXIT_REGISTER. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host-config.h"
#include "inventory.h"
#include "sign.h"

#define REGISTER_DEFAULT_PORT 8474
#define REGISTER_DEFAULT_KEY_FILE "/etc/onepci/node.key"
#define REGISTER_DEFAULT_DEADLINE_MS (300 * 1000)
#define REGISTER_BACKOFF_BASE_MS 1000
#define REGISTER_BACKOFF_CAP_MS (60 * 1000)
#define REGISTER_REQUEST_TIMEOUT_MS (60 * 1000)
/* A test hook only: seconds added to the wall clock used for signing, so the
 * end-to-end tests can fake a node whose clock is wrong.  Read by
 * register_options_init(). */
#define REGISTER_CLOCK_OFFSET_ENV "ONEPCI_TEST_CLOCK_OFFSET"

/* One HTTP exchange, for an injected transport. */
struct register_http_request {
        const char *url;           /* full URL */
        const char *method;        /* "PUT" */
        const char *authorization; /* header value */
        const char *body;
        size_t body_len;
        const char *ca_file;       /* NULL: system CAs */
        long timeout_ms;
};

struct register_http_response {
        long status;          /* 0 when no answer arrived */
        char *body;           /* malloc'ed, NUL-terminated; NULL when none */
        char date[64];        /* Date header, "" when absent */
        char retry_after[64]; /* Retry-After header, "" when absent */
        bool tls_failure;     /* certificate / TLS verification failed */
        char error[256];      /* transport error for people, "" when none */
};

/* Clock, sleep, random and transport, replaceable for tests.  A NULL member
 * uses the real thing (CLOCK_MONOTONIC, time(), nanosleep, getrandom, curl). */
struct register_hooks {
        int64_t (*monotonic_ms)(void *userdata);
        int64_t (*wall_s)(void *userdata);
        void (*sleep_ms)(int64_t ms, void *userdata);
        uint64_t (*random_u64)(void *userdata);
        /* Returns 0 when an HTTP answer (any status) arrived, negative errno
         * when not (then error says why); fills resp either way. */
        int (*transport)(const struct register_http_request *req,
                         struct register_http_response *resp, void *userdata);
        void *userdata;
};

struct register_options {
        const char *url;      /* registrar base URL: http[s]://HOST[:PORT][/] */
        const char *node;     /* inventory name: {name} and the signed node */
        const char *key_hex;  /* the node key, 64 hex characters */
        const char *ca_file;  /* for https; NULL: system CAs */
        int64_t deadline_ms;  /* overall; <= 0 tries exactly once */
        int64_t clock_offset_s; /* test hook, see REGISTER_CLOCK_OFFSET_ENV */
        struct register_hooks hooks;
};

struct register_result {
        long status;            /* last HTTP status, 0 when none */
        unsigned attempts;      /* requests sent */
        int64_t clock_offset_s; /* offset used for the last signature */
        char *body;             /* last answer's body (the 200 JSON on success) */
        char message[512];      /* why it failed, for people; "" on success */
};

/* Defaults: deadline REGISTER_DEFAULT_DEADLINE_MS, real hooks, and the clock
 * offset from $ONEPCI_TEST_CLOCK_OFFSET when set to an integer. */
void register_options_init(struct register_options *o);

/* Where to register: flag_url when given, else the host's pci_registrar_url,
 * else http://ADDR:8474 with ADDR the first `frontend` host's ansible_host
 * (or its name).  The URL is checked (http/https, a host, no path, query or
 * user info).  -EINVAL bad URL, -ENOENT nothing configured; ret_message
 * (optional) says why.  ret_url is malloc'ed. */
int register_resolve_url(const char *flag_url, const struct host_config *cfg,
                         const struct inventory *inv, char **ret_url, char **ret_message);

/* Reads a key file (64 hex characters, optional newline).  -EPERM when other
 * users may read or write it, -EINVAL when the content is not a key, other
 * -errno from reading; ret_message (optional) says why. */
int register_load_key(const char *path, char ret_key_hex[SIGN_KEY_HEX_LEN + 1],
                      char **ret_message);

/* Sends the report body.  0 on a 200 answer; otherwise
 *   -EINVAL     400 (the registrar rejected the report) or a bad option
 *   -EACCES     401 (bad key, replay, or clock skew not recovered)
 *   -EPERM      403 (registering a name this key cannot sign for)
 *   -ETIMEDOUT  the deadline passed while retrying
 *   -EPROTO     an answer that is neither success nor retryable, or TLS failure
 *   -ENOMEM
 * ret (always filled; free with register_result_clear) holds the details. */
int register_send(const struct register_options *o, const char *body,
                  struct register_result *ret);
void register_result_clear(struct register_result *r);

/* Fetches the node's own part of the inventory: a signed GET
 * /v1/hosts/{node}/inventory under the same retry policy.  0 with ret->body
 * the YAML; -ENOENT when the registrar has no inventory or not this node;
 * otherwise as register_send(). */
int register_fetch_inventory(const struct register_options *o, struct register_result *ret);

/* Exposed for tests.  The delay before retry number `attempt` (1-based):
 * full jitter over min(cap, base * 2^(attempt-1)), at least retry_after_ms. */
int64_t register_backoff_ms(unsigned attempt, uint64_t random, int64_t retry_after_ms);
/* Parses Retry-After (delta seconds or an HTTP date) into milliseconds from
 * now_s; -1 when absent or malformed. */
int64_t register_parse_retry_after(const char *value, int64_t now_s);
