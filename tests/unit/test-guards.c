/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "context.h"
#include "fileio.h"
#include "guards.h"
#include "macros.h"
#include "test-root.h"

#define GPU_NODE FIXTURES_DIR "/roots/gpu-node"
#define NIC0 "0000:03:00.0" /* enp3s0f0, in br0 */
#define NIC1 "0000:03:00.1" /* enp3s0f1 */
#define NVME "0000:04:00.0" /* nvme0n1 */

#define ROUTE_HEADER                                                                       \
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
#define V6_ZERO "00000000000000000000000000000000"

static struct guard_facts *collect(const char *root) {
        struct onepci_context *ctx = NULL;
        assert_int_equal(onepci_context_new(root, &ctx), 0);
        struct guard_facts *g = NULL;
        assert_int_equal(guards_collect(ctx, &g), 0);
        assert_non_null(g);
        onepci_context_free(ctx);
        return g;
}

static void no_ipv4_default(const char *root) {
        test_root_put(root, "proc/net/route", ROUTE_HEADER);
}

/* ---- the committed gpu-node root ---- */

static void test_gpu_node(void **state) {
        struct guard_facts *g = collect(GPU_NODE);
        assert_int_equal(g->n, 2);

        const struct guard_hit *h = guard_facts_find(g, NIC0);
        assert_non_null(h);
        assert_int_equal(h->kind, GUARD_DEFAULT_ROUTE);
        assert_string_equal(h->why, "carries the default route via br0 -> enp3s0f0");

        h = guard_facts_find(g, NVME);
        assert_non_null(h);
        assert_int_equal(h->kind, GUARD_ROOT_DISK);
        assert_non_null(strstr(h->why, "/dev/nvme0n1p2"));

        assert_null(guard_facts_find(g, NIC1));
        assert_null(guard_facts_find(g, "0000:09:00.0"));
        assert_null(guard_facts_find(g, NULL));
        guard_facts_free(g);
}

static void test_empty_root(void **state) {
        char tmpl[] = "/tmp/onepci-test-XXXXXX";
        assert_non_null(mkdtemp(tmpl));
        struct guard_facts *g = collect(tmpl);
        assert_int_equal(g->n, 0);
        guard_facts_free(g);
        rmdir(tmpl);
}

/* ---- networks ---- */

static void test_bond_slaves(void **state) {
        char *root = test_root_copy(GPU_NODE);
        test_root_put(root, "sys/class/net/bond0/bonding/slaves", "enp3s0f0 enp3s0f1\n");
        test_root_put(root, "proc/net/route",
            ROUTE_HEADER "bond0\t00000000\t017AA8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n");
        struct guard_facts *g = collect(root);
        const struct guard_hit *h0 = guard_facts_find(g, NIC0);
        const struct guard_hit *h1 = guard_facts_find(g, NIC1);
        assert_non_null(h0);
        assert_non_null(h1);
        assert_string_equal(h1->why, "carries the default route via bond0 -> enp3s0f1");
        guard_facts_free(g);
        test_root_remove(root);
}

static void test_vlan_on_bond_in_bridge(void **state) {
        char *root = test_root_copy(GPU_NODE);
        /* vmbr0 -> bond0.100 (vlan) -> bond0 -> enp3s0f1 */
        test_root_put(root, "sys/class/net/bond0/bonding/slaves", "enp3s0f1\n");
        test_root_put(root, "sys/class/net/bond0.100/operstate", "up\n");
        test_root_link(root, "sys/class/net/bond0.100/lower_bond0", "../bond0");
        test_root_put(root, "sys/class/net/vmbr0/operstate", "up\n");
        test_root_link(root, "sys/class/net/vmbr0/brif/bond0.100", "../../bond0.100");
        test_root_put(root, "proc/net/route",
            ROUTE_HEADER "vmbr0\t00000000\t017AA8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n");
        struct guard_facts *g = collect(root);
        assert_int_equal(g->n, 2); /* the NIC and the root disk */
        const struct guard_hit *h = guard_facts_find(g, NIC1);
        assert_non_null(h);
        assert_string_equal(h->why, "carries the default route via "
                                    "vmbr0 -> bond0.100 -> bond0 -> enp3s0f1");
        assert_null(guard_facts_find(g, NIC0));
        guard_facts_free(g);
        test_root_remove(root);
}

static void test_ipv6_default_route(void **state) {
        char *root = test_root_copy(GPU_NODE);
        no_ipv4_default(root);
        test_root_put(root, "proc/net/ipv6_route",
            V6_ZERO " 00 " V6_ZERO " 00 fe800000000000000000000000000001 00000400 00000001 "
                    "00000000 00000003 enp3s0f1\n");
        struct guard_facts *g = collect(root);
        assert_non_null(guard_facts_find(g, NIC1));
        assert_null(guard_facts_find(g, NIC0)); /* br0 no longer has the IPv4 default */
        guard_facts_free(g);
        test_root_remove(root);
}

/* Only ::/0 routes that are up and not reject routes count; a /64 does not. */
static void test_ipv6_routes_that_are_not_defaults(void **state) {
        char *root = test_root_copy(GPU_NODE);
        no_ipv4_default(root);
        test_root_put(root, "proc/net/ipv6_route",
            V6_ZERO " 00 " V6_ZERO " 00 " V6_ZERO " ffffffff 00000001 00000000 00200201 "
                    "enp3s0f1\n"
            "20010db8000000000000000000000000 40 " V6_ZERO " 00 " V6_ZERO " 00000100 00000001 "
                    "00000000 00000001 enp3s0f1\n"
            V6_ZERO " 00 " V6_ZERO " 00 " V6_ZERO " 00000400 00000001 00000000 00000000 "
                    "enp3s0f0\n");
        struct guard_facts *g = collect(root);
        assert_null(guard_facts_find(g, NIC1));
        assert_null(guard_facts_find(g, NIC0));
        guard_facts_free(g);
        test_root_remove(root);
}

/* A route that is down, or not 0.0.0.0/0, does not guard its NIC. */
static void test_ipv4_routes_that_are_not_defaults(void **state) {
        char *root = test_root_copy(GPU_NODE);
        test_root_put(root, "proc/net/route",
            ROUTE_HEADER
            "enp3s0f1\t00000000\t017AA8C0\t0002\t0\t0\t0\t00000000\t0\t0\t0\n"
            "br0\t007AA8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n");
        struct guard_facts *g = collect(root);
        assert_null(guard_facts_find(g, NIC1));
        assert_null(guard_facts_find(g, NIC0));
        assert_non_null(guard_facts_find(g, NVME));
        guard_facts_free(g);
        test_root_remove(root);
}

/* A route over an interface that leads nowhere (tun, wireguard) is fine. */
static void test_virtual_interface_without_device(void **state) {
        char *root = test_root_copy(GPU_NODE);
        test_root_put(root, "sys/class/net/wg0/operstate", "unknown\n");
        test_root_put(root, "proc/net/route",
            ROUTE_HEADER "wg0\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0\n"
                         "gone0\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0\n");
        struct guard_facts *g = collect(root);
        assert_int_equal(g->n, 1);
        assert_int_equal(g->hits[0].kind, GUARD_ROOT_DISK);
        guard_facts_free(g);
        test_root_remove(root);
}

/* An absolute link leads out of the root (a tree copied without care):
 * what lies outside is another machine's and guards nothing here. */
static void test_link_out_of_root_ignored(void **state) {
        char *root = test_root_copy(GPU_NODE);
        char outside[] = "/tmp/onepci-outside-XXXXXX";
        assert_non_null(mkdtemp(outside));
        test_root_put(outside, "sys/devices/pci0000:00/0000:00:07.0/vendor", "0x8086\n");
        char target[PATH_MAX];
        snprintf(target, sizeof(target), "%s/sys/devices/pci0000:00/0000:00:07.0", outside);
        test_root_link(root, "sys/class/net/eth9/device", target);
        test_root_put(root, "proc/net/route",
            ROUTE_HEADER "eth9\t00000000\t017AA8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n");
        struct guard_facts *g = collect(root);
        assert_null(guard_facts_find(g, "0000:00:07.0"));
        assert_int_equal(g->n, 1); /* the root disk only */
        guard_facts_free(g);
        test_root_remove(strdup(outside));
        test_root_remove(root);
}

/* ---- the root disk ---- */

#define NVME_DISK "../../devices/pci0000:00/0000:00:1c.0/0000:04:00.0/nvme/nvme0/nvme0n1"

static void test_dm_root(void **state) {
        char *root = test_root_copy(GPU_NODE);
        no_ipv4_default(root);
        test_root_put(root, "sys/devices/virtual/block/dm-0/dev", "253:0\n");
        test_root_link(root, "sys/devices/virtual/block/dm-0/slaves/nvme0n1p2",
                "../../../../pci0000:00/0000:00:1c.0/0000:04:00.0/nvme/nvme0/nvme0n1/nvme0n1p2");
        test_root_link(root, "sys/dev/block/253:0", "../../devices/virtual/block/dm-0");
        test_root_link(root, "sys/class/block/dm-0", "../../devices/virtual/block/dm-0");
        test_root_put(root, "proc/self/mountinfo",
            "21 1 253:0 / / rw,relatime shared:1 - ext4 /dev/mapper/vg-root rw\n");
        struct guard_facts *g = collect(root);
        assert_int_equal(g->n, 1);
        const struct guard_hit *h = guard_facts_find(g, NVME);
        assert_non_null(h);
        assert_int_equal(h->kind, GUARD_ROOT_DISK);
        assert_non_null(strstr(h->why, "/dev/mapper/vg-root -> nvme0n1p2"));
        guard_facts_free(g);
        test_root_remove(root);
}

/* / on md0p1, a partition of a RAID1 over the NVMe and a second disk on
 * another controller (03:00.1 stands in for a SAS HBA here). */
static void test_md_partition_root(void **state) {
        char *root = test_root_copy(GPU_NODE);
        no_ipv4_default(root);
        test_root_put(root, "sys/devices/virtual/block/md0/dev", "9:0\n");
        test_root_put(root, "sys/devices/virtual/block/md0/md0p1/dev", "259:7\n");
        test_root_put(root, "sys/devices/virtual/block/md0/md0p1/partition", "1\n");
        test_root_link(root, "sys/devices/virtual/block/md0/slaves/nvme0n1p2",
                "../../../../pci0000:00/0000:00:1c.0/0000:04:00.0/nvme/nvme0/nvme0n1/nvme0n1p2");
        test_root_put(root, "sys/devices/pci0000:00/0000:00:1c.1/0000:03:00.1/host0/sda/sda1/dev", "8:1\n");
        test_root_link(root, "sys/devices/virtual/block/md0/slaves/sda1",
                "../../../../pci0000:00/0000:00:1c.1/0000:03:00.1/host0/sda/sda1");
        test_root_link(root, "sys/class/block/sda1",
                "../../devices/pci0000:00/0000:00:1c.1/0000:03:00.1/host0/sda/sda1");
        test_root_link(root, "sys/dev/block/259:7", "../../devices/virtual/block/md0/md0p1");
        test_root_put(root, "proc/self/mountinfo",
            "21 1 259:7 / / rw,relatime shared:1 - ext4 /dev/md0p1 rw\n");
        struct guard_facts *g = collect(root);
        assert_int_equal(g->n, 2);
        assert_non_null(guard_facts_find(g, NVME));
        const struct guard_hit *h = guard_facts_find(g, NIC1);
        assert_non_null(h);
        assert_int_equal(h->kind, GUARD_ROOT_DISK);
        guard_facts_free(g);
        test_root_remove(root);
}

/* btrfs reports an anonymous 0:N device; its source names the partition. */
static void test_btrfs_root_by_source(void **state) {
        char *root = test_root_copy(GPU_NODE);
        no_ipv4_default(root);
        test_root_put(root, "proc/self/mountinfo",
            "21 1 0:31 /@ / rw,relatime shared:1 - btrfs /dev/nvme0n1p2 rw,subvol=/@\n");
        struct guard_facts *g = collect(root);
        assert_int_equal(g->n, 1);
        assert_non_null(guard_facts_find(g, NVME));
        guard_facts_free(g);
        test_root_remove(root);
}

/* The last mount on / is the one in effect: a tmpfs over the disk (a
 * stateless image) guards nothing, and the other way round it does. */
static void test_last_root_mount_wins(void **state) {
        char *root = test_root_copy(GPU_NODE);
        no_ipv4_default(root);
        test_root_put(root, "proc/self/mountinfo",
            "21 1 259:2 / / rw shared:1 - ext4 /dev/nvme0n1p2 rw\n"
            "30 21 0:40 / / rw shared:9 - tmpfs tmpfs rw\n"
            "31 30 259:1 / /boot/efi rw shared:29 - vfat /dev/nvme0n1p1 rw\n");
        struct guard_facts *g = collect(root);
        assert_int_equal(g->n, 0);
        guard_facts_free(g);

        test_root_put(root, "proc/self/mountinfo",
            "30 1 0:40 / / rw shared:9 - tmpfs tmpfs rw\n"
            "21 30 259:2 / / rw shared:1 - ext4 /dev/nvme0n1p2 rw\n");
        g = collect(root);
        assert_int_equal(g->n, 1);
        assert_non_null(guard_facts_find(g, NVME));
        guard_facts_free(g);
        test_root_remove(root);
}

static void test_malformed_mountinfo_lines_skipped(void **state) {
        char *root = test_root_copy(GPU_NODE);
        no_ipv4_default(root);
        test_root_put(root, "proc/self/mountinfo",
            "garbage\n"
            "21 1 259 / / rw - ext4 /dev/x rw\n"
            "21 1 259:x / / rw - ext4 /dev/x rw\n"
            "22 1 259:2 / /srv rw - ext4 /dev/nvme0n1p2 rw\n");
        struct guard_facts *g = collect(root);
        assert_int_equal(g->n, 0);
        guard_facts_free(g);
        test_root_remove(root);
}

/* A slaves/ loop (corrupt tree) must end. */
static void test_slaves_loop_terminates(void **state) {
        char *root = test_root_copy(GPU_NODE);
        no_ipv4_default(root);
        test_root_put(root, "sys/devices/virtual/block/dm-0/dev", "253:0\n");
        test_root_link(root, "sys/devices/virtual/block/dm-0/slaves/dm-0", "../../dm-0");
        test_root_link(root, "sys/class/block/dm-0", "../../devices/virtual/block/dm-0");
        test_root_link(root, "sys/dev/block/253:0", "../../devices/virtual/block/dm-0");
        test_root_put(root, "proc/self/mountinfo", "21 1 253:0 / / rw - ext4 /dev/dm-0 rw\n");
        struct guard_facts *g = collect(root);
        assert_int_equal(g->n, 0);
        guard_facts_free(g);
        test_root_remove(root);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_gpu_node),
                cmocka_unit_test(test_empty_root),
                cmocka_unit_test(test_bond_slaves),
                cmocka_unit_test(test_vlan_on_bond_in_bridge),
                cmocka_unit_test(test_ipv6_default_route),
                cmocka_unit_test(test_ipv6_routes_that_are_not_defaults),
                cmocka_unit_test(test_ipv4_routes_that_are_not_defaults),
                cmocka_unit_test(test_virtual_interface_without_device),
                cmocka_unit_test(test_link_out_of_root_ignored),
                cmocka_unit_test(test_dm_root),
                cmocka_unit_test(test_md_partition_root),
                cmocka_unit_test(test_btrfs_root_by_source),
                cmocka_unit_test(test_last_root_mount_wins),
                cmocka_unit_test(test_malformed_mountinfo_lines_skipped),
                cmocka_unit_test(test_slaves_loop_terminates),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
