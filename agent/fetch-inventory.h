/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "agent-options.h"

/* `onepci-agent fetch-inventory`: asks the registrar for this node's own part
 * of the inventory (a node then needs only the registrar's URL and its key),
 * checks that it parses and names this node, and writes it atomically to
 * o->output (default: the --inventory path).  Returns an exit code. */
int agent_fetch_inventory(const struct agent_options *o);
