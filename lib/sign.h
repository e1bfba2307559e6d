/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Request signing between onepci-agent and onepci-registrar.
 *
 * Keys.  The registrar holds a secret (32 random bytes, stored as 64 hex
 * characters and a newline, mode 0600).  A node's key is
 *     hex(HMAC-SHA256(secret, "onepci-node-key/v1:" NAME))
 * where NAME is the node's inventory name.  The key file holds those 64 hex
 * characters (a trailing newline is allowed).
 *
 * Requests carry
 *     Authorization: ONEPCI-HMAC-SHA256 node=NAME, ts=UNIXSECONDS, nonce=HEX32, sig=HEX64
 * with sig = hex(HMAC-SHA256(node_key, STRING)) and STRING =
 *     "ONEPCI-HMAC-SHA256\n" METHOD "\n" PATH "\n" TS "\n" NONCE "\n" hex(SHA256(body))
 * (PATH is the request path without query string).
 *
 * The registrar accepts |ts - now| <= window (300 s default) and rejects a
 * (node, nonce) seen inside the window.  When ts is out of the window it
 * answers 401 with the JSON error "clock_skew" and its `Date` header; the
 * agent then signs again with ts = now + (server Date - local now).
 *
 * Responses.  The registrar signs every answer to a request whose
 * Authorization header names a valid node, with that node's key:
 *     X-Onepci-Signature: HEX64
 * HEX64 = hex(HMAC-SHA256(node_key, STRING)), STRING =
 *     "ONEPCI-HMAC-SHA256-RESPONSE\n" STATUS "\n" DATE "\n" NONCE "\n" hex(SHA256(body))
 * where STATUS is the decimal HTTP status, DATE the response's `Date` header
 * exactly as sent, and NONCE the nonce of the request it answers (so an
 * answer cannot be replayed to another request).  The agent uses no answer,
 * and no `Date` of a clock-skew answer, whose signature does not verify. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIGN_KEY_HEX_LEN 64
#define SIGN_NONCE_HEX_LEN 32
#define SIGN_NODE_MAX 64
#define SIGN_HEADER_MAX 256
#define SIGN_SCHEME "ONEPCI-HMAC-SHA256"
#define SIGN_RESPONSE_SCHEME "ONEPCI-HMAC-SHA256-RESPONSE"
#define SIGN_RESPONSE_HEADER "X-Onepci-Signature"

struct sign_header {
        char node[SIGN_NODE_MAX + 1];
        int64_t ts;
        char nonce[SIGN_NONCE_HEX_LEN + 1];
        char sig[SIGN_KEY_HEX_LEN + 1];
};

/* A name a key may be derived for: [A-Za-z0-9][A-Za-z0-9._-]{0,63}. */
bool sign_node_name_valid(const char *name);

/* Derives a node key from the secret (raw bytes). */
int sign_derive_node_key(const uint8_t *secret, size_t secret_len, const char *node,
                         char ret_key_hex[SIGN_KEY_HEX_LEN + 1]);

/* Parses 64 hex characters (optionally followed by one newline) as read from a
 * key or secret file into 32 bytes.  -EINVAL otherwise. */
int sign_parse_hex_key(const char *text, uint8_t ret_key[32]);

/* Fills a random nonce (hex). */
int sign_new_nonce(char ret_nonce[SIGN_NONCE_HEX_LEN + 1]);

/* Computes the signature and renders the whole Authorization header value. */
int sign_request(const char *key_hex, const char *node, const char *method, const char *path,
                 int64_t ts, const char *nonce, const void *body, size_t body_len,
                 char ret_header[SIGN_HEADER_MAX]);

/* Strictly parses an Authorization header value.  -EINVAL on any deviation. */
int sign_parse_header(const char *value, struct sign_header *ret);

/* Recomputes the signature with key_hex and compares in constant time.
 * Returns 0 when it matches, -EACCES when not. */
int sign_verify(const struct sign_header *h, const char *key_hex, const char *method,
                const char *path, const void *body, size_t body_len);

/* Signs a response (see above): ret_sig gets the header's value. */
int sign_response(const char *key_hex, int status, const char *date, const char *request_nonce,
                  const void *body, size_t body_len, char ret_sig[SIGN_KEY_HEX_LEN + 1]);

/* Checks a response's X-Onepci-Signature value in constant time: 0 when it
 * matches, -EACCES when not (or when sig is NULL / malformed), -EINVAL on bad
 * arguments. */
int sign_verify_response(const char *key_hex, int status, const char *date,
                         const char *request_nonce, const void *body, size_t body_len,
                         const char *sig);
