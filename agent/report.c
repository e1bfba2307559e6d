/* SPDX-License-Identifier: Apache-2.0 */
#include "report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup-json.h"
#include "config.h"
#include "macros.h"

#ifndef MAX
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#endif

/* json-c's adders do not release the value when they fail: do it here, so a
 * caller can pass a freshly made value inline. */
static int add(struct json_object *obj, const char *key, struct json_object *val) {
        if (!val)
                return -ENOMEM;
        if (json_object_object_add(obj, key, val) < 0) {
                json_object_put(val);
                return -ENOMEM;
        }
        return 0;
}

static int append(struct json_object *arr, struct json_object *val) {
        if (!val)
                return -ENOMEM;
        if (json_object_array_add(arr, val) < 0) {
                json_object_put(val);
                return -ENOMEM;
        }
        return 0;
}

/* The protocol's error strings: printable ASCII, at most 512 bytes. */
static struct json_object *error_string(const char *text) {
        char buf[REPORT_MAX_ERROR_LEN + 1];
        size_t n = 0;

        for (const char *p = text; *p && n < REPORT_MAX_ERROR_LEN; p++)
                buf[n++] = (*p >= 0x20 && *p < 0x7f) ? *p : '?';
        buf[n] = '\0';
        return json_object_new_string(buf);
}

static int add_errors(struct json_object *outcome, char *const *errors) {
        _cleanup_json_ struct json_object *arr = json_object_new_array();
        size_t n = 0;
        int r;

        if (!arr)
                return -ENOMEM;
        for (char *const *e = errors; e && *e; e++)
                n++;
        for (size_t i = 0; i < n; i++) {
                if (n > REPORT_MAX_ERRORS && i == REPORT_MAX_ERRORS - 1) {
                        char more[64];
                        snprintf(more, sizeof more, "... and %zu more errors", n - i);
                        r = append(arr, json_object_new_string(more));
                        if (r < 0)
                                return r;
                        break;
                }
                r = append(arr, error_string(errors[i]));
                if (r < 0)
                        return r;
        }
        return add(outcome, "errors", TAKE_PTR(arr));
}

/* Driver names as the protocol allows them: [A-Za-z0-9_-]{0,63}. */
static void sanitize_driver(const char *in, char out[64]) {
        size_t n = 0;
        for (; in[n] && n < 63; n++) {
                char c = in[n];
                bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') || c == '_' || c == '-';
                out[n] = ok ? c : '_';
        }
        out[n] = '\0';
}

static struct json_object *device_json(const struct pci_device *d, const char *driver) {
        _cleanup_json_ struct json_object *o = json_object_new_object();
        char drv[64];

        if (!o)
                return NULL;
        sanitize_driver(driver, drv);
        if (add(o, "address", json_object_new_string(d->address)) < 0 ||
            add(o, "vendor", json_object_new_string(d->vendor)) < 0 ||
            add(o, "device", json_object_new_string(d->device)) < 0 ||
            add(o, "class", json_object_new_string(d->class6)) < 0 ||
            add(o, "driver", json_object_new_string(drv)) < 0 ||
            add(o, "iommu_group", json_object_new_int(MAX(d->iommu_group, -1))) < 0 ||
            add(o, "numa_node", json_object_new_int(MAX(d->numa_node, -1))) < 0)
                return NULL;
        return TAKE_PTR(o);
}

/* Does this plan item end on vfio-pci?  bind_done: this run bound the
 * PLAN_BIND items (the snapshot may predate it). */
static const struct pci_device *reported_device(const struct plan_item *it,
                                                const struct pci_snapshot *snap, bool bind_done) {
        const struct pci_device *d;

        if (!plan_item_is_listed(it))
                return NULL; /* unlisted: configured, never offered to OpenNebula */
        d = pci_snapshot_find(snap, it->address);
        if (!d)
                return NULL; /* gone from the bus: nothing to expose */
        if (it->action == PLAN_KEEP || bind_done || STREQ(d->driver, "vfio-pci"))
                return d;
        return NULL;
}

static bool is_reported(const struct pci_device **reported, size_t n, const char *address) {
        for (size_t i = 0; i < n; i++)
                if (STREQ(reported[i]->address, address))
                        return true;
        return false;
}

static bool same_ids_as_reported(const struct pci_device **reported, size_t n,
                                 const struct pci_device *d) {
        for (size_t i = 0; i < n; i++)
                if (STREQ(reported[i]->vendor, d->vendor) && STREQ(reported[i]->device, d->device))
                        return true;
        return false;
}

static int build(const struct host_config *cfg, const struct plan *plan,
                 const struct pci_snapshot *snap, bool succeeded, bool bind_done,
                 char *const *errors, struct json_object **ret) {
        _cleanup_json_ struct json_object *root = NULL, *outcome = NULL, *devices = NULL,
                                          *twins = NULL;
        _cleanup_free_ const struct pci_device **reported = NULL;
        size_t n_reported = 0, n_twins = 0;
        int r;

        if (!cfg || !cfg->name || !cfg->one_host_name || !plan || !snap || !ret)
                return -EINVAL;

        reported = calloc(plan->n + 1, sizeof *reported);
        root = json_object_new_object();
        outcome = json_object_new_object();
        devices = json_object_new_array();
        twins = json_object_new_array();
        if (!reported || !root || !outcome || !devices || !twins)
                return -ENOMEM;

        for (size_t i = 0; i < plan->n; i++) {
                const struct pci_device *d = reported_device(&plan->items[i], snap, bind_done);
                if (!d || is_reported(reported, n_reported, d->address))
                        continue;
                if (n_reported == REPORT_MAX_DEVICES)
                        return -E2BIG;
                reported[n_reported++] = d;
                r = append(devices, device_json(d, "vfio-pci"));
                if (r < 0)
                        return r;
        }

        /* Twins: what a vendor:device filter would expose besides our devices. */
        for (size_t i = 0; i < snap->n; i++) {
                const struct pci_device *d = &snap->devices[i];
                if (is_reported(reported, n_reported, d->address) ||
                    !same_ids_as_reported(reported, n_reported, d))
                        continue;
                if (n_twins == REPORT_MAX_TWINS)
                        return -E2BIG;
                n_twins++;
                r = append(twins, device_json(d, d->driver));
                if (r < 0)
                        return r;
        }

        r = add(outcome, "result", json_object_new_string(succeeded ? "succeeded" : "failed"));
        if (r < 0)
                return r;
        r = add_errors(outcome, errors);
        if (r < 0)
                return r;

        if ((r = add(root, "schema", json_object_new_int(REPORT_SCHEMA))) < 0 ||
            (r = add(root, "inventory_name", json_object_new_string(cfg->name))) < 0 ||
            (r = add(root, "host_name", json_object_new_string(cfg->one_host_name))) < 0 ||
            (r = add(root, "agent_version", json_object_new_string(ONEPCI_VERSION))) < 0 ||
            (r = add(root, "outcome", TAKE_PTR(outcome))) < 0 ||
            (r = add(root, "devices", TAKE_PTR(devices))) < 0 ||
            (r = add(root, "twins", TAKE_PTR(twins))) < 0)
                return r;

        *ret = TAKE_PTR(root);
        return 0;
}

int report_build(const struct host_config *cfg, const struct plan *plan,
                 const struct pci_snapshot *snap, bool succeeded, char *const *errors,
                 struct json_object **ret) {
        return build(cfg, plan, snap, succeeded, succeeded, errors, ret);
}

int report_build_current(const struct host_config *cfg, const struct plan *plan,
                         const struct pci_snapshot *snap, bool in_sync, char *const *errors,
                         struct json_object **ret) {
        return build(cfg, plan, snap, in_sync, false, errors, ret);
}

int report_to_string(struct json_object *report, char **ret) {
        const char *s;
        char *copy;

        if (!report || !ret)
                return -EINVAL;
        s = json_object_to_json_string_ext(report, JSON_C_TO_STRING_PLAIN |
                                                           JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!s)
                return -ENOMEM;
        copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        *ret = copy;
        return 0;
}
