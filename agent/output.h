/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <json-c/json.h>
#include <stdio.h>

#include "run-record.h"

/* The run as people read it. */
void output_text(const struct run_record *rec, FILE *f);

/* The run as JSON (schema in docs/onepci-agent.8.scd):
 * { "command", "host", "one_host_name", "inventory", "enabled", "changed",
 *   "result": "succeeded"|"failed"|"refused"|"drift"|"nothing-to-do",
 *   "exit_code", "items": [ { "address", "action", "reason", "vendor",
 *   "device", "class", "vendor_name", "device_name", "driver",
 *   "driver_after", "iommu_group", "numa_node" } ], "pci_filter",
 *   "udev_rule": { "path", "group", "mode", "changed" }, "vfio_nodes": [ {
 *   "group", "present", "gid", "mode", "ok" } ], "skipped": [], "warnings":
 *   [], "errors": [], "drift": [], "registration": { "attempted", "ok",
 *   "message" } }; output_json() adds "timing": { "driverctl_s", "udev_s",
 *   "cpu_s" }, never kept in the state file. */
struct json_object *output_json_build(const struct run_record *rec);
void output_json(const struct run_record *rec, FILE *f);
