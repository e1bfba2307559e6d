/* SPDX-License-Identifier: Apache-2.0 */
/* A handful of labelled counters in small arrays: label values come from a
 * fixed set chosen by the registrar, never from a request. */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

#include "macros.h"
#include "metrics.h"

#define MAX_SERIES 64

struct series {
        char label[96];
        unsigned long long count;
};

static const double buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

struct metrics {
        pthread_mutex_t mu;
        struct series reports[MAX_SERIES];
        struct series oned[MAX_SERIES];
        unsigned long long latency[ELEMENTSOF(buckets)];
        unsigned long long latency_count;
        double latency_sum;
        unsigned long long conn_open, conn_ended[METRICS_CONN_REFUSED + 1];
        int64_t oned_last_ok_ms; /* monotonic; 0: never */
        int oned_up;             /* -1: not checked yet */
};

struct metrics *metrics_new(void) {
        struct metrics *m = calloc(1, sizeof(*m));

        if (m) {
                pthread_mutex_init(&m->mu, NULL);
                m->oned_up = -1;
        }
        return m;
}

void metrics_free(struct metrics *m) {
        if (!m)
                return;
        pthread_mutex_destroy(&m->mu);
        free(m);
}

static void bump(struct series *s, const char *label) {
        for (size_t i = 0; i < MAX_SERIES; i++) {
                if (s[i].label[0] == '\0')
                        snprintf(s[i].label, sizeof(s[i].label), "%s", label);
                if (STREQ(s[i].label, label)) {
                        s[i].count++;
                        return;
                }
        }
}

void metrics_report(struct metrics *m, const char *result) {
        char label[96];

        if (!m)
                return;
        snprintf(label, sizeof(label), "result=\"%s\"", result);
        pthread_mutex_lock(&m->mu);
        bump(m->reports, label);
        pthread_mutex_unlock(&m->mu);
}

void metrics_oned_call(struct metrics *m, const char *method, const char *result) {
        char label[96];

        if (!m)
                return;
        snprintf(label, sizeof(label), "method=\"%s\",result=\"%s\"", method, result);
        pthread_mutex_lock(&m->mu);
        bump(m->oned, label);
        if (STREQ(result, "ok"))
                m->oned_last_ok_ms = monotonic_ms();
        pthread_mutex_unlock(&m->mu);
}

void metrics_oned_up(struct metrics *m, bool up) {
        if (!m)
                return;
        pthread_mutex_lock(&m->mu);
        m->oned_up = up;
        pthread_mutex_unlock(&m->mu);
}

void metrics_request(struct metrics *m, double seconds) {
        if (!m)
                return;
        pthread_mutex_lock(&m->mu);
        for (size_t i = 0; i < ELEMENTSOF(buckets); i++)
                if (seconds <= buckets[i])
                        m->latency[i]++;
        m->latency_count++;
        m->latency_sum += seconds;
        pthread_mutex_unlock(&m->mu);
}

void metrics_connection(struct metrics *m, enum metrics_conn event) {
        if (!m || event > METRICS_CONN_REFUSED)
                return;
        pthread_mutex_lock(&m->mu);
        if (event == METRICS_CONN_OPENED)
                m->conn_open++;
        else if (event != METRICS_CONN_REFUSED && m->conn_open > 0)
                m->conn_open--;
        m->conn_ended[event]++;
        pthread_mutex_unlock(&m->mu);
}

char *metrics_render(struct metrics *m) {
        static const char *const conn_results[] = {
                [METRICS_CONN_SERVED] = "served",
                [METRICS_CONN_NO_REQUEST] = "no_request",
                [METRICS_CONN_REFUSED] = "refused",
        };
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return NULL;
        pthread_mutex_lock(&m->mu);
        fputs("# HELP onepci_reports_total Reports received, by result.\n"
              "# TYPE onepci_reports_total counter\n",
              f);
        for (size_t i = 0; i < MAX_SERIES && m->reports[i].label[0]; i++)
                fprintf(f, "onepci_reports_total{%s} %llu\n", m->reports[i].label,
                        m->reports[i].count);
        fputs("# HELP onepci_oned_calls_total XML-RPC calls to oned, by method and result.\n"
              "# TYPE onepci_oned_calls_total counter\n",
              f);
        for (size_t i = 0; i < MAX_SERIES && m->oned[i].label[0]; i++)
                fprintf(f, "onepci_oned_calls_total{%s} %llu\n", m->oned[i].label,
                        m->oned[i].count);
        fputs("# HELP onepci_request_duration_seconds HTTP request latency.\n"
              "# TYPE onepci_request_duration_seconds histogram\n",
              f);
        for (size_t i = 0; i < ELEMENTSOF(buckets); i++)
                fprintf(f, "onepci_request_duration_seconds_bucket{le=\"%g\"} %llu\n", buckets[i],
                        m->latency[i]);
        fprintf(f, "onepci_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n", m->latency_count);
        fprintf(f, "onepci_request_duration_seconds_sum %.6f\n", m->latency_sum);
        fprintf(f, "onepci_request_duration_seconds_count %llu\n", m->latency_count);
        fprintf(f,
                "# HELP onepci_connections_open HTTP connections open now.\n"
                "# TYPE onepci_connections_open gauge\n"
                "onepci_connections_open %llu\n"
                "# HELP onepci_connections_total HTTP connections, by how they ended.\n"
                "# TYPE onepci_connections_total counter\n",
                m->conn_open);
        for (size_t i = METRICS_CONN_SERVED; i < ELEMENTSOF(conn_results); i++)
                fprintf(f, "onepci_connections_total{result=\"%s\"} %llu\n", conn_results[i],
                        m->conn_ended[i]);
        if (m->oned_up >= 0)
                fprintf(f,
                        "# HELP onepci_oned_up Whether the last background check of oned "
                        "succeeded (7.0 or later).\n"
                        "# TYPE onepci_oned_up gauge\n"
                        "onepci_oned_up %d\n",
                        m->oned_up);
        if (m->oned_last_ok_ms > 0)
                fprintf(f,
                        "# HELP onepci_oned_last_success_age_seconds Time since oned last "
                        "answered a call successfully.\n"
                        "# TYPE onepci_oned_last_success_age_seconds gauge\n"
                        "onepci_oned_last_success_age_seconds %.3f\n",
                        (double)(monotonic_ms() - m->oned_last_ok_ms) / 1000.0);
        pthread_mutex_unlock(&m->mu);
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}
