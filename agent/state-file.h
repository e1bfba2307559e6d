/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* ROOT/var/lib/onepci/state.json, written atomically after each apply:
 * { "schema": 1, "applied_at": "2026-11-24T10:00:00Z", "host": "n1",
 *   "inventory": "/etc/onepci/inventory.yml", "inventory_sha256": "...",
 *   "result": "succeeded"|"failed", "devices": [ {"address", "action",
 *   "vendor", "device", "driver"} ], "rule_changed": bool } */

#include <json-c/json.h>

#include "context.h"

#define STATE_FILE_PATH "var/lib/onepci/state.json"

int state_file_write(const struct onepci_context *ctx, struct json_object *state);
/* -ENOENT when there is none. */
int state_file_read(const struct onepci_context *ctx, struct json_object **ret);

/* hex SHA-256 of a file's content. */
int file_sha256_hex(const char *path, char ret_hex[65]);
