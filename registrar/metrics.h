/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Prometheus counters: reports by result, oned calls by method and result,
 * request latency as a histogram, connections.  Thread safe. */

#include <stdbool.h>

struct metrics;

struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);

/* result: "changed", "unchanged", "invalid", "unauthorized" (no
 * credentials), "bad_signature", "clock_skew", "replay", "busy",
 * "forbidden" (wrong node), "unknown_node" (not in the inventory),
 * "unknown_host", "oned_unavailable", "probe_unavailable",
 * "unsupported_opennebula", "error".  Never a value from a request. */
void metrics_report(struct metrics *m, const char *result);
/* Counts a call; an "ok" one also restarts onepci_oned_last_success_age_seconds. */
void metrics_oned_call(struct metrics *m, const char *method, const char *result);
/* The background check's verdict: onepci_oned_up 1 or 0. */
void metrics_oned_up(struct metrics *m, bool up);
void metrics_request(struct metrics *m, double seconds);

/* What happened to a TCP connection: accepted (open), closed after at least
 * one request, closed before a complete request (idle, too slow, timed out
 * or abandoned), or refused at accept by a connection limit. */
enum metrics_conn {
        METRICS_CONN_OPENED,
        METRICS_CONN_SERVED,
        METRICS_CONN_NO_REQUEST,
        METRICS_CONN_REFUSED,
};
void metrics_connection(struct metrics *m, enum metrics_conn event);

/* The text exposition format; the caller frees it. */
char *metrics_render(struct metrics *m);
