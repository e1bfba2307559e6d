/* SPDX-License-Identifier: Apache-2.0 */
/* Reading oned's HOST_POOL / HOST / CLUSTER_POOL answers, CDATA included. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pool-xml.h"

static const char pool[] =
        "<HOST_POOL>"
        "<HOST><ID>0</ID><NAME>192.168.122.3</NAME><STATE>2</STATE><PREV_STATE>2</PREV_STATE>"
        "<IM_MAD><![CDATA[kvm]]></IM_MAD><CLUSTER_ID>0</CLUSTER_ID>"
        "<CLUSTER><![CDATA[default]]></CLUSTER>"
        "<HOST_SHARE><PCI_DEVICES><PCI><ADDRESS><![CDATA[0000:09:00:0]]></ADDRESS>"
        "<VMID><![CDATA[-1]]></VMID></PCI></PCI_DEVICES></HOST_SHARE>"
        "<TEMPLATE><ARCH><![CDATA[x86_64]]></ARCH>"
        "<PCI_FILTER><![CDATA[10de:26b9]]></PCI_FILTER>"
        "<PCI_SHORT_ADDRESS><![CDATA[09:00.0]]></PCI_SHORT_ADDRESS>"
        "<ONEPCI_STATUS><![CDATA[SUCCEEDED]]></ONEPCI_STATUS>"
        "<ONEPCI_FORCEUPDATE><![CDATA[PENDING]]></ONEPCI_FORCEUPDATE>"
        "<ONEPCI_FORCEUPDATE_RESTORE><![CDATA[DISABLED]]></ONEPCI_FORCEUPDATE_RESTORE>"
        "</TEMPLATE></HOST>\n"
        "<HOST><ID>7</ID><NAME>n2</NAME><STATE>4</STATE><CLUSTER_ID>100</CLUSTER_ID>"
        "<TEMPLATE><NOTE><![CDATA[a ]]]]><![CDATA[> b <PCI_FILTER>*:*</PCI_FILTER>]]></NOTE>"
        "</TEMPLATE></HOST>"
        "</HOST_POOL>";

static void test_hostpool(void **state) {
        struct one_host *h = NULL;
        size_t n = 0;

        assert_int_equal(pool_parse_hosts(pool, strlen(pool), &h, &n), 0);
        assert_int_equal(n, 2);
        assert_int_equal(h[0].id, 0);
        assert_string_equal(h[0].name, "192.168.122.3");
        assert_int_equal(h[0].state, ONE_HOST_MONITORED);
        assert_int_equal(h[0].cluster_id, 0);
        assert_string_equal(h[0].pci_filter, "10de:26b9");
        assert_string_equal(h[0].pci_short_address, "09:00.0");
        assert_string_equal(h[0].onepci_status, "SUCCEEDED");
        assert_null(h[0].onepci_reported_at);
        assert_string_equal(h[0].onepci_forceupdate, "PENDING");
        assert_string_equal(h[0].onepci_forceupdate_restore, "DISABLED");
        assert_null(h[1].onepci_forceupdate);
        assert_null(h[1].onepci_forceupdate_restore);
        assert_int_equal(h[1].id, 7);
        assert_string_equal(h[1].name, "n2");
        assert_true(one_host_state_disabled(h[1].state));
        assert_int_equal(h[1].cluster_id, 100);
        /* A filter-looking text inside another value's CDATA is not the filter. */
        assert_null(h[1].pci_filter);
        assert_int_equal(pool_find_host(h, n, "n2"), 1);
        assert_int_equal(pool_find_host(h, n, "n3"), -1);
        assert_int_equal(pool_find_host(h, n, "192.168.122"), -1);
        one_hosts_free(h, n);
}

static void test_empty_and_bad(void **state) {
        struct one_host *h = NULL;
        size_t n = 7;
        const char *empty = "<HOST_POOL/>";

        assert_int_equal(pool_parse_hosts(empty, strlen(empty), &h, &n), 0);
        assert_int_equal(n, 0);
        one_hosts_free(h, n);

        static const char *const bad[] = {
                "",
                "<HOST_POOL>",
                "<HOST></HOST>",
                "<VM_POOL/>",
                "<HOST_POOL><HOST><ID>x</ID><NAME>a</NAME><STATE>1</STATE>"
                "<CLUSTER_ID>0</CLUSTER_ID></HOST></HOST_POOL>",
                "<HOST_POOL><HOST><ID>1</ID><STATE>1</STATE>"
                "<CLUSTER_ID>0</CLUSTER_ID></HOST></HOST_POOL>",
                "<HOST_POOL><HOST><ID>1</ID><NAME>a</NAME><STATE>1</STATE></HOST></HOST_POOL>",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
                if (pool_parse_hosts(bad[i], strlen(bad[i]), &h, &n) != -EBADMSG)
                        fail_msg("accepted: %s", bad[i]);
}

static void test_no_entities(void **state) {
        /* An external entity must never be fetched or expanded. */
        const char *xxe = "<?xml version=\"1.0\"?><!DOCTYPE HOST [<!ENTITY x SYSTEM "
                          "\"file:///etc/hostname\">]><HOST><ID>1</ID><NAME>a</NAME>"
                          "<STATE>2</STATE><CLUSTER_ID>0</CLUSTER_ID><TEMPLATE>"
                          "<PCI_FILTER>&x;</PCI_FILTER></TEMPLATE></HOST>";
        struct one_host h = {};

        assert_int_equal(pool_parse_host(xxe, strlen(xxe), &h), 0);
        assert_string_equal(h.pci_filter, "");
        one_host_done(&h);
}

static void test_host(void **state) {
        const char *x = "<HOST><ID>3</ID><NAME>n1</NAME><STATE>8</STATE>"
                        "<CLUSTER_ID>-1</CLUSTER_ID><TEMPLATE/></HOST>";
        struct one_host h = {};

        assert_int_equal(pool_parse_host(x, strlen(x), &h), 0);
        assert_int_equal(h.id, 3);
        assert_true(one_host_state_offline(h.state));
        assert_int_equal(h.cluster_id, -1);
        assert_null(h.pci_filter);
        one_host_done(&h);
}

static void test_clusters(void **state) {
        const char *x = "<CLUSTER_POOL><CLUSTER><ID>0</ID><NAME>default</NAME><TEMPLATE>"
                        "<RESERVED_CPU><![CDATA[]]></RESERVED_CPU></TEMPLATE></CLUSTER>"
                        "<CLUSTER><ID>100</ID><NAME>gpu</NAME><TEMPLATE><PCI_FILTER>"
                        "<![CDATA[0:0]]></PCI_FILTER></TEMPLATE></CLUSTER></CLUSTER_POOL>";
        struct one_cluster *c = NULL;
        size_t n = 0;

        assert_int_equal(pool_parse_clusters(x, strlen(x), &c, &n), 0);
        assert_int_equal(n, 2);
        assert_int_equal(c[0].id, 0);
        assert_null(c[0].pci_filter);
        assert_int_equal(c[1].id, 100);
        assert_string_equal(c[1].name, "gpu");
        assert_string_equal(c[1].pci_filter, "0:0");
        one_clusters_free(c, n);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_hostpool),    cmocka_unit_test(test_empty_and_bad),
                cmocka_unit_test(test_no_entities), cmocka_unit_test(test_host),
                cmocka_unit_test(test_clusters),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
