/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The Raft part of /healthz: the configured oned server's state, term and
 * COMMIT, the leader it leads to, whether that leader answers and its
 * LOG_INDEX.  Healthy: a solo oned, or a zone whose leader answers. */

#include <stdbool.h>

#include <json-c/json.h>

struct registrar;

/* Adds "raft": {...} to o, as the background check last saw it (nothing
 * before the first, nothing for a single oned); *ret_ok false when the zone
 * had no reachable leader (an election, or the servers down). */
int zone_health_json(struct registrar *r, struct json_object *o, bool *ret_ok);
