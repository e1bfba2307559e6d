/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Widening the PCI monitoring probe: the `:filter` of pci.conf must include
 * '*:*' so the probe reports devices and PCI_FILTER can narrow them. */

#include <stdbool.h>
#include <stddef.h>

#include "error-message.h"

#define PROBE_CONF_MAX (256 * 1024)

/* Pure text edit.  When :filter already has a '*:*' element, *ret_out is NULL
 * and *ret_changed false.  Otherwise *ret_out is the new text: the :filter
 * value (string, comma string, flow list or block list) is replaced by
 * '*:*', the old lines kept as comments above it; every other line is kept
 * byte for byte.  A file without :filter gets one appended.  -EINVAL with a
 * message for a :filter form it cannot edit safely (a multi-line flow list)
 * and for text holding a NUL byte. */
int probe_conf_widen(const char *in, size_t len, char **ret_out, bool *ret_changed,
                     struct error_message *ret_error);

/* Whether the text's :filter includes '*:*' (false when it has no :filter). */
bool probe_conf_is_wide(const char *in, size_t len);

/* Edits one file in place, atomically, keeping its mode and owner.  -ENOENT
 * when it does not exist. */
int probe_conf_widen_file(const char *path, bool *ret_changed, struct error_message *ret_error);

/* Edits kvm-probes.d/pci.conf (must exist) and qemu-probes.d/pci.conf (when
 * present) under the remotes' im directory. */
int probe_conf_widen_remotes(const char *remotes_dir, bool *ret_changed,
                             struct error_message *ret_error);
