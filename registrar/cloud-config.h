/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* `onepci-registrar cloud-config NAME`: #cloud-config user-data that writes
 * the node's key (/etc/onepci/node.key, 0600) and ONLY that node's part of
 * the inventory (/etc/onepci/inventory.yml; variables ansible_host, pci_*,
 * onepci_*; never all.vars, never one_pass).  With a URL, also
 * /etc/default/onepci-agent pointing the agent at the registrar. */

#include <stddef.h>

#include "error-message.h"
#include "sign.h"

struct inventory;

/* The variables a node may see of its own inventory entry (here and in
 * GET /v1/hosts/NAME/inventory); secret-looking names never, at any depth. */
extern const char *const cloud_config_node_vars[];

int cloud_config_render(const struct inventory *inv, const char *node, const char *key_hex,
                        const char *url, char **ret, struct error_message *ret_error);
