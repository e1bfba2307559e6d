/* SPDX-License-Identifier: Apache-2.0 */
#include "plan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iommu.h"
#include "macros.h"
#include "pci-filter.h"
#include "strv.h"

static const char *const action_names[] = {
        [PLAN_BIND] = "bind",
        [PLAN_KEEP] = "keep",
        [PLAN_LEAVE] = "leave",
        [PLAN_REFUSE_MISSING] = "refuse-missing",
        [PLAN_REFUSE_DEVICE] = "refuse-device",
        [PLAN_REFUSE_GUARD] = "refuse-guard",
        [PLAN_REFUSE_GROUP] = "refuse-group",
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

void plan_free(struct plan *p) {
        if (!p)
                return;
        free(p->items);
        free(p);
}

/* Which selector targets the device: the first non-excluded one that matches,
 * unless any excluded selector matches too.  SIZE_MAX when none. */
static size_t choose_selector(const struct host_config *cfg, const struct pci_device *d) {
        size_t chosen = SIZE_MAX;
        for (size_t i = 0; i < cfg->n_selectors; i++) {
                const struct device_selector *sel = &cfg->selectors[i];
                if (!device_selector_match(sel, d->address, d->vendor, d->device, d->class6))
                        continue;
                if (sel->excluded)
                        return SIZE_MAX;
                if (chosen == SIZE_MAX)
                        chosen = i;
        }
        return chosen;
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
        return 0;
}

/* The verdict for one targeted device before IOMMU-group viability. */
static enum plan_action judge_device(const struct device_selector *sel, const struct pci_device *d,
                                     const struct guard_facts *guards, char *why, size_t size) {
        if (sel->omit_driver) {
                snprintf(why, size, "set_driver: omit; driver left as it is (%s)",
                         d->driver[0] ? d->driver : "unbound");
                return PLAN_LEAVE;
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

int plan_compute(const struct host_config *cfg, const struct pci_snapshot *snap,
                 const struct guard_facts *guards, struct plan **ret) {
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
        for (size_t i = 0; i < snap->n; i++) {
                const struct pci_device *d = &snap->devices[i];
                size_t s = choose_selector(cfg, d);
                if (s == SIZE_MAX)
                        continue;
                const struct device_selector *sel = &cfg->selectors[s];
                /* A glob or ID selector never picks bridges; an exact address may,
                 * and is then refused with a reason. */
                if (d->is_bridge && !sel->is_exact)
                        continue;
                char why[256];
                enum plan_action a = judge_device(sel, d, guards, why, sizeof(why));
                r = append_item(p, &cap, d->address, a, d, s, why);
                if (r < 0)
                        goto fail;
        }

        /* Exact addresses that are not on the bus. */
        for (size_t s = 0; s < cfg->n_selectors; s++) {
                const struct device_selector *sel = &cfg->selectors[s];
                if (!sel->is_exact || sel->excluded || pci_snapshot_find(snap, sel->address))
                        continue;
                r = append_item(p, &cap, sel->address, PLAN_REFUSE_MISSING, NULL, s,
                                "no such device on this node's PCI bus");
                if (r < 0)
                        goto fail;
        }

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
                if (!plan_action_ends_on_vfio(it->action) || !it->dev)
                        continue;
                r = strv_pushf(&ids, "%s:%s", it->dev->vendor, it->dev->device);
                if (r < 0)
                        return r;
        }
        return pci_filter_join(ids, strv_length(ids), ret);
}
