/* SPDX-License-Identifier: Apache-2.0 */
#include "output.h"

#include <stdlib.h>
#include <string.h>

#include "exit-codes.h"
#include "macros.h"
#include "pci-filter.h"
#include "strv.h"

static const char *result_word(const struct run_record *rec) {
        switch (rec->exit_code) {
        case EXIT_OK:
                if (!rec->enabled)
                        return "nothing-to-do";
                return "succeeded";
        case EXIT_GUARD:
        case EXIT_PREFLIGHT:
                return "refused";
        case EXIT_DRIFT:
                return "drift";
        default:
                return "failed";
        }
}

static const struct pci_device *device_after(const struct run_record *rec, const char *address) {
        return rec->after ? pci_snapshot_find(rec->after, address) : NULL;
}

/* What the action means for this command, in words ("bind" reads "would
 * bind" in a plan). */
static const char *action_phrase(const struct run_record *rec, enum plan_action a) {
        bool planning = !STREQ(rec->command, "apply") || rec->exit_code != EXIT_OK;
        switch (a) {
        case PLAN_BIND:
                if (STREQ(rec->command, "check") || STREQ(rec->command, "register"))
                        return "DRIFT";
                return planning ? "would bind" : "bound";
        case PLAN_KEEP:
                return "unchanged";
        case PLAN_LEAVE:
                return "left alone";
        case PLAN_OVERRIDE:
                if (STREQ(rec->command, "check") || STREQ(rec->command, "register"))
                        return "DRIFT";
                return planning ? "would set" : "set";
        case PLAN_VFS:
                return "SR-IOV PF";
        case PLAN_RELEASE:
        case PLAN_RELEASE_VFS:
                if (STREQ(rec->command, "check") || STREQ(rec->command, "register"))
                        return "DRIFT";
                return planning ? "would release" : "released";
        case PLAN_EXCLUDED:
                return "excluded";
        default:
                return "REFUSED";
        }
}

static void print_list(FILE *f, const char *title, char *const *v) {
        for (size_t i = 0; v && v[i]; i++)
                fprintf(f, "  %s: %s\n", title, v[i]);
}

void output_text(const struct run_record *rec, FILE *f) {
        /* Errors go to stderr through the log; the text here is the report. */
        if (!rec->host)
                return;
        fprintf(f, "onepci-agent %s: host %s (OpenNebula host %s), inventory %s\n", rec->command,
                rec->host, rec->one_host_name ? rec->one_host_name : rec->host,
                rec->inventory_path ? rec->inventory_path : "-");
        if (!rec->enabled) {
                fprintf(f, "  nothing to do: PCI passthrough is not enabled for %s "
                           "(pci_passthrough_enabled is false or pci_devices is empty)\n",
                        rec->host);
                return;
        }
        for (size_t i = 0; rec->plan && i < rec->plan->n; i++) {
                const struct plan_item *it = &rec->plan->items[i];
                const struct pci_device *d = it->dev;
                fprintf(f, "  %s  %s%s%s  %-12s %s\n", it->address, d ? d->vendor : "????",
                        d ? ":" : "", d ? d->device : "", action_phrase(rec, it->action),
                        it->reason);
                if (d && (d->vendor_name[0] || d->device_name[0]))
                        fprintf(f, "                %s %s\n", d->vendor_name, d->device_name);
                if (it->entry[0])
                        fprintf(f, "                decided by %s%s%s%s%s\n", it->entry,
                                it->name[0] ? "; name " : "", it->name,
                                it->unlisted ? "; unlisted (not for OpenNebula)" : "",
                                it->action == PLAN_VFS ? "" : "");
        }
        if (rec->plan && rec->plan->n == 0)
                fprintf(f, "  no device on this node matches pci_devices\n");
        if (rec->rule_checked)
                fprintf(f, "  udev rule %s: %s (GROUP=\"%s\", MODE=\"%04o\")\n",
                        rec->rule_path ? rec->rule_path : VFIO_RULE_PATH,
                        rec->rule_changed ? (STREQ(rec->command, "apply") ? "written" : "differs")
                                          : "unchanged",
                        rec->rule_group, rec->rule_mode);
        for (size_t i = 0; i < rec->n_nodes; i++) {
                const struct vfio_node_state *s = &rec->nodes[i];
                if (!s->present)
                        fprintf(f, "  /dev/vfio/%d: missing\n", s->group);
                else if (!rec->nodes_live)
                        fprintf(f, "  /dev/vfio/%d: present (group and mode are set by udev on "
                                   "the live system)\n", s->group);
                else
                        fprintf(f, "  /dev/vfio/%d: gid %u mode %04o %s\n", s->group,
                                (unsigned)s->gid, (unsigned)s->mode, s->ok ? "ok" : "NOT as expected");
        }
        if (rec->pci_filter)
                fprintf(f, "  PCI_FILTER for OpenNebula: %s%s\n", rec->pci_filter,
                        STREQ(rec->pci_filter, PCI_FILTER_NONE) ? " (no device)" : "");
        print_list(f, "skipped", rec->skipped);
        print_list(f, "warning", rec->warnings);
        print_list(f, "drift", rec->drift);
        if (rec->report_preview)
                fprintf(f, "  would register with %s as %s, sending:\n    %s\n",
                        rec->report_url ? rec->report_url : "(no registrar configured)", rec->host,
                        rec->report_preview);
        if (rec->register_attempted)
                fprintf(f, "  registration: %s%s%s\n", rec->registered ? "done" : "FAILED",
                        rec->register_message ? ": " : "",
                        rec->register_message ? rec->register_message : "");
        if (STREQ(rec->command, "apply") && rec->exit_code == EXIT_OK)
                fprintf(f, "  result: %s\n",
                        rec->changed ? "changes applied" : "already configured, nothing changed");
        else if (STREQ(rec->command, "check") && rec->exit_code == EXIT_OK)
                fprintf(f, "  result: in line with the inventory\n");
        else if (rec->exit_code != EXIT_OK)
                fprintf(f, "  result: %s (exit %d)%s\n", result_word(rec), rec->exit_code,
                        rec->errors ? ", the reasons are on stderr" : "");
}

static struct json_object *strv_to_json(char *const *v) {
        struct json_object *a = json_object_new_array();
        for (size_t i = 0; a && v && v[i]; i++)
                json_object_array_add(a, json_object_new_string(v[i]));
        return a;
}

static struct json_object *item_to_json(const struct run_record *rec, const struct plan_item *it) {
        struct json_object *o = json_object_new_object();
        const struct pci_device *d = it->dev;
        json_object_object_add(o, "address", json_object_new_string(it->address));
        json_object_object_add(o, "action", json_object_new_string(plan_action_name(it->action)));
        json_object_object_add(o, "reason", json_object_new_string(it->reason));
        if (it->entry[0])
                json_object_object_add(o, "entry", json_object_new_string(it->entry));
        if (it->name[0])
                json_object_object_add(o, "name", json_object_new_string(it->name));
        if (it->unlisted)
                json_object_object_add(o, "unlisted", json_object_new_boolean(1));
        if (it->action == PLAN_VFS)
                json_object_object_add(o, "numvfs", json_object_new_int(it->numvfs));
        if (it->give_back_vfs)
                json_object_object_add(o, "give_back_vfs", json_object_new_boolean(1));
        if (it->action == PLAN_OVERRIDE)
                json_object_object_add(o, "set_driver", json_object_new_string(it->driver));
        if (d) {
                json_object_object_add(o, "vendor", json_object_new_string(d->vendor));
                json_object_object_add(o, "device", json_object_new_string(d->device));
                json_object_object_add(o, "class", json_object_new_string(d->class6));
                json_object_object_add(o, "vendor_name", json_object_new_string(d->vendor_name));
                json_object_object_add(o, "device_name", json_object_new_string(d->device_name));
                json_object_object_add(o, "driver", json_object_new_string(d->driver));
                json_object_object_add(o, "iommu_group", json_object_new_int(d->iommu_group));
                json_object_object_add(o, "numa_node", json_object_new_int(d->numa_node));
        }
        const struct pci_device *after = device_after(rec, it->address);
        if (after)
                json_object_object_add(o, "driver_after", json_object_new_string(after->driver));
        return o;
}

struct json_object *output_json_build(const struct run_record *rec) {
        struct json_object *o = json_object_new_object();
        if (!o)
                return NULL;
        json_object_object_add(o, "command", json_object_new_string(rec->command));
        json_object_object_add(o, "host", rec->host ? json_object_new_string(rec->host) : NULL);
        json_object_object_add(o, "one_host_name",
                               rec->one_host_name ? json_object_new_string(rec->one_host_name) : NULL);
        json_object_object_add(o, "inventory", rec->inventory_path ?
                                                       json_object_new_string(rec->inventory_path) : NULL);
        json_object_object_add(o, "enabled", json_object_new_boolean(rec->enabled));
        json_object_object_add(o, "changed", json_object_new_boolean(rec->changed));
        json_object_object_add(o, "result", json_object_new_string(result_word(rec)));
        json_object_object_add(o, "exit_code", json_object_new_int(rec->exit_code));

        struct json_object *items = json_object_new_array();
        for (size_t i = 0; rec->plan && i < rec->plan->n; i++)
                json_object_array_add(items, item_to_json(rec, &rec->plan->items[i]));
        json_object_object_add(o, "items", items);
        json_object_object_add(o, "pci_filter",
                               rec->pci_filter ? json_object_new_string(rec->pci_filter) : NULL);

        if (rec->rule_checked) {
                struct json_object *rule = json_object_new_object();
                json_object_object_add(rule, "path", json_object_new_string(
                                                             rec->rule_path ? rec->rule_path : VFIO_RULE_PATH));
                json_object_object_add(rule, "group", json_object_new_string(rec->rule_group));
                char mode[8];
                snprintf(mode, sizeof(mode), "%04o", rec->rule_mode);
                json_object_object_add(rule, "mode", json_object_new_string(mode));
                json_object_object_add(rule, "changed", json_object_new_boolean(rec->rule_changed));
                json_object_object_add(o, "udev_rule", rule);
        }
        struct json_object *nodes = json_object_new_array();
        for (size_t i = 0; i < rec->n_nodes; i++) {
                const struct vfio_node_state *s = &rec->nodes[i];
                struct json_object *n = json_object_new_object();
                json_object_object_add(n, "group", json_object_new_int(s->group));
                json_object_object_add(n, "present", json_object_new_boolean(s->present));
                json_object_object_add(n, "gid", json_object_new_int((int)s->gid));
                char mode[8];
                snprintf(mode, sizeof(mode), "%04o", (unsigned)s->mode);
                json_object_object_add(n, "mode", json_object_new_string(mode));
                json_object_object_add(n, "ok", rec->nodes_live ? json_object_new_boolean(s->ok) : NULL);
                json_object_array_add(nodes, n);
        }
        json_object_object_add(o, "vfio_nodes", nodes);
        json_object_object_add(o, "skipped", strv_to_json(rec->skipped));
        json_object_object_add(o, "warnings", strv_to_json(rec->warnings));
        json_object_object_add(o, "errors", strv_to_json(rec->errors));
        json_object_object_add(o, "drift", strv_to_json(rec->drift));

        struct json_object *reg = json_object_new_object();
        json_object_object_add(reg, "attempted", json_object_new_boolean(rec->register_attempted));
        json_object_object_add(reg, "ok", json_object_new_boolean(rec->registered));
        json_object_object_add(reg, "message", rec->register_message ?
                                                       json_object_new_string(rec->register_message) : NULL);
        if (rec->report_preview) {
                json_object_object_add(reg, "url", rec->report_url ?
                                                           json_object_new_string(rec->report_url) : NULL);
                json_object_object_add(reg, "report", json_tokener_parse(rec->report_preview));
        }
        json_object_object_add(o, "registration", reg);
        return o;
}

void output_json(const struct run_record *rec, FILE *f) {
        struct json_object *o = output_json_build(rec);
        if (!o)
                return;
        /* Printed, never kept in the state file: it differs on every run. */
        struct json_object *t = json_object_new_object();
        json_object_object_add(t, "driverctl_s", json_object_new_double(rec->driverctl_s));
        json_object_object_add(t, "udev_s", json_object_new_double(rec->udev_s));
        json_object_object_add(t, "cpu_s", json_object_new_double(rec->cpu_s));
        json_object_object_add(o, "timing", t);
        fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE), f);
        fputc('\n', f);
        json_object_put(o);
}

void run_record_clear(struct run_record *rec) {
        free(rec->host);
        free(rec->one_host_name);
        free(rec->inventory_path);
        free(rec->rule_path);
        free(rec->nodes);
        free(rec->pci_filter);
        strv_free(rec->skipped);
        strv_free(rec->warnings);
        strv_free(rec->errors);
        strv_free(rec->drift);
        free(rec->register_message);
        free(rec->report_preview);
        free(rec->report_url);
        memset(rec, 0, sizeof(*rec));
}
