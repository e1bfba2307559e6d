/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The report the agent sends to the registrar (docs/protocol.md, schema 1),
 * built from the host's configuration, its plan and a PCI snapshot.
 *
 * devices: plan items that end on vfio-pci: PLAN_KEEP always, PLAN_BIND when
 *   the run succeeded or when the snapshot shows the device bound to vfio-pci
 *   (pass a snapshot read after `apply` to report a failed run exactly).
 * twins: every other device of the snapshot with the vendor:device of a
 *   reported device: PCI_FILTER by id would expose it, so the registrar uses
 *   PCI_SHORT_ADDRESS instead. */

#include <stdbool.h>

#include <json-c/json.h>

#include "host-config.h"
#include "pci-snapshot.h"
#include "plan.h"

#define REPORT_SCHEMA 1
#define REPORT_MAX_DEVICES 64
#define REPORT_MAX_TWINS 256
#define REPORT_MAX_ERRORS 32
#define REPORT_MAX_ERROR_LEN 512

/* errors: NULL-terminated list (NULL = none).  They are made to fit the
 * protocol: non-printable characters become '?', each is cut at 512 bytes and
 * past 31 entries the last says how many were left out.  -E2BIG when there
 * are more devices or twins than the protocol allows, -EINVAL on a bad
 * argument, -ENOMEM. */
int report_build(const struct host_config *cfg, const struct plan *plan,
                 const struct pci_snapshot *snap, bool succeeded, char *const *errors,
                 struct json_object **ret);

/* The report `onepci-agent register` sends (no apply in this run): devices
 * are the PLAN_KEEP items and the PLAN_BIND items the snapshot already shows
 * on vfio-pci, never a device still to be bound; outcome "succeeded" when
 * the node is as planned (in_sync), else "failed" with errors. */
int report_build_current(const struct host_config *cfg, const struct plan *plan,
                         const struct pci_snapshot *snap, bool in_sync, char *const *errors,
                         struct json_object **ret);

/* The compact JSON text to send; the caller frees it. */
int report_to_string(struct json_object *report, char **ret);
