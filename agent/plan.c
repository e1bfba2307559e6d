/* SPDX-License-Identifier: Apache-2.0 */
#include "plan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iommu.h"
#include "macros.h"
#include "name-format.h"
#include "owned.h"
#include "pci-filter.h"
#include "strv.h"

static const char *const action_names[] = {
        [PLAN_BIND] = "bind",
        [PLAN_KEEP] = "keep",
        [PLAN_LEAVE] = "leave",
        [PLAN_OVERRIDE] = "override",
        [PLAN_VFS] = "vfs",
        [PLAN_EXCLUDED] = "excluded",
        [PLAN_RELEASE] = "release",
        [PLAN_RELEASE_VFS] = "release-vfs",
        [PLAN_REFUSE_MISSING] = "refuse-missing",
        [PLAN_REFUSE_DEVICE] = "refuse-device",
        [PLAN_REFUSE_GUARD] = "refuse-guard",
        [PLAN_REFUSE_GROUP] = "refuse-group",
        [PLAN_REFUSE_NAME] = "refuse-name",
        [PLAN_REFUSE_HELD] = "refuse-held",
};

const char *plan_action_name(enum plan_action a) {
        if ((size_t)a >= ELEMENTSOF(action_names))
                return "unknown";
        return action_names[a];
}

bool plan_action_is_refusal(enum plan_action a) {
        return a >= PLAN_REFUSE_MISSING;
}

size_t plan_count(const struct plan *p, enum plan_action a) {
        size_t n = 0;
        for (size_t i = 0; i < p->n; i++)
                n += p->items[i].action == a;
        return n;
}

size_t plan_count_give_back_vfs(const struct plan *p) {
        size_t n = 0;
        for (size_t i = 0; i < p->n; i++)
                n += p->items[i].give_back_vfs;
        return n;
}

void plan_free(struct plan *p) {
        if (!p)
                return;
        free(p->items);
        free(p);
}

/* Which entries match the device: the last one wins whole (one-deploy's
 * rule), but any matching excluded entry excludes it (onepci's).  first: the
 * first matching entry, which orders the device for the counter.  counter:
 * the role's set_counter for the device, which survives later entries
 * without one: the last matching entry's that gave it to this device (an
 * address or ID entry gives it to the first device it matches, in address
 * order, whatever decides that device; a MAC entry to each).  seen: per
 * entry, whether it matched a device before this one (called in address
 * order). */
struct choice {
        size_t chosen;   /* last matching entry that is not excluded; SIZE_MAX none */
        size_t excluded; /* first matching excluded entry; SIZE_MAX none */
        size_t first;
        long counter;    /* SELECTOR_COUNTER_UNSET: none */
};

static struct choice choose_selector(const struct host_config *cfg, const struct pci_device *d,
                                     const char *mac, bool *seen) {
        struct choice c = {SIZE_MAX, SIZE_MAX, SIZE_MAX, SELECTOR_COUNTER_UNSET};
        for (size_t i = 0; i < cfg->n_selectors; i++) {
                const struct device_selector *sel = &cfg->selectors[i];
                if (!device_selector_match(sel, d->address, d->vendor, d->device, d->class6, mac))
                        continue;
                /* A glob or ID entry never selects a bridge, so it is not its first device. */
                if (d->is_bridge && !sel->is_exact && !sel->mac[0])
                        continue;
                if (sel->counter != SELECTOR_COUNTER_UNSET && (sel->mac[0] || !seen[i]))
                        c.counter = sel->counter;
                seen[i] = true;
                if (c.first == SIZE_MAX)
                        c.first = i;
                if (sel->excluded) {
                        if (c.excluded == SIZE_MAX)
                                c.excluded = i;
                } else
                        c.chosen = i;
        }
        return c;
}

static void entry_place(const struct device_selector *sel, size_t idx, char *buf, size_t size) {
        if (sel->file[0])
                snprintf(buf, size, "%.200s:%u (pci_devices[%zu])", sel->file, sel->line, idx);
        else
                snprintf(buf, size, "pci_devices[%zu]", idx);
}

static int append_item(struct plan *p, size_t *cap, const char *address, enum plan_action action,
                       const struct pci_device *dev, size_t selector, const char *reason) {
        if (p->n == *cap) {
                size_t ncap = *cap ? *cap * 2 : 8;
                struct plan_item *n = realloc(p->items, ncap * sizeof(*n));
                if (!n)
                        return -ENOMEM;
                p->items = n;
                *cap = ncap;
        }
        struct plan_item *it = &p->items[p->n++];
        memset(it, 0, sizeof(*it));
        snprintf(it->address, sizeof(it->address), "%s", address);
        it->action = action;
        it->dev = dev;
        it->selector = selector;
        snprintf(it->reason, sizeof(it->reason), "%s", reason);
        it->numvfs = 0;
        return 0;
}

/* The verdict for one targeted device before IOMMU-group viability. */
static enum plan_action judge_device(const struct device_selector *sel, const struct pci_device *d,
                                     const struct guard_facts *guards, char *why, size_t size) {
        /* A glob or ID entry with set_numvfs may match devices that have no
         * SR-IOV (the role skips them for VFs); an exact address must be a PF. */
        if (device_selector_wants_vfs(sel) && (d->sriov_totalvfs >= 0 || sel->is_exact)) {
                int want = sel->numvfs == SELECTOR_NUMVFS_MAX ? d->sriov_totalvfs : sel->numvfs;
                if (d->sriov_totalvfs < 0) {
                        snprintf(why, size, "set_numvfs: this device is not an SR-IOV physical "
                                            "function (no sriov_totalvfs)");
                        return PLAN_REFUSE_DEVICE;
                }
                if (want > d->sriov_totalvfs) {
                        snprintf(why, size, "set_numvfs: %d is more than sriov_totalvfs (%d)", want,
                                 d->sriov_totalvfs);
                        return PLAN_REFUSE_DEVICE;
                }
                if (want != d->sriov_numvfs && !d->driver[0]) {
                        snprintf(why, size, "set_numvfs: the PF has no driver bound, and the "
                                            "kernel makes VFs through it: load its module");
                        return PLAN_REFUSE_DEVICE;
                }
                snprintf(why, size, "SR-IOV PF: %d VFs wanted, %d now%s; stays on %s", want,
                         d->sriov_numvfs, sel->switchdev ? ", eswitch switchdev" : "",
                         d->driver[0] ? d->driver : "its host driver (unbound now)");
                return PLAN_VFS;
        }
        if (sel->omit_driver) {
                snprintf(why, size, "set_driver: omit; driver left as it is (%s)",
                         d->driver[0] ? d->driver : "unbound");
                return PLAN_LEAVE;
        }
        if (sel->driver[0] && !STREQ(sel->driver, "vfio-pci")) {
                const struct guard_hit *h = guards ? guard_facts_find(guards, d->address) : NULL;
                if (h && !sel->unguarded && !STREQ(d->driver, sel->driver)) {
                        snprintf(why, size, "%s; rebinding it could cut the host off. Mark the "
                                            "entry `unguarded: true` to do it anyway", h->why);
                        return PLAN_REFUSE_GUARD;
                }
                if (STREQ(d->driver, sel->driver) && STREQ(d->driver_override, sel->driver) &&
                    STREQ(d->saved_override, sel->driver)) {
                        snprintf(why, size, "already on %s with a saved override", sel->driver);
                        return PLAN_LEAVE; /* the caller records the driver */
                }
                snprintf(why, size, "%s -> %s", d->driver[0] ? d->driver : "unbound", sel->driver);
                return PLAN_OVERRIDE;
        }
        if (d->is_bridge) {
                snprintf(why, size, "is a PCI bridge (class %s); vfio-pci does not take bridges",
                         d->class6);
                return PLAN_REFUSE_DEVICE;
        }
        if (d->iommu_group < 0) {
                snprintf(why, size,
                         "has no IOMMU group; without one vfio-pci cannot isolate it");
                return PLAN_REFUSE_DEVICE;
        }
        if (d->has_vfs) {
                snprintf(why, size, "is an SR-IOV physical function with VFs enabled; "
                                    "vfio-pci refuses it (set sriov_numvfs to 0 first)");
                return PLAN_REFUSE_DEVICE;
        }
        const struct guard_hit *hit = guards ? guard_facts_find(guards, d->address) : NULL;
        if (hit && !sel->unguarded) {
                snprintf(why, size, "%s; binding it could cut the host off. Mark the entry "
                                    "`unguarded: true` to bind it anyway",
                         hit->why);
                return PLAN_REFUSE_GUARD;
        }
        if (pci_device_is_settled_vfio(d)) {
                snprintf(why, size, "already on vfio-pci with a saved override");
                return PLAN_KEEP;
        }
        snprintf(why, size, "%s -> vfio-pci", d->driver[0] ? d->driver : "unbound");
        return PLAN_BIND;
}

bool plan_action_ends_on_vfio(enum plan_action a) {
        return a == PLAN_BIND || a == PLAN_KEEP;
}

bool plan_item_is_listed(const struct plan_item *it) {
        return plan_action_ends_on_vfio(it->action) && !it->unlisted;
}

/* Refuses devices whose IOMMU group has a member that stays with the host.
 * A refusal can make another group member non-viable, so repeat until stable. */
static int refuse_unviable_groups(struct plan *p, const struct pci_snapshot *snap) {
        for (;;) {
                _cleanup_free_ char **targets = calloc(p->n + 1, sizeof(char *));
                if (!targets)
                        return -ENOMEM;
                size_t nt = 0;
                for (size_t i = 0; i < p->n; i++)
                        if (plan_action_ends_on_vfio(p->items[i].action))
                                targets[nt++] = p->items[i].address;

                bool changed = false;
                for (size_t i = 0; i < p->n; i++) {
                        struct plan_item *it = &p->items[i];
                        const struct pci_device *blocker = NULL;
                        if (!plan_action_ends_on_vfio(it->action) ||
                            !iommu_group_blocker(snap, it->dev, targets, &blocker))
                                continue;
                        it->action = PLAN_REFUSE_GROUP;
                        snprintf(it->reason, sizeof(it->reason),
                                 "IOMMU group %d is not viable: %s (%.60s) stays on %.40s; "
                                 "add it to pci_devices or unbind it",
                                 it->dev->iommu_group, blocker->address,
                                 blocker->device_name[0] ? blocker->device_name : blocker->class6,
                                 blocker->driver[0] ? blocker->driver : "the host");
                        changed = true;
                }
                if (!changed)
                        return 0;
        }
}

static int compare_items(const void *a, const void *b) {
        return strcmp(((const struct plan_item *)a)->address,
                      ((const struct plan_item *)b)->address);
}

static const char *remembered_mac(const struct pci_device *d, char *const *macs) {
        if (d->mac[0])
                return d->mac;
        size_t len = strlen(d->address);
        for (size_t i = 0; macs && macs[i]; i++)
                if (strncmp(macs[i], d->address, len) == 0 && macs[i][len] == '=')
                        return macs[i] + len + 1;
        return NULL;
}

static void address_groups(const char *address, char groups[4][5]) {
        /* dddd:bb:dd.f */
        snprintf(groups[0], 5, "%.4s", address);
        snprintf(groups[1], 5, "%.2s", address + 5);
        snprintf(groups[2], 5, "%.2s", address + 8);
        snprintf(groups[3], 5, "%.1s", address + 11);
}

static int compare_order(const void *a, const void *b) {
        const struct plan_item *x = *(const struct plan_item *const *)a;
        const struct plan_item *y = *(const struct plan_item *const *)b;
        if (x->order != y->order)
                return x->order < y->order ? -1 : 1;
        return strcmp(x->address, y->address);
}

static struct plan_item *find_item(struct plan *p, const char *address) {
        for (size_t i = 0; i < p->n; i++)
                if (STREQ(p->items[i].address, address))
                        return &p->items[i];
        return NULL;
}

static void refuse_name(struct plan_item *it, const char *fmt, const char *what) {
        char why[sizeof(it->reason)];
        snprintf(why, sizeof(why), "set_name of %.200s: %.170s", it->entry, what);
        (void)fmt;
        it->action = PLAN_REFUSE_NAME;
        snprintf(it->reason, sizeof(it->reason), "%s", why);
}

/* Names and the counter as one-deploy's role makes them: the devices in
 * the role's list order (first matching entry, then address); the counter
 * starts at 0, a device's set_counter (choose_selector()) resets it, and
 * every listed device takes a number.  PFs are named
 * first, so a VF's {4} can use its PF's name.  Names are checked: no more
 * than 15 bytes for a network interface, unique on the node. */
static int plan_names(const struct host_config *cfg, struct plan *p) {
        _cleanup_free_ struct plan_item **order = calloc(p->n + 1, sizeof(*order));
        _cleanup_free_ long *counters = calloc(p->n + 1, sizeof(*counters));
        size_t n = 0;
        if (!order || !counters)
                return -ENOMEM;
        for (size_t i = 0; i < p->n; i++)
                if (p->items[i].dev && p->items[i].action != PLAN_EXCLUDED &&
                    p->items[i].action != PLAN_REFUSE_MISSING)
                        order[n++] = &p->items[i];
        qsort(order, n, sizeof(*order), compare_order);
        long counter = 0;
        for (size_t k = 0; k < n; k++) {
                if (order[k]->counter != SELECTOR_COUNTER_UNSET)
                        counter = order[k]->counter;
                counters[k] = counter++;
        }
        for (int pass = 0; pass < 2; pass++)
                for (size_t k = 0; k < n; k++) {
                        struct plan_item *it = order[k];
                        const struct device_selector *sel = &cfg->selectors[it->selector];
                        const struct pci_device *d = it->dev;
                        if (!sel->name[0] || (pass == 0) == d->is_vf)
                                continue;
                        char g0[4][5], g1[4][5], idx[16] = "", why[160];
                        struct name_args a = {.a3 = counters[k], .a2 = ""};
                        address_groups(d->address, g0);
                        for (int j = 0; j < 4; j++)
                                a.a0[j] = g0[j];
                        if (d->physfn[0]) {
                                address_groups(d->physfn, g1);
                                for (int j = 0; j < 4; j++)
                                        a.a1[j] = g1[j];
                                a.has_pf = true;
                                if (d->vf_index >= 0)
                                        snprintf(idx, sizeof(idx), "%d", d->vf_index);
                                a.a2 = idx;
                                const struct plan_item *pf = find_item(p, d->physfn);
                                if (pf && pf->name[0] && pf->dev && pf->dev->driver[0])
                                        a.a4 = pf->name;
                        }
                        if (name_format(sel->name, &a, it->name, sizeof(it->name), why,
                                        sizeof(why)) < 0) {
                                it->name[0] = '\0';
                                refuse_name(it, sel->name, why);
                                continue;
                        }
                        bool is_net = d->ifname[0] || strncmp(d->class6, "02", 2) == 0;
                        if (is_net && strlen(it->name) > 15) {
                                snprintf(why, sizeof(why), "\"%s\" is longer than the 15 bytes of "
                                                           "an interface name", it->name);
                                refuse_name(it, sel->name, why);
                                continue;
                        }
                        if (!it->name[0] || strchr(it->name, '/') || STREQ(it->name, ".") ||
                            STREQ(it->name, "..")) {
                                snprintf(why, sizeof(why), "\"%s\" is not a usable name", it->name);
                                refuse_name(it, sel->name, why);
                                continue;
                        }
                }
        /* Unique on the node. */
        for (size_t i = 0; i < p->n; i++)
                for (size_t j = i + 1; j < p->n; j++)
                        if (p->items[i].name[0] && STREQ(p->items[i].name, p->items[j].name)) {
                                char why[160];
                                snprintf(why, sizeof(why), "\"%s\" is also the name of %s",
                                         p->items[j].name, p->items[i].address);
                                refuse_name(&p->items[j], NULL, why);
                        }
        return 0;
}

int plan_compute(const struct host_config *cfg, const struct pci_snapshot *snap,
                 const struct guard_facts *guards, struct plan **ret) {
        return plan_compute_owned(cfg, snap, guards, NULL, ret);
}

int plan_compute_owned(const struct host_config *cfg, const struct pci_snapshot *snap,
                       const struct guard_facts *guards, const struct owned *owned,
                       struct plan **ret) {
        _cleanup_strv_free_ char **macs = NULL;
        if (owned && owned_macs(owned, &macs) < 0)
                return -ENOMEM;
        struct plan *p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->enabled = cfg->enabled && cfg->n_selectors > 0;
        if (!p->enabled) {
                *ret = p;
                return 0;
        }

        size_t cap = 0;
        int r;
        _cleanup_free_ bool *seen = calloc(cfg->n_selectors + 1, sizeof(bool));
        if (!seen) {
                plan_free(p);
                return -ENOMEM;
        }
        for (size_t i = 0; i < snap->n; i++) {
                const struct pci_device *d = &snap->devices[i];
                const char *mac = remembered_mac(d, macs);
                struct choice c = choose_selector(cfg, d, mac, seen);
                char why[384], place[280], other[280];
                if (c.excluded != SIZE_MAX) {
                        if (c.chosen == SIZE_MAX || c.chosen < c.excluded ||
                            (d->is_bridge && !cfg->selectors[c.chosen].is_exact))
                                continue;
                        /* one-deploy would let the later entry win: say so. */
                        entry_place(&cfg->selectors[c.excluded], c.excluded, place, sizeof(place));
                        entry_place(&cfg->selectors[c.chosen], c.chosen, other, sizeof(other));
                        snprintf(why, sizeof(why),
                                 "excluded by %.140s, which overrides the later match of %.140s "
                                 "(in onepci `excluded` is absolute)",
                                 place, other);
                        r = append_item(p, &cap, d->address, PLAN_EXCLUDED, d, c.excluded, why);
                        if (r < 0)
                                goto fail;
                        snprintf(p->items[p->n - 1].entry, sizeof(p->items[0].entry), "%s", place);
                        continue;
                }
                if (c.chosen == SIZE_MAX)
                        continue;
                size_t s = c.chosen;
                const struct device_selector *sel = &cfg->selectors[s];
                /* A glob or ID selector never picks bridges; an exact address may,
                 * and is then refused with a reason. */
                if (d->is_bridge && !sel->is_exact)
                        continue;
                /* VFs onepci made that this entry no longer asks for go before
                 * anything else is done to the PF: judge it without them. */
                const struct owned_vfs *ov = owned ? owned_find_vfs(owned, d->address) : NULL;
                bool vfs_back = ov && !device_selector_wants_vfs(sel);
                struct pci_device bare;
                if (vfs_back) {
                        bare = *d;
                        bare.has_vfs = false;
                        bare.sriov_numvfs = 0;
                }
                enum plan_action a =
                        judge_device(sel, vfs_back ? &bare : d, guards, why, sizeof(why));
                if (vfs_back && !plan_action_is_refusal(a)) {
                        char both[sizeof(why)];
                        snprintf(both, sizeof(both), "first the %d VFs onepci made go (0 VFs%s); "
                                 "then %.300s", ov->numvfs,
                                 ov->switchdev ? ", eswitch back to legacy" : "", why);
                        snprintf(why, sizeof(why), "%s", both);
                }
                r = append_item(p, &cap, d->address, a, d, s, why);
                if (r < 0)
                        goto fail;
                struct plan_item *it = &p->items[p->n - 1];
                it->give_back_vfs = vfs_back && !plan_action_is_refusal(a);
                entry_place(sel, s, it->entry, sizeof(it->entry));
                it->unlisted = sel->unlisted;
                it->order = c.first;
                it->counter = c.counter;
                if (a == PLAN_OVERRIDE || (a == PLAN_LEAVE && !sel->omit_driver && sel->driver[0]))
                        snprintf(it->driver, sizeof(it->driver), "%s", sel->driver);
                if (a == PLAN_VFS)
                        it->numvfs = sel->numvfs == SELECTOR_NUMVFS_MAX ? d->sriov_totalvfs
                                                                        : sel->numvfs;
        }

        /* Exact addresses that are not on the bus. */
        for (size_t s = 0; s < cfg->n_selectors; s++) {
                const struct device_selector *sel = &cfg->selectors[s];
                if (!sel->is_exact || sel->excluded || sel->is_virtual ||
                    pci_snapshot_find(snap, sel->address))
                        continue;
                r = append_item(p, &cap, sel->address, PLAN_REFUSE_MISSING, NULL, s,
                                "no such device on this node's PCI bus");
                if (r < 0)
                        goto fail;
        }

        r = plan_names(cfg, p);
        if (r < 0)
                goto fail;
        r = refuse_unviable_groups(p, snap);
        if (r < 0)
                goto fail;
        if (p->n > 1)
                qsort(p->items, p->n, sizeof(*p->items), compare_items);
        *ret = p;
        return 0;
fail:
        plan_free(p);
        return r;
}

int plan_pci_filter(const struct plan *p, char **ret) {
        _cleanup_strv_free_ char **ids = NULL;
        int r;

        if (!p || !ret)
                return -EINVAL;
        for (size_t i = 0; i < p->n; i++) {
                const struct plan_item *it = &p->items[i];
                if (!plan_item_is_listed(it) || !it->dev)
                        continue;
                r = strv_pushf(&ids, "%s:%s", it->dev->vendor, it->dev->device);
                if (r < 0)
                        return r;
        }
        return pci_filter_join(ids, strv_length(ids), ret);
}

/* The VFs onepci made on PFs whose entries no longer ask for them: the PF
 * gives them back (give_back_vfs; PLAN_RELEASE_VFS when nothing else is
 * done to it), then each VF in the plan goes with them. */
static int give_back_vfs(struct plan *p, size_t *cap, const struct pci_snapshot *snap,
                         const struct owned *owned, bool *added) {
        for (size_t i = 0; owned && i < owned->n_vfs; i++) {
                const struct owned_vfs *o = &owned->vfs[i];
                struct plan_item *it = find_item(p, o->pf);
                const struct pci_device *d = pci_snapshot_find(snap, o->pf);
                if (!d)
                        continue; /* the PF is gone, and its VFs with it */
                /* Still asked, refused, or bound or overridden once its VFs are
                 * gone (give_back_vfs from plan_compute_owned()). */
                if (it && it->action != PLAN_LEAVE && it->action != PLAN_EXCLUDED)
                        continue;
                char why[384];
                snprintf(why, sizeof(why), "onepci enabled %d VFs%s and the inventory no longer "
                                           "asks for them: 0 VFs%s",
                         o->numvfs, o->switchdev ? " in switchdev mode" : "",
                         o->switchdev ? ", eswitch back to legacy" : "");
                if (it) {
                        it->action = PLAN_RELEASE_VFS;
                        it->give_back_vfs = true;
                        it->name[0] = '\0';
                        snprintf(it->reason, sizeof(it->reason), "%s", why);
                        continue;
                }
                int r = append_item(p, cap, o->pf, PLAN_RELEASE_VFS, d, SIZE_MAX, why);
                if (r < 0)
                        return r;
                p->items[p->n - 1].give_back_vfs = true;
                snprintf(p->items[p->n - 1].entry, sizeof(p->items[0].entry),
                         "the state file (no pci_devices entry)");
                *added = true;
        }
        for (size_t i = 0; i < p->n; i++) {
                struct plan_item *vf = &p->items[i];
                const struct plan_item *pf = vf->dev && vf->dev->physfn[0]
                                                     ? find_item(p, vf->dev->physfn) : NULL;
                if (!pf || !pf->give_back_vfs)
                        continue;
                const struct owned_override *o = owned_find(owned, vf->address);
                char why[384];
                snprintf(why, sizeof(why), "a VF of %s, whose VFs onepci made go: %s",
                         pf->address, o ? "driverctl unset-override, and the VF goes with them"
                                        : "it goes with them");
                vf->action = o ? PLAN_RELEASE : PLAN_LEAVE;
                vf->name[0] = '\0';
                vf->driver[0] = '\0';
                if (o)
                        snprintf(vf->driver, sizeof(vf->driver), "%s", o->driver);
                snprintf(vf->reason, sizeof(vf->reason), "%s", why);
        }
        return 0;
}

int plan_add_releases(struct plan *p, const struct pci_snapshot *snap, const struct owned *owned) {
        size_t cap = p->n;
        bool added = false;
        int r = give_back_vfs(p, &cap, snap, owned, &added);
        if (r < 0)
                return r;
        for (size_t i = 0; owned && i < owned->n; i++) {
                const struct owned_override *o = &owned->overrides[i];
                const struct plan_item *it = find_item(p, o->address);
                if (it && it->action == PLAN_RELEASE)
                        continue; /* a VF that goes with its PF's VFs */
                if (it) {
                        bool vfio = STREQ(o->driver, "vfio-pci");
                        if (plan_action_is_refusal(it->action) ||
                            (vfio && plan_action_ends_on_vfio(it->action)) ||
                            (!vfio && it->driver[0] && STREQ(it->driver, o->driver)))
                                continue;
                }
                const struct pci_device *d = pci_snapshot_find(snap, o->address);
                char why[384];
                if (!d)
                        snprintf(why, sizeof(why), "onepci set its %s override, and the device "
                                                   "is gone: its saved override is removed",
                                 o->driver);
                else
                        snprintf(why, sizeof(why), "onepci set its %s override and the inventory "
                                                   "no longer asks for it%s: driverctl "
                                                   "unset-override (the default driver comes back)",
                                 o->driver,
                                 it && it->action == PLAN_VFS    ? " (a PF that gets VFs)"
                                 : it                              ? " on that driver"
                                                                   : "");
                if (it) {
                        /* The plan has an item for it (leave, excluded, vfs): it
                         * becomes the release, keeping the deciding entry (and what
                         * an exclusion overrode). */
                        struct plan_item *m = (struct plan_item *)it;
                        if (m->action == PLAN_EXCLUDED) {
                                char both[sizeof(m->reason)];
                                snprintf(both, sizeof(both), "%.250s; onepci set its %s override: "
                                         "driverctl unset-override", m->reason, o->driver);
                                snprintf(why, sizeof(why), "%s", both);
                        }
                        m->action = PLAN_RELEASE;
                        snprintf(m->reason, sizeof(m->reason), "%s", why);
                        snprintf(m->driver, sizeof(m->driver), "%s", o->driver);
                        continue;
                }
                r = append_item(p, &cap, o->address, PLAN_RELEASE, d, SIZE_MAX, why);
                if (r < 0)
                        return r;
                struct plan_item *m = &p->items[p->n - 1];
                snprintf(m->driver, sizeof(m->driver), "%s", o->driver);
                snprintf(m->entry, sizeof(m->entry), "the state file (no pci_devices entry)");
                added = true;
        }
        if (added && p->n > 1)
                qsort(p->items, p->n, sizeof(*p->items), compare_items);
        return 0;
}
