/* SPDX-License-Identifier: Apache-2.0 */
/* The reader of oned's HOST_POOL / HOST / CLUSTER_POOL XML. */
#include <stddef.h>
#include <stdint.h>

#include <sys/types.h> /* pool-xml.h uses ssize_t */

#include "pool-xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct one_host *hosts = NULL;
        size_t n = 0;
        if (pool_parse_hosts((const char *)data, size, &hosts, &n) == 0)
                one_hosts_free(hosts, n);

        struct one_host h = { 0 };
        if (pool_parse_host((const char *)data, size, &h) == 0)
                one_host_done(&h);

        struct one_cluster *clusters = NULL;
        if (pool_parse_clusters((const char *)data, size, &clusters, &n) == 0)
                one_clusters_free(clusters, n);
        return 0;
}
