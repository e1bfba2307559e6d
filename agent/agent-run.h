/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The four commands that run the pipeline: load the inventory, find this
 * host, plan, and then each its own part.  Each prints the outcome (text or
 * JSON on stdout, problems on stderr) and returns an exit code of
 * exit-codes.h.
 *
 *   plan      steps 1-7, with the report apply would send
 *   apply     binds, writes the udev rule and the state, registers
 *   check     compares the node with the plan (exit 8 on drift)
 *   register  check, then sends the node's current state */

#include "agent-options.h"

int agent_plan(const struct agent_options *o);
int agent_apply(const struct agent_options *o);
int agent_check(const struct agent_options *o);
int agent_register(const struct agent_options *o);
