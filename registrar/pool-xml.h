/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Reading oned's XML answers (libxml2): HOST_POOL, HOST, CLUSTER_POOL.
 * Pure: text in, structs out.  Template values arrive as CDATA. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Host states (one.host.info STATE). */
enum one_host_state {
        ONE_HOST_INIT = 0,
        ONE_HOST_MONITORING_MONITORED = 1,
        ONE_HOST_MONITORED = 2,
        ONE_HOST_ERROR = 3,
        ONE_HOST_DISABLED = 4,
        ONE_HOST_MONITORING_ERROR = 5,
        ONE_HOST_MONITORING_INIT = 6,
        ONE_HOST_MONITORING_DISABLED = 7,
        ONE_HOST_OFFLINE = 8,
};

struct one_host {
        int id;
        char *name;
        int state;
        int cluster_id;
        char *pci_filter;        /* TEMPLATE/PCI_FILTER, NULL when unset */
        char *pci_short_address; /* TEMPLATE/PCI_SHORT_ADDRESS, NULL when unset */
        char *onepci_status;     /* TEMPLATE/ONEPCI_STATUS */
        char *onepci_reported_at;
        char *onepci_forceupdate; /* "PENDING" while a forced update is owed */
        char *onepci_forceupdate_restore; /* the state to bring the host back to */
};

struct one_cluster {
        int id;
        char *name;
        char *pci_filter;
};

void one_host_done(struct one_host *h);
void one_hosts_free(struct one_host *hosts, size_t n);
void one_clusters_free(struct one_cluster *c, size_t n);

/* -EBADMSG when the text is not the expected XML. */
int pool_parse_hosts(const char *xml, size_t len, struct one_host **ret, size_t *ret_n);
int pool_parse_host(const char *xml, size_t len, struct one_host *ret);
int pool_parse_clusters(const char *xml, size_t len, struct one_cluster **ret, size_t *ret_n);

/* Index of the host with NAME in hosts, -1 when none. */
ssize_t pool_find_host(const struct one_host *hosts, size_t n, const char *name);

/* Whether the host is in one of the DISABLED states / the OFFLINE state. */
bool one_host_state_disabled(int state);
bool one_host_state_offline(int state);
