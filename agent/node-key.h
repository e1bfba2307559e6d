/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The node key: the secret a node signs its requests to the registrar with
 * (lib/sign.h), kept in a file only root may read. */

#include <stdbool.h>

#include "error-message.h"
#include "sign.h"

#define NODE_KEY_DEFAULT_PATH "/etc/onepci/node.key"

/* Reads a key file (64 hex characters, optional newline).  -EPERM when its
 * mode has any group or other bit, -EINVAL when it is not a regular file (a
 * FIFO is refused at once, never waited on) or the content is not a key,
 * other -errno from reading; ret_error (optional) says why. */
int node_key_load(const char *path, char ret_key_hex[SIGN_KEY_HEX_LEN + 1],
                  struct error_message *ret_error);

/* Is k a key as node_key_load() returns it (64 hex characters)? */
bool node_key_hex_valid(const char *k);
