/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* `onepci-agent inventory`: the variables the agent and the registrar read
 * from the inventory (ansible_host, ansible_port, pci_*, onepci_*), for
 * each host or for --host, typed as Ansible types them, as JSON, with the
 * host's groups.  The same validation as `plan`: what the agent would
 * refuse is refused here with exit 3.  For comparing with
 * `ansible-inventory --list` (tests/compat) and for a person checking how
 * an inventory is read. */

#include "agent-options.h"

struct inv_value;
struct json_object;

/* v as JSON: strings, booleans, integers, floats and null as Ansible's YAML
 * loader makes them; dates as Ansible writes them, times and vault data as
 * {"__onepci_unread__": kind}. */
int inv_value_to_json(const struct inv_value *v, struct json_object **ret);

int agent_inventory_dump(const struct agent_options *o);
