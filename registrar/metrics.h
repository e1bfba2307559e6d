/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Prometheus counters: reports by result, oned calls by method and result,
 * request latency as a histogram.  Thread safe. */

struct metrics;

struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);

/* result: "changed", "unchanged", "invalid", "unauthorized", "forbidden",
 * "unknown_host", "oned_unavailable", "refused", "error". */
void metrics_report(struct metrics *m, const char *result);
void metrics_oned_call(struct metrics *m, const char *method, const char *result);
void metrics_request(struct metrics *m, double seconds);

/* The text exposition format; the caller frees it. */
char *metrics_render(struct metrics *m);
