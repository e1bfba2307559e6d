/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Everything one run found and did, collected for the output (text or JSON),
 * the state file and the report. */

#include <stdbool.h>
#include <stddef.h>

#include "plan.h"
#include "vfio-rule.h"

struct run_record {
        const char *command;       /* "plan", "apply", "check", "register" */
        char *host;                /* inventory name, NULL before identity */
        char *one_host_name;
        char *inventory_path;
        bool enabled;
        const struct plan *plan;   /* NULL before planning */
        const struct pci_snapshot *after; /* snapshot after binding (apply), else NULL */
        bool changed;              /* apply changed something */
        bool rule_checked;
        bool rule_changed;         /* the udev rule was (or would be) written */
        char *rule_path;
        char rule_group[33];
        unsigned rule_mode;
        struct vfio_node_state *nodes;
        size_t n_nodes;
        bool nodes_live;           /* nodes were checked against udev's result */
        char *pci_filter;          /* "10de:26b9,..." of the devices on vfio-pci */
        char **skipped;            /* what a non-live root did not touch */
        char **warnings;
        char **errors;
        char **drift;              /* `check`: how the node differs */
        char *report_preview;      /* `plan`: the report registration would send */
        char *report_url;          /* `plan`: where it would go (NULL: not configured) */
        bool register_attempted;
        bool registered;
        char *register_message;
        int exit_code;
        /* Where an apply's time went (--json "timing"): waiting on driverctl
         * (and the kernel's unbind/bind under it), waiting on udev, and the
         * agent's own CPU time. */
        double driverctl_s, udev_s, cpu_s;
};

void run_record_clear(struct run_record *rec);
