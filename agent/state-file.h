/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* ROOT/var/lib/onepci/state.json, written atomically by `apply` when it
 * changed something, failed, or the inventory changed since the last one:
 * the run's --json document (output.h) plus "schema": 1, "applied_at"
 * (UTC, ISO 8601) and "inventory_sha256". */

#include <json-c/json.h>

#include "context.h"

#define STATE_FILE_PATH "var/lib/onepci/state.json"

int state_file_write(const struct onepci_context *ctx, struct json_object *state);
/* -ENOENT when there is none. */
int state_file_read(const struct onepci_context *ctx, struct json_object **ret);

/* hex SHA-256 of a file's content. */
int file_sha256_hex(const char *path, char ret_hex[65]);
