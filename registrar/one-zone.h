/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* oned in HA: several servers in one Raft zone.  Followers forward writes to
 * the leader but answer reads from their own database, which lags: a
 * host.info right after a forwarded host.update can return the old value.
 * So every call goes to the leader, found by asking the configured server
 * one.zone.raftstatus (STATE 0 solo, 1 candidate, 2 follower, 3 leader) and,
 * unless it leads, one.zone.info for every server's ENDPOINT and each of
 * them its raftstatus.  A connection failure, or a 0x2000 failure with
 * oned's election texts ("no leader found", "in election mode", a forward
 * that could not connect or "timed out and aborted"), forgets the leader;
 * the call waits (backing off, looking for the leader at most every
 * ONE_ZONE_DISCOVER_MS whatever the number of waiting calls) and is tried
 * again until wait_ms have passed since its first failure.  A single oned
 * (solo) is called as before, and its failures are not waited out.
 *
 * one_zone_attach() installs this as the client's router (one-client.h). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error-message.h"
#include "one-client.h"

#define ONE_ZONE_DISCOVER_MS 500
/* Asking a server its Raft state: a hung one must not hold the search up. */
#define ONE_ZONE_PROBE_TIMEOUT_MS 2000
/* An election seen took about 5 s: the Retry-After for a report that met one. */
#define ONE_ZONE_ELECTION_RETRY_S 5
#define ONE_ZONE_SERVERS_MAX 16

enum one_raft_state {
        ONE_RAFT_SOLO = 0,
        ONE_RAFT_CANDIDATE = 1,
        ONE_RAFT_FOLLOWER = 2,
        ONE_RAFT_LEADER = 3,
};

struct one_raft {
        int server_id, state, term, votedfor;
        long long commit, log_index;
};

/* <RAFT>…</RAFT> (pure).  -EBADMSG when it is not one. */
int one_raft_parse(const char *xml, size_t len, struct one_raft *ret);
/* The ENDPOINTs of <ZONE>'s SERVER_POOL (pure): *ret_n of them (0 for a
 * solo oned), each strdup'ed into ret (ONE_ZONE_SERVERS_MAX at most). */
int one_zone_parse_endpoints(const char *xml, size_t len, char *ret[ONE_ZONE_SERVERS_MAX],
                             size_t *ret_n);

/* Whether a failed call is one an election explains (pure). */
bool one_zone_is_election_error(int r, const struct one_error *err);

struct one_zone;

/* The zone seen from the client's configured endpoint.  wait_ms: how long a
 * call waits out an election. */
int one_zone_new(struct one_client *one, unsigned wait_ms, struct one_zone **ret);
void one_zone_free(struct one_zone *z);
void one_zone_attach(struct one_zone *z);
/* Shutting down: calls in flight and later ones stop waiting out an election
 * (they fail with it at their next attempt). */
void one_zone_stop(struct one_zone *z);

/* Whether the zone has more than one server (as last seen). */
bool one_zone_is_ha(struct one_zone *z);

/* Health for /healthz: the configured server's raft state (-1 unreachable),
 * whether a leader answers, its LOG_INDEX and the configured server's COMMIT.
 * Asks oned now. */
struct one_zone_health {
        int state;
        int term;
        bool leader_reachable;
        long long commit, leader_log_index;
        char leader[ONE_ENDPOINT_MAX];
};
int one_zone_health(struct one_zone *z, struct one_zone_health *ret);
/* one_zone_health(), kept for one_zone_health_cached() (the background
 * check behind /healthz calls it). */
void one_zone_health_refresh(struct one_zone *z);
/* The last refresh, without asking oned; false when there was none yet.
 * *ret_checked: when (CLOCK_MONOTONIC ms). */
bool one_zone_health_cached(struct one_zone *z, struct one_zone_health *ret,
                            int64_t *ret_checked_ms);

/* Waits until the configured server has applied everything the leader had
 * when called (its COMMIT reaches the leader's LOG_INDEX), so what reads it
 * (onehost sync run on this front-end) sees every write made so far.
 * Solo: at once.  -ETIMEDOUT after wait_ms. */
int one_zone_wait_replicated(struct one_zone *z, unsigned wait_ms, struct error_message *ret_error);
