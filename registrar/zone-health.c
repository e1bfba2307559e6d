/* SPDX-License-Identifier: Apache-2.0 */
/* /healthz's view of the oned Raft zone. */

#include <errno.h>

#include "one-zone.h"
#include "registrar.h"
#include "zone-health.h"

static const char *state_name(int state) {
        switch (state) {
        case ONE_RAFT_SOLO:
                return "solo";
        case ONE_RAFT_CANDIDATE:
                return "candidate";
        case ONE_RAFT_FOLLOWER:
                return "follower";
        case ONE_RAFT_LEADER:
                return "leader";
        default:
                return "unreachable";
        }
}

int zone_health_json(struct registrar *r, struct json_object *o, bool *ret_ok) {
        struct one_zone_health h;
        struct json_object *raft;
        int64_t checked;

        *ret_ok = true;
        /* From the background check (registrar.c), never asked here: /healthz
         * must not wait for oned. */
        if (!r->zone || !one_zone_is_ha(r->zone) || !one_zone_health_cached(r->zone, &h, &checked))
                return 0;
        raft = json_object_new_object();
        if (!raft)
                return -ENOMEM;
        json_object_object_add(raft, "state", json_object_new_string(state_name(h.state)));
        if (h.state >= 0) {
                json_object_object_add(raft, "term", json_object_new_int(h.term));
                json_object_object_add(raft, "commit", json_object_new_int64(h.commit));
        }
        if (h.state != ONE_RAFT_SOLO) {
                json_object_object_add(raft, "leader_reachable",
                                       json_object_new_boolean(h.leader_reachable));
                if (h.leader_reachable)
                        json_object_object_add(raft, "leader_log_index",
                                               json_object_new_int64(h.leader_log_index));
                *ret_ok = h.leader_reachable;
        }
        json_object_object_add(o, "raft", raft);
        return 0;
}
