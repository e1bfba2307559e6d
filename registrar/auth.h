/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The registrar's side of lib/sign.h: the secret file, node keys, and
 * checking a request's Authorization header (signature, time window, replay
 * cache, node = the name in the path). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error-message.h"
#include "sign.h"

#define AUTH_SECRET_LEN 32
#define AUTH_DEFAULT_WINDOW 300
/* Requests one node may make within a window (its share of the replay
 * cache): far more than an agent's retries, and all a stolen key can fill. */
#define AUTH_DEFAULT_REPLAY_PER_NODE 1024

enum auth_result {
        AUTH_OK,
        AUTH_MISSING,       /* 401 missing_auth */
        AUTH_BAD_SIGNATURE, /* 401 bad_signature: malformed header or wrong key */
        AUTH_CLOCK_SKEW,    /* 401 clock_skew */
        AUTH_REPLAY,        /* 401 replay */
        AUTH_WRONG_NODE,    /* 403 wrong_node: signed by another node than the path names */
        AUTH_BUSY,          /* 503: this node's share of the replay cache is full of live entries */
};

const char *auth_result_to_string(enum auth_result r);

/* Creates a new secret file (mode 0600, O_EXCL).  -EEXIST when it exists. */
int auth_secret_create(const char *path, struct error_message *ret_error);

/* Reads the secret; with create, makes one first when the file is missing.
 * Refuses (-EPERM) a file readable by group or others. */
int auth_secret_load(const char *path, bool create, uint8_t ret[AUTH_SECRET_LEN],
                     struct error_message *ret_error);

struct auth;

/* replay_per_node: how many nonces one node may have live in the cache. */
int auth_new(const uint8_t secret[AUTH_SECRET_LEN], unsigned window_s, size_t replay_per_node,
             struct auth **ret);
void auth_free(struct auth *a);

/* Replaces the secret (SIGHUP): from now on every key derives from it.  The
 * replay cache is kept: a nonce seen stays seen. */
void auth_set_secret(struct auth *a, const uint8_t secret[AUTH_SECRET_LEN]);

/* Entries in the replay cache, every node's together (for tests and metrics). */
size_t auth_replay_entries(struct auth *a);

/* Checks a request.  header may be NULL (missing).  path_node is the {name}
 * of the path, NULL when the path names no node.  now is the server's time.
 * On AUTH_OK and AUTH_WRONG_NODE ret_node holds the signed node name. */
enum auth_result auth_check(struct auth *a, const char *header, const char *method,
                            const char *path, const char *path_node, const void *body,
                            size_t body_len, int64_t now, char ret_node[SIGN_NODE_MAX + 1]);

/* Signs an answer (lib/sign.h, "Responses") with the key of the node the
 * request's Authorization header names, whether or not the request itself
 * was accepted.  -EINVAL when the header does not parse: such an answer goes
 * unsigned. */
int auth_sign_response(struct auth *a, const char *header, int status, const char *date,
                       const void *body, size_t body_len, char ret_sig[SIGN_KEY_HEX_LEN + 1]);
