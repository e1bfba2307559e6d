/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The command line of onepci-agent as every command sees it (main.c fills
 * it), and the one place that turns it into the registrar client's options. */

#include <stdbool.h>

#include "registrar-client.h"

struct agent_options {
        const char *root;          /* default "/" */
        const char *inventory;     /* default /etc/onepci/inventory.yml */
        const char *host;          /* --host, NULL: find it */
        const char *driverctl;     /* --driverctl, NULL: search */
        const char *devlink;       /* --devlink, NULL: search */
        bool no_install;
        bool no_register;
        bool force;                /* give back devices a process holds */
        bool json;
        const char *registrar_url; /* --registrar */
        const char *key_file;      /* default NODE_KEY_DEFAULT_PATH */
        const char *ca_file;
        const char *output;        /* fetch-inventory: --output, NULL: the inventory */
        int deadline_s;            /* registration deadline; 0 tries once, -1 default */
        int udev_timeout_ms;       /* wait for /dev/vfio/N */
};

/* The registrar client's options for this command line: url and node as
 * given, the loaded key_hex (kept by the caller), --ca-file and --deadline. */
void agent_options_to_registrar(const struct agent_options *o, const char *url, const char *node,
                                const char *key_hex, struct registrar_client_options *ret);
