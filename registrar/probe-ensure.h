/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Step 3 of a report: the probe must report devices before a host filter
 * means anything.  In order: protect clusters that have no PCI_FILTER with
 * "0:0" (unless --protect-clusters no), widen pci.conf, run one sync.  A
 * marker file (remotes dir, .onepci-probe-synced: the SHA-256 of the
 * pci.conf texts that were synced) says the current files reached the
 * nodes, so a crash between edit and sync is repaired by the next report. */

#include <stdbool.h>
#include <stddef.h>

#include "error-message.h"
#include "one-client.h"

struct registrar;

/* 0 when the probe is wide and synced (*ret_widened: this call did it).
 * -EHOSTDOWN/-EREMOTEIO/-EBADMSG from oned (err filled), -EIO/-ETIMEDOUT
 * from the sync (also when the sync of a report this one waited behind
 * failed), -EAGAIN in the back-off after a failed sync, -EINVAL for a
 * pci.conf it cannot edit; the message says why. */
int probe_ensure(struct registrar *r, bool *ret_widened, struct one_error *err,
                 struct error_message *ret_error);
