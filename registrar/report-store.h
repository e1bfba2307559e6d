/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The last report and outcome per node, for GET /v1/hosts/{name}. */

struct report_store;

struct report_store *report_store_new(void);
void report_store_free(struct report_store *s);

/* Stores a copy of json (a complete JSON object) for node. */
int report_store_put(struct report_store *s, const char *node, const char *json);
/* A copy of what was stored, -ENOENT when nothing was. */
int report_store_get(struct report_store *s, const char *node, char **ret_json);
