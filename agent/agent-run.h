/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* One run of onepci-agent: load the inventory, find this host, plan, and for
 * `apply` carry the plan out.  Prints the outcome (text or JSON on stdout,
 * problems on stderr) and returns an exit code of exit-codes.h. */

#include <stdbool.h>

enum agent_command { CMD_PLAN, CMD_APPLY, CMD_CHECK, CMD_REGISTER };

struct agent_options {
        enum agent_command command;
        const char *root;          /* default "/" */
        const char *inventory;     /* default /etc/onepci/inventory.yml */
        const char *host;          /* --host, NULL: find it */
        const char *driverctl;     /* --driverctl, NULL: search */
        bool no_install;
        bool no_register;
        bool json;
        const char *registrar_url; /* --registrar */
        const char *key_file;      /* default /etc/onepci/node.key */
        const char *ca_file;
        int deadline_s;            /* registration deadline; 0 tries once, -1 default */
        int udev_timeout_ms;       /* wait for /dev/vfio/N */
        int driverctl_timeout_ms;
};

const char *agent_command_name(enum agent_command c);
int agent_run(const struct agent_options *o);
