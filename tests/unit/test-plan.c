/* SPDX-License-Identifier: Apache-2.0 */
/* plan_compute over in-memory snapshots: every action and refusal. */
#include <errno.h>
#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup-json.h"
#include "macros.h"
#include "owned.h"
#include "pci-filter.h"
#include "strv.h"
#include "plan.h"

static struct pci_device dev(const char *addr, const char *vendor, const char *device,
                             const char *class6, const char *driver, int group) {
        struct pci_device d = { .iommu_group = group, .numa_node = 0 };
        snprintf(d.address, sizeof(d.address), "%s", addr);
        snprintf(d.vendor, sizeof(d.vendor), "%s", vendor);
        snprintf(d.device, sizeof(d.device), "%s", device);
        snprintf(d.class6, sizeof(d.class6), "%s", class6);
        snprintf(d.driver, sizeof(d.driver), "%s", driver);
        d.is_bridge = strncmp(class6, "06", 2) == 0;
        return d;
}

/* The demo node, in memory: two L40S alone in their groups, an A4000 with its
 * audio function, a NIC, a root port. */
static struct pci_device devices[8];
static struct pci_snapshot snap = { devices, 0 };

static int setup(void **state) {
        size_t n = 0;
        devices[n++] = dev("0000:00:01.0", "8086", "a70d", "060400", "pcieport", 1);
        devices[n++] = dev("0000:03:00.0", "8086", "1572", "020000", "i40e", 3);
        devices[n++] = dev("0000:09:00.0", "10de", "26b9", "030200", "nvidia", 14);
        devices[n++] = dev("0000:0a:00.0", "10de", "26b9", "030200", "nvidia", 15);
        devices[n++] = dev("0000:0b:00.0", "10de", "24b0", "030000", "nvidia", 16);
        devices[n++] = dev("0000:0b:00.1", "10de", "228b", "040300", "snd_hda_intel", 16);
        devices[n++] = dev("0000:05:00.0", "1a03", "2000", "030000", "ast", -1);
        snap.n = n;
        return 0;
}

static struct device_selector sel_addr(const char *addr) {
        struct device_selector s = { 0 };
        snprintf(s.address, sizeof(s.address), "%s", addr);
        s.is_exact = strpbrk(addr, "*?[") == NULL;
        return s;
}

static struct host_config config(struct device_selector *sels, size_t n) {
        struct host_config c = { .name = (char *)"n1", .one_host_name = (char *)"n1",
                                 .enabled = true, .selectors = sels, .n_selectors = n,
                                 .vfio_mode = 0660 };
        snprintf(c.vfio_group, sizeof(c.vfio_group), "kvm");
        return c;
}

static const struct plan_item *find(const struct plan *p, const char *addr) {
        for (size_t i = 0; i < p->n; i++)
                if (strcmp(p->items[i].address, addr) == 0)
                        return &p->items[i];
        return NULL;
}

/* The item of an address that must be in the plan. */
static const struct plan_item *item(const struct plan *p, const char *addr) {
        const struct plan_item *it = find(p, addr);
        if (!it) {
                fail_msg("the plan has no item %s", addr);
                abort();
        }
        return it;
}

static void binds_both_gpus(void **state) {
        struct device_selector s[] = { sel_addr("0000:09:00.0"), sel_addr("0000:0a:00.0") };
        struct host_config c = config(s, 2);
        struct plan *p = NULL;
        assert_int_equal(plan_compute(&c, &snap, NULL, &p), 0);
        assert_true(p->enabled);
        assert_int_equal(p->n, 2);
        assert_int_equal(item(p, "0000:09:00.0")->action, PLAN_BIND);
        assert_int_equal(item(p, "0000:0a:00.0")->action, PLAN_BIND);
        assert_non_null(strstr(item(p, "0000:09:00.0")->reason, "nvidia -> vfio-pci"));
        assert_int_equal(plan_count(p, PLAN_BIND), 2);
        plan_free(p);
}

static void disabled_host_plans_nothing(void **state) {
        struct device_selector s[] = { sel_addr("0000:09:00.0") };
        struct host_config c = config(s, 1);
        c.enabled = false;
        struct plan *p = NULL;
        assert_int_equal(plan_compute(&c, &snap, NULL, &p), 0);
        assert_false(p->enabled);
        assert_int_equal(p->n, 0);
        plan_free(p);
}

static void settled_device_is_kept(void **state) {
        struct pci_device saved = devices[2];
        snprintf(devices[2].driver, sizeof(devices[2].driver), "vfio-pci");
        snprintf(devices[2].driver_override, sizeof(devices[2].driver_override), "vfio-pci");
        snprintf(devices[2].saved_override, sizeof(devices[2].saved_override), "vfio-pci");
        struct device_selector s[] = { sel_addr("0000:09:00.0") };
        struct host_config c = config(s, 1);
        struct plan *p = NULL;
        assert_int_equal(plan_compute(&c, &snap, NULL, &p), 0);
        assert_int_equal(item(p, "0000:09:00.0")->action, PLAN_KEEP);
        plan_free(p);

        /* On vfio-pci but without the saved file: driverctl has to persist it. */
        devices[2].saved_override[0] = '\0';
        assert_int_equal(plan_compute(&c, &snap, NULL, &p), 0);
        assert_int_equal(item(p, "0000:09:00.0")->action, PLAN_BIND);
        plan_free(p);
        devices[2] = saved;
}

static void missing_exact_address_is_refused(void **state) {
        struct device_selector s[] = { sel_addr("0000:42:00.0") };
        struct host_config c = config(s, 1);
        struct plan *p = NULL;
        assert_int_equal(plan_compute(&c, &snap, NULL, &p), 0);
        assert_int_equal(p->n, 1);
        assert_int_equal(p->items[0].action, PLAN_REFUSE_MISSING);
        assert_null(p->items[0].dev);
        assert_true(plan_action_is_refusal(p->items[0].action));
        plan_free(p);
}

static void bridge_and_groupless_device_are_refused(void **state) {
        struct device_selector s[] = { sel_addr("0000:00:01.0"), sel_addr("0000:05:00.0") };
        struct host_config c = config(s, 2);
        struct plan *p = NULL;
        assert_int_equal(plan_compute(&c, &snap, NULL, &p), 0);
        assert_int_equal(item(p, "0000:00:01.0")->action, PLAN_REFUSE_DEVICE);
        assert_non_null(strstr(item(p, "0000:00:01.0")->reason, "bridge"));
        assert_int_equal(item(p, "0000:05:00.0")->action, PLAN_REFUSE_DEVICE);
        assert_non_null(strstr(item(p, "0000:05:00.0")->reason, "no IOMMU group"));
        plan_free(p);
}

static void glob_never_picks_bridges(void **state) {
        struct device_selector s[] = { sel_addr("0000:0*:*.*") };
        struct host_config c = config(s, 1);
        struct plan *p = NULL;
        assert_int_equal(plan_compute(&c, &snap, NULL, &p), 0);
        assert_null(find(p, "0000:00:01.0"));
        assert_non_null(find(p, "0000:09:00.0"));
        plan_free(p);
}

static void guard_refuses_unless_unguarded(void **state) {
        struct guard_hit hit = { .address = "0000:03:00.0", .kind = GUARD_DEFAULT_ROUTE,
                                 .why = "carries the default route via br0 -> enp3s0f0" };
        struct guard_facts g = { &hit, 1 };
        struct device_selector s[] = { sel_addr("0000:03:00.0") };
        struct host_config c = config(s, 1);
        struct plan *p = NULL;
        assert_int_equal(plan_compute(&c, &snap, &g, &p), 0);
        assert_int_equal(p->items[0].action, PLAN_REFUSE_GUARD);
        assert_non_null(strstr(p->items[0].reason, "default route"));
        assert_non_null(strstr(p->items[0].reason, "unguarded: true"));
        plan_free(p);

        s[0].unguarded = true;
        assert_int_equal(plan_compute(&c, &snap, &g, &p), 0);
        assert_int_equal(p->items[0].action, PLAN_BIND);
        plan_free(p);
}

static void group_with_host_member_is_refused(void **state) {
        struct device_selector s[] = { sel_addr("0000:0b:00.0") };
        struct host_config c = config(s, 1);
        struct plan *p = NULL;
        assert_int_equal(plan_compute(&c, &snap, NULL, &p), 0);
        assert_int_equal(p->items[0].action, PLAN_REFUSE_GROUP);
        assert_non_null(strstr(p->items[0].reason, "0000:0b:00.1"));
        plan_free(p);

        /* Naming the audio function too makes the group viable. */
        struct device_selector both[] = { sel_addr("0000:0b:00.0"), sel_addr("0000:0b:00.1") };
        c = config(both, 2);
        assert_int_equal(plan_compute(&c, &snap, NULL, &p), 0);
        assert_int_equal(item(p, "0000:0b:00.0")->action, PLAN_BIND);
        assert_int_equal(item(p, "0000:0b:00.1")->action, PLAN_BIND);
        plan_free(p);
}

static void refusal_spreads_through_the_group(void **state) {
        /* The audio function is guarded: the GPU beside it cannot go alone. */
        struct guard_hit hit = { .address = "0000:0b:00.1", .kind = GUARD_ROOT_DISK,
                                 .why = "holds the root disk" };
        struct guard_facts g = { &hit, 1 };
        struct device_selector both[] = { sel_addr("0000:0b:00.0"), sel_addr("0000:0b:00.1") };
        struct host_config c = config(both, 2);
        struct plan *p = NULL;
        assert_int_equal(plan_compute(&c, &snap, &g, &p), 0);
        assert_int_equal(item(p, "0000:0b:00.1")->action, PLAN_REFUSE_GUARD);
        assert_int_equal(item(p, "0000:0b:00.0")->action, PLAN_REFUSE_GROUP);
        plan_free(p);
}

static void excluded_selector_wins(void **state) {
        struct device_selector s[2] = { [1] = sel_addr("0000:0a:00.0") };
        snprintf(s[0].vendor, sizeof(s[0].vendor), "10de");
        snprintf(s[0].device, sizeof(s[0].device), "26b9");
        s[1].excluded = true;
        struct host_config c = config(s, 2);
        struct plan *p = NULL;
        assert_int_equal(plan_compute(&c, &snap, NULL, &p), 0);
        assert_int_equal(p->n, 1);
        assert_string_equal(p->items[0].address, "0000:09:00.0");
        plan_free(p);
}

static void omit_leaves_the_driver(void **state) {
        struct device_selector s[] = { sel_addr("0000:09:00.0") };
        s[0].omit_driver = true;
        struct host_config c = config(s, 1);
        struct plan *p = NULL;
        assert_int_equal(plan_compute(&c, &snap, NULL, &p), 0);
        assert_int_equal(p->items[0].action, PLAN_LEAVE);
        plan_free(p);
}

static void items_are_sorted(void **state) {
        struct device_selector s[] = { sel_addr("0000:0a:00.0"), sel_addr("0000:42:00.0"),
                                       sel_addr("0000:09:00.0") };
        struct host_config c = config(s, 3);
        struct plan *p = NULL;
        assert_int_equal(plan_compute(&c, &snap, NULL, &p), 0);
        assert_int_equal(p->n, 3);
        assert_string_equal(p->items[0].address, "0000:09:00.0");
        assert_string_equal(p->items[1].address, "0000:0a:00.0");
        assert_string_equal(p->items[2].address, "0000:42:00.0");
        plan_free(p);
}

static struct pci_device mk(const char *addr, const char *vendor, const char *device) {
        return dev(addr, vendor, device, "030200", "", 1);
}

/* The PCI_FILTER of a plan: what the registrar writes for its report. */
static void filter_is_unique_sorted_and_skips_refusals(void **state) {
        struct pci_device d[] = { mk("0000:0a:00.0", "10de", "26b9"),
                                  mk("0000:09:00.0", "10de", "26b9"),
                                  mk("0000:03:00.0", "8086", "1572"),
                                  mk("0000:04:00.0", "144d", "a80a") };
        struct plan_item items[] = {
                { .address = "0000:0a:00.0", .action = PLAN_BIND, .dev = &d[0] },
                { .address = "0000:09:00.0", .action = PLAN_KEEP, .dev = &d[1] },
                { .address = "0000:03:00.0", .action = PLAN_REFUSE_GUARD, .dev = &d[2] },
                { .address = "0000:04:00.0", .action = PLAN_BIND, .dev = &d[3] },
                { .address = "0000:42:00.0", .action = PLAN_REFUSE_MISSING },
        };
        struct plan p = { .enabled = true, .items = items, .n = 5 };
        char *f = NULL;
        assert_int_equal(plan_pci_filter(&p, &f), 0);
        assert_string_equal(f, "10de:26b9,144d:a80a");
        free(f);

        /* No device: the registrar's "0:0" (matches nothing), never "". */
        struct plan empty = { .enabled = true };
        assert_int_equal(plan_pci_filter(&empty, &f), 0);
        assert_string_equal(f, PCI_FILTER_NONE);
        free(f);
}

static void ends_on_vfio_is_bind_or_keep(void **state) {
        assert_true(plan_action_ends_on_vfio(PLAN_BIND));
        assert_true(plan_action_ends_on_vfio(PLAN_KEEP));
        assert_false(plan_action_ends_on_vfio(PLAN_LEAVE));
        assert_false(plan_action_ends_on_vfio(PLAN_REFUSE_MISSING));
        assert_false(plan_action_ends_on_vfio(PLAN_REFUSE_DEVICE));
        assert_false(plan_action_ends_on_vfio(PLAN_REFUSE_GUARD));
        assert_false(plan_action_ends_on_vfio(PLAN_REFUSE_GROUP));
}

/* one-deploy's rule: the last matching entry wins whole. */
static void last_entry_wins_whole(void **state) {
        struct device_selector s[] = { sel_addr("0000:0*:00.0"), sel_addr("0000:09:00.0") };
        s[0].omit_driver = true;
        struct host_config c = config(s, 2);
        struct plan *p = NULL;
        assert_int_equal(plan_compute(&c, &snap, NULL, &p), 0);
        assert_int_equal(item(p, "0000:09:00.0")->action, PLAN_BIND);
        assert_int_equal(item(p, "0000:09:00.0")->selector, 1);
        assert_non_null(strstr(item(p, "0000:09:00.0")->entry, "pci_devices[1]"));
        assert_int_equal(item(p, "0000:0a:00.0")->action, PLAN_LEAVE);
        assert_int_equal(item(p, "0000:0a:00.0")->selector, 0);
        plan_free(p);
}

/* onepci's: an exclusion is absolute, and the plan says when it overrides a
 * later match (which one-deploy would have let win). */
static void exclusion_is_absolute_and_shown(void **state) {
        struct device_selector s[] = { sel_addr("0000:09:00.0"), sel_addr("0000:0*:00.0") };
        s[0].excluded = true;
        struct host_config c = config(s, 2);
        struct plan *p = NULL;
        _cleanup_free_ char *filter = NULL;
        assert_int_equal(plan_compute(&c, &snap, NULL, &p), 0);
        const struct plan_item *it = item(p, "0000:09:00.0");
        assert_int_equal(it->action, PLAN_EXCLUDED);
        assert_false(plan_action_is_refusal(it->action));
        assert_non_null(strstr(it->reason, "overrides the later match of pci_devices[1]"));
        assert_int_equal(item(p, "0000:0a:00.0")->action, PLAN_BIND);
        assert_int_equal(plan_pci_filter(p, &filter), 0);
        assert_string_equal(filter, "10de:26b9,8086:1572"); /* 0a and the NIC; 0b: group */
        plan_free(p);

        /* Exclusion after the match: excluded, as in the role, nothing to say. */
        struct device_selector t[] = { sel_addr("0000:0*:00.0"), sel_addr("0000:09:00.0") };
        t[1].excluded = true;
        c = config(t, 2);
        assert_int_equal(plan_compute(&c, &snap, NULL, &p), 0);
        assert_null(find(p, "0000:09:00.0"));
        plan_free(p);
}

static void unlisted_stays_out_of_the_filter(void **state) {
        struct device_selector s[] = { sel_addr("0000:09:00.0"), sel_addr("0000:0a:00.0") };
        s[0].unlisted = true;
        struct host_config c = config(s, 2);
        struct plan *p = NULL;
        _cleanup_free_ char *filter = NULL;
        assert_int_equal(plan_compute(&c, &snap, NULL, &p), 0);
        assert_int_equal(item(p, "0000:09:00.0")->action, PLAN_BIND); /* configured */
        assert_true(item(p, "0000:09:00.0")->unlisted);
        assert_false(plan_item_is_listed(item(p, "0000:09:00.0")));
        assert_true(plan_item_is_listed(item(p, "0000:0a:00.0")));
        plan_free(p);

        s[1].unlisted = true;
        assert_int_equal(plan_compute(&c, &snap, NULL, &p), 0);
        assert_int_equal(plan_pci_filter(p, &filter), 0);
        assert_string_equal(filter, "0:0"); /* nothing listed: exposes nothing */
        plan_free(p);
}

static void names_and_counter(void **state) {
        struct device_selector s[] = { sel_addr("0000:0[9a]:00.0"), sel_addr("0000:0b:00.0") };
        snprintf(s[0].name, sizeof(s[0].name), "gpu{3}");
        s[0].counter = 5;
        s[1].counter = SELECTOR_COUNTER_UNSET;
        snprintf(s[1].name, sizeof(s[1].name), "gpu{3}x{0[1]}");
        struct host_config c = config(s, 2);
        struct plan *p = NULL;
        assert_int_equal(plan_compute(&c, &snap, NULL, &p), 0);
        assert_string_equal(item(p, "0000:09:00.0")->name, "gpu5");
        assert_string_equal(item(p, "0000:0a:00.0")->name, "gpu6");
        assert_string_equal(item(p, "0000:0b:00.0")->name, "gpu7x0b");
        plan_free(p);

        /* {1[n]} on a device that is not a VF, and a name taken twice. */
        snprintf(s[0].name, sizeof(s[0].name), "vf{1[1]}");
        snprintf(s[1].name, sizeof(s[1].name), "same");
        assert_int_equal(plan_compute(&c, &snap, NULL, &p), 0);
        assert_int_equal(item(p, "0000:09:00.0")->action, PLAN_REFUSE_NAME);
        assert_non_null(strstr(item(p, "0000:09:00.0")->reason, "not a VF"));
        plan_free(p);
        snprintf(s[0].name, sizeof(s[0].name), "same");
        assert_int_equal(plan_compute(&c, &snap, NULL, &p), 0);
        assert_int_equal(item(p, "0000:0a:00.0")->action, PLAN_REFUSE_NAME);
        assert_non_null(strstr(item(p, "0000:0a:00.0")->reason, "also the name of 0000:09:00.0"));
        plan_free(p);
}

/* The role's set_counter: an address or ID entry gives it to the first
 * device it matches (in address order), and it survives a later entry
 * without one; the later entry's own set_counter overwrites it. */
static void counter_survives_later_entries(void **state) {
        struct device_selector s[] = { sel_addr("0000:0[9a]:00.0"), sel_addr("0000:09:00.0"),
                                       sel_addr("0000:0b:00.0") };
        for (int i = 0; i < 3; i++) {
                snprintf(s[i].name, sizeof(s[i].name), "g{3}");
                s[i].counter = SELECTOR_COUNTER_UNSET;
        }
        s[0].counter = 5;
        struct host_config c = config(s, 3);
        struct plan *p = NULL;
        assert_int_equal(plan_compute(&c, &snap, NULL, &p), 0);
        assert_string_equal(item(p, "0000:09:00.0")->name, "g5"); /* decided by s[1] */
        assert_string_equal(item(p, "0000:0a:00.0")->name, "g6");
        assert_string_equal(item(p, "0000:0b:00.0")->name, "g7");
        plan_free(p);
        s[1].counter = 20;
        s[2].counter = 0;
        assert_int_equal(plan_compute(&c, &snap, NULL, &p), 0);
        assert_string_equal(item(p, "0000:09:00.0")->name, "g20");
        assert_string_equal(item(p, "0000:0a:00.0")->name, "g21");
        assert_string_equal(item(p, "0000:0b:00.0")->name, "g0");
        plan_free(p);
}

static void pf_with_numvfs_stays_on_its_driver(void **state) {
        struct device_selector s[] = { sel_addr("0000:03:00.0"), sel_addr("0000:09:00.0") };
        s[0].numvfs = SELECTOR_NUMVFS_MAX;
        s[1].numvfs = 2;
        devices[1].sriov_totalvfs = 8;
        devices[2].sriov_totalvfs = -1;
        struct host_config c = config(s, 2);
        struct plan *p = NULL;
        assert_int_equal(plan_compute(&c, &snap, NULL, &p), 0);
        assert_int_equal(item(p, "0000:03:00.0")->action, PLAN_VFS);
        assert_int_equal(item(p, "0000:03:00.0")->numvfs, 8);
        assert_false(plan_action_ends_on_vfio(PLAN_VFS));
        assert_int_equal(item(p, "0000:09:00.0")->action, PLAN_REFUSE_DEVICE);
        assert_non_null(strstr(item(p, "0000:09:00.0")->reason, "not an SR-IOV"));
        plan_free(p);
        /* No driver bound: the kernel cannot make VFs. */
        char saved[sizeof(devices[1].driver)];
        memcpy(saved, devices[1].driver, sizeof(saved));
        devices[1].driver[0] = '\0';
        assert_int_equal(plan_compute(&c, &snap, NULL, &p), 0);
        assert_int_equal(item(p, "0000:03:00.0")->action, PLAN_REFUSE_DEVICE);
        assert_non_null(strstr(item(p, "0000:03:00.0")->reason, "no driver bound"));
        memcpy(devices[1].driver, saved, sizeof(saved));
        devices[1].sriov_totalvfs = devices[2].sriov_totalvfs = 0;
        plan_free(p);
}

static void virtual_entry_may_match_nothing(void **state) {
        struct device_selector s[] = { sel_addr("0000:41:02.1") };
        struct host_config c = config(s, 1);
        struct plan *p = NULL;
        assert_int_equal(plan_compute(&c, &snap, NULL, &p), 0);
        assert_int_equal(item(p, "0000:41:02.1")->action, PLAN_REFUSE_MISSING);
        plan_free(p);
        s[0].is_virtual = true;
        assert_int_equal(plan_compute(&c, &snap, NULL, &p), 0);
        assert_int_equal(p->n, 0);
        plan_free(p);
}

/* Giving back exactly what onepci did, from the state file's "owned". */
static void releases_what_onepci_set(void **state) {
        struct owned o = { 0 };
        assert_int_equal(owned_add(&o, "0000:09:00.0", "vfio-pci", "3c:fd:fe:a0:00:09"), 0);
        assert_int_equal(owned_add(&o, "0000:0a:00.0", "vfio-pci", NULL), 0);
        assert_int_equal(owned_add(&o, "0000:41:00.0", "vfio-pci", NULL), 0); /* gone */
        assert_int_equal(owned_add(&o, "0000:0a:00.0", "vfio-pci", NULL), 0); /* no duplicate */
        assert_int_equal(o.n, 3);
        assert_int_equal(owned_add(&o, "bogus", "vfio-pci", NULL), -EINVAL);

        struct device_selector s[] = { sel_addr("0000:09:00.0") };
        struct host_config c = config(s, 1);
        struct plan *p = NULL;
        assert_int_equal(plan_compute(&c, &snap, NULL, &p), 0);
        assert_int_equal(plan_add_releases(p, &snap, &o), 0);
        assert_int_equal(item(p, "0000:09:00.0")->action, PLAN_BIND); /* still asked */
        assert_int_equal(item(p, "0000:0a:00.0")->action, PLAN_RELEASE);
        assert_non_null(strstr(item(p, "0000:0a:00.0")->reason, "unset-override"));
        assert_int_equal(item(p, "0000:41:00.0")->action, PLAN_RELEASE);
        assert_null(item(p, "0000:41:00.0")->dev);
        assert_null(find(p, "0000:0b:00.0")); /* never what onepci did not do */
        for (size_t i = 1; i < p->n; i++) /* still sorted */
                assert_true(strcmp(p->items[i - 1].address, p->items[i].address) < 0);
        plan_free(p);

        /* set_driver: omit now, and excluded: both given back; a refusal is not. */
        s[0].omit_driver = true;
        assert_int_equal(plan_compute(&c, &snap, NULL, &p), 0);
        assert_int_equal(plan_add_releases(p, &snap, &o), 0);
        assert_int_equal(item(p, "0000:09:00.0")->action, PLAN_RELEASE);
        plan_free(p);
        struct device_selector t[] = { sel_addr("0000:0a:00.0"), sel_addr("0000:0*:00.0") };
        t[0].excluded = true;
        c = config(t, 2);
        assert_int_equal(plan_compute(&c, &snap, NULL, &p), 0);
        assert_int_equal(plan_add_releases(p, &snap, &o), 0);
        assert_int_equal(item(p, "0000:0a:00.0")->action, PLAN_RELEASE);
        assert_non_null(strstr(item(p, "0000:0a:00.0")->reason, "excluded by pci_devices[0]"));
        assert_non_null(strstr(item(p, "0000:0a:00.0")->reason, "unset-override"));
        plan_free(p);
        struct device_selector g[] = { sel_addr("0000:05:00.0") }; /* no IOMMU group */
        owned_add(&o, "0000:05:00.0", "vfio-pci", NULL);
        c = config(g, 1);
        assert_int_equal(plan_compute(&c, &snap, NULL, &p), 0);
        assert_int_equal(plan_add_releases(p, &snap, &o), 0);
        assert_int_equal(item(p, "0000:05:00.0")->action, PLAN_REFUSE_DEVICE);
        plan_free(p);

        /* The state file's form, and the MACs it gives the plan. */
        _cleanup_json_ struct json_object *j = owned_to_json(&o);
        _cleanup_json_ struct json_object *st = json_object_new_object();
        json_object_object_add(st, "owned", json_object_get(j));
        struct owned back = { 0 };
        assert_int_equal(owned_from_state(st, &back), 0);
        assert_int_equal(back.n, o.n);
        assert_string_equal(owned_find(&back, "0000:09:00.0")->mac, "3c:fd:fe:a0:00:09");
        char **macs = NULL;
        assert_int_equal(owned_macs(&back, &macs), 0);
        assert_string_equal(macs[0], "0000:09:00.0=3c:fd:fe:a0:00:09");
        assert_null(macs[1]);
        strv_free(macs);
        owned_remove(&back, "0000:09:00.0");
        assert_null(owned_find(&back, "0000:09:00.0"));
        owned_clear(&back);
        owned_clear(&o);
}

/* A PF whose entry no longer asks for VFs (set_numvfs 0 or none): the VFs
 * onepci made go first, and the PF is judged without them; VFs onepci did
 * not make are never touched. */
static void pf_gives_back_the_vfs_onepci_made(void **state) {
        struct pci_device d[3] = {
                dev("0000:03:00.1", "8086", "1572", "020000", "i40e", 11),
                dev("0000:03:02.0", "8086", "154c", "020000", "vfio-pci", 20),
                dev("0000:03:02.1", "8086", "154c", "020000", "iavf", 21),
        };
        d[0].sriov_totalvfs = 8;
        d[0].sriov_numvfs = 2;
        d[0].has_vfs = true;
        for (int i = 1; i < 3; i++) {
                d[i].is_vf = true;
                d[i].vf_index = i - 1;
                snprintf(d[i].physfn, sizeof(d[i].physfn), "0000:03:00.1");
        }
        struct pci_snapshot sn = { d, 3 };
        struct owned o = { 0 };
        assert_int_equal(owned_add_vfs(&o, "0000:03:00.1", "i40e", 2, true), 0);
        assert_int_equal(owned_add(&o, "0000:03:02.0", "vfio-pci", NULL), 0);
        struct device_selector s[] = { sel_addr("0000:03:00.1"), sel_addr("0000:03:02.*") };
        s[1].is_virtual = true;
        snprintf(s[1].name, sizeof(s[1].name), "vf{2}");
        struct host_config c = config(s, 2);
        struct plan *p = NULL;
        _cleanup_free_ char *filter = NULL;

        /* The PF's entry without set_numvfs: bound once its VFs are gone. */
        assert_int_equal(plan_compute_owned(&c, &sn, NULL, &o, &p), 0);
        assert_int_equal(plan_add_releases(p, &sn, &o), 0);
        assert_int_equal(item(p, "0000:03:00.1")->action, PLAN_BIND);
        assert_true(item(p, "0000:03:00.1")->give_back_vfs);
        assert_non_null(strstr(item(p, "0000:03:00.1")->reason, "first the 2 VFs onepci made go"));
        assert_non_null(strstr(item(p, "0000:03:00.1")->reason, "eswitch back to legacy"));
        assert_int_equal(item(p, "0000:03:02.0")->action, PLAN_RELEASE);
        assert_string_equal(item(p, "0000:03:02.0")->driver, "vfio-pci");
        assert_string_equal(item(p, "0000:03:02.0")->name, "");
        assert_int_equal(item(p, "0000:03:02.1")->action, PLAN_LEAVE);
        assert_false(item(p, "0000:03:02.1")->give_back_vfs);
        assert_int_equal(plan_count_give_back_vfs(p), 1);
        assert_int_equal(plan_pci_filter(p, &filter), 0);
        assert_string_equal(filter, "8086:1572"); /* the PF, not the VFs */
        plan_free(p);

        /* set_numvfs 0 and set_driver omit: only the VFs go. */
        s[0].omit_driver = true;
        assert_int_equal(plan_compute_owned(&c, &sn, NULL, &o, &p), 0);
        assert_int_equal(plan_add_releases(p, &sn, &o), 0);
        assert_int_equal(item(p, "0000:03:00.1")->action, PLAN_RELEASE_VFS);
        assert_true(item(p, "0000:03:00.1")->give_back_vfs);
        assert_int_equal(item(p, "0000:03:02.0")->action, PLAN_RELEASE);
        plan_free(p);

        /* Still asked: nothing goes. */
        s[0].omit_driver = false;
        s[0].numvfs = 2;
        assert_int_equal(plan_compute_owned(&c, &sn, NULL, &o, &p), 0);
        assert_int_equal(plan_add_releases(p, &sn, &o), 0);
        assert_int_equal(item(p, "0000:03:00.1")->action, PLAN_VFS);
        assert_int_equal(plan_count_give_back_vfs(p), 0);
        assert_true(plan_action_ends_on_vfio(item(p, "0000:03:02.0")->action));
        plan_free(p);

        /* VFs onepci did not make: the PF is refused, nothing is given back. */
        s[0].numvfs = 0;
        owned_clear(&o);
        assert_int_equal(plan_compute_owned(&c, &sn, NULL, &o, &p), 0);
        assert_int_equal(plan_add_releases(p, &sn, &o), 0);
        assert_int_equal(item(p, "0000:03:00.1")->action, PLAN_REFUSE_DEVICE);
        assert_non_null(strstr(item(p, "0000:03:00.1")->reason, "VFs enabled"));
        assert_int_equal(plan_count_give_back_vfs(p), 0);
        assert_true(plan_action_ends_on_vfio(item(p, "0000:03:02.1")->action));
        plan_free(p);

        /* Every entry gone: the PF's VFs still go (from the state file). */
        assert_int_equal(owned_add_vfs(&o, "0000:03:00.1", "i40e", 2, false), 0);
        struct device_selector other[] = { sel_addr("0000:03:00.0") };
        other[0].is_virtual = true;
        c = config(other, 1);
        assert_int_equal(plan_compute_owned(&c, &sn, NULL, &o, &p), 0);
        assert_int_equal(plan_add_releases(p, &sn, &o), 0);
        assert_int_equal(item(p, "0000:03:00.1")->action, PLAN_RELEASE_VFS);
        assert_null(find(p, "0000:03:02.1")); /* in no entry: not in the plan */
        plan_free(p);
        owned_clear(&o);
}

/* A MAC selector keeps matching a device on vfio-pci (no interface any more)
 * through the MAC the state file remembers. */
static void mac_selector_uses_remembered_mac(void **state) {
        struct device_selector s[1];
        memset(s, 0, sizeof(s));
        snprintf(s[0].mac, sizeof(s[0].mac), "3c:fd:fe:a0:00:*");
        struct host_config c = config(s, 1);
        struct plan *p = NULL;
        assert_int_equal(plan_compute(&c, &snap, NULL, &p), 0);
        assert_int_equal(p->n, 0);
        plan_free(p);
        struct owned o = { 0 };
        assert_int_equal(owned_add(&o, "0000:09:00.0", "vfio-pci", "3c:fd:fe:a0:00:09"), 0);
        assert_int_equal(plan_compute_owned(&c, &snap, NULL, &o, &p), 0);
        owned_clear(&o);
        assert_int_equal(p->n, 1);
        assert_int_equal(item(p, "0000:09:00.0")->action, PLAN_BIND);
        plan_free(p);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(binds_both_gpus),
                cmocka_unit_test(disabled_host_plans_nothing),
                cmocka_unit_test(settled_device_is_kept),
                cmocka_unit_test(missing_exact_address_is_refused),
                cmocka_unit_test(bridge_and_groupless_device_are_refused),
                cmocka_unit_test(glob_never_picks_bridges),
                cmocka_unit_test(guard_refuses_unless_unguarded),
                cmocka_unit_test(group_with_host_member_is_refused),
                cmocka_unit_test(refusal_spreads_through_the_group),
                cmocka_unit_test(excluded_selector_wins),
                cmocka_unit_test(omit_leaves_the_driver),
                cmocka_unit_test(items_are_sorted),
                cmocka_unit_test(filter_is_unique_sorted_and_skips_refusals),
                cmocka_unit_test(ends_on_vfio_is_bind_or_keep),
                cmocka_unit_test(last_entry_wins_whole),
                cmocka_unit_test(exclusion_is_absolute_and_shown),
                cmocka_unit_test(unlisted_stays_out_of_the_filter),
                cmocka_unit_test(names_and_counter),
                cmocka_unit_test(counter_survives_later_entries),
                cmocka_unit_test(pf_with_numvfs_stays_on_its_driver),
                cmocka_unit_test(virtual_entry_may_match_nothing),
                cmocka_unit_test(releases_what_onepci_set),
                cmocka_unit_test(mac_selector_uses_remembered_mac),
                cmocka_unit_test(pf_gives_back_the_vfs_onepci_made),
        };
        return cmocka_run_group_tests(tests, setup, NULL);
}
