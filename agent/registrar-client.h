/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The agent's client of onepci-registrar: PUT /v1/hosts/{name}/pci and GET
 * /v1/hosts/{name}/inventory (docs/protocol.md), signed with the node key
 * (lib/sign.h, node-key.h).  It knows nothing of inventories: the caller
 * says where the registrar is (registrar-url.h).
 *
 * Retries 409, 429, 5xx and connection failures with capped exponential
 * backoff and full jitter under an overall deadline, waiting at least what
 * Retry-After asks; stops at once on (signed) 400, 401, 403 and TLS verification
 * failures; after a 401 "clock_skew" signs once more with the offset between
 * the server's Date header and the local clock.
 *
 * Every answer must carry the registrar's signature for the request it
 * answers (X-Onepci-Signature over status, Date as received, the request's
 * nonce and the body; lib/sign.h).  An answer without one, or whose signature
 * does not verify, is not used at all (not its status, Date, Retry-After nor
 * body): it counts as no answer, is retried like a connection failure, and
 * the final message says so.
 *
 * Every failure is a negative errno and a message in the result; the agent
 * maps any of them to EXIT_REGISTER. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error-message.h"
#include "registrar-transport.h"

#define REGISTRAR_CLIENT_DEFAULT_DEADLINE_MS (300 * 1000)
#define REGISTRAR_CLIENT_BACKOFF_BASE_MS 1000
#define REGISTRAR_CLIENT_BACKOFF_CAP_MS (60 * 1000)
#define REGISTRAR_CLIENT_REQUEST_TIMEOUT_MS (60 * 1000)
/* A test hook only: seconds added to the wall clock used for signing, so the
 * end-to-end tests can fake a node whose clock is wrong.  Read by
 * registrar_client_options_init(). */
#define REGISTRAR_CLIENT_CLOCK_OFFSET_ENV "ONEPCI_TEST_CLOCK_OFFSET"

/* Clock, sleep, random and transport, replaceable for tests.  A NULL member
 * uses the real thing (CLOCK_MONOTONIC, time(), nanosleep, getrandom, and
 * libcurl through curl-transport.h). */
struct registrar_client_hooks {
        int64_t (*monotonic_ms)(void *userdata);
        int64_t (*wall_s)(void *userdata);
        void (*sleep_ms)(int64_t ms, void *userdata);
        uint64_t (*random_u64)(void *userdata);
        registrar_transport_fn *transport;
        void *userdata;
};

struct registrar_client_options {
        const char *url;      /* registrar base URL: http[s]://HOST[:PORT][/] */
        const char *node;     /* inventory name: {name} and the signed node */
        const char *key_hex;  /* the node key, 64 hex characters */
        const char *ca_file;  /* for https; NULL: system CAs */
        int64_t deadline_ms;  /* overall; <= 0 tries exactly once */
        int64_t clock_offset_s; /* test hook, see REGISTRAR_CLIENT_CLOCK_OFFSET_ENV */
        struct registrar_client_hooks hooks;
};

struct registrar_client_result {
        long status;            /* last HTTP status, 0 when none */
        unsigned attempts;      /* requests sent */
        int64_t clock_offset_s; /* offset used for the last signature */
        char *body;             /* last answer's body (the 200 JSON on success) */
        struct error_message error; /* why it failed, for people; unset on success */
};

/* Defaults: deadline REGISTRAR_CLIENT_DEFAULT_DEADLINE_MS, real hooks, and the
 * clock offset from $ONEPCI_TEST_CLOCK_OFFSET when set to an integer. */
void registrar_client_options_init(struct registrar_client_options *o);

/* Sends the report body.  0 on a 200 answer; otherwise
 *   -EINVAL     400 (the registrar rejected the report) or a bad option
 *   -EACCES     401 (bad key, replay, or clock skew not recovered)
 *   -EPERM      403 (registering a name this key cannot sign for)
 *   -ETIMEDOUT  the deadline passed while retrying (unsigned or badly signed
 *               answers included)
 *   -EPROTO     an answer that is neither success nor retryable, or TLS failure
 *   -ENOMEM
 * ret (always filled; free with registrar_client_result_clear) holds the
 * details. */
int registrar_client_send_report(const struct registrar_client_options *o, const char *body,
                                 struct registrar_client_result *ret);

/* Fetches the node's own part of the inventory: a signed GET
 * /v1/hosts/{node}/inventory under the same retry policy.  0 with ret->body
 * the YAML; -ENOENT when the registrar has no inventory or not this node;
 * otherwise as registrar_client_send_report(). */
int registrar_client_fetch_inventory(const struct registrar_client_options *o,
                                     struct registrar_client_result *ret);

void registrar_client_result_clear(struct registrar_client_result *r);

/* Exposed for tests.  The delay before retry number `attempt` (1-based):
 * full jitter over min(cap, base * 2^(attempt-1)), at least retry_after_ms. */
int64_t registrar_client_backoff_ms(unsigned attempt, uint64_t random, int64_t retry_after_ms);
/* Parses Retry-After (delta seconds or an HTTP date) into milliseconds from
 * now_s; -1 when absent or malformed. */
int64_t registrar_client_parse_retry_after(const char *value, int64_t now_s);
