/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* "0000:09:00.0" plus NUL. */
#define PCI_ADDRESS_MAX 13

/* Parses a full PCI address DDDD:BB:DD.F (hex, any case) into its canonical
 * lowercase form.  Returns -EDOM for a short address (BB:DD.F) so the caller
 * can suggest the full form, -EINVAL for anything else that is not one. */
int pci_address_normalize(const char *in, char ret[PCI_ADDRESS_MAX]);

/* Same rules for a selector that may hold glob characters (* ? [...]):
 * it must still have the domain:bus:slot.function shape.  Lowercases into
 * ret (size bytes).  -EDOM short form, -EINVAL otherwise. */
int pci_address_glob_normalize(const char *in, char *ret, size_t size);

/* Suggests the full form of a short address ("09:00.0" -> "0000:09:00.0")
 * into ret.  Returns -EINVAL when in is not a short address. */
int pci_address_suggest_full(const char *in, char ret[PCI_ADDRESS_MAX]);

/* Matches a canonical address against a normalised glob. */
bool pci_address_glob_match(const char *glob, const char *address);

/* Validates a glob over a 4-hex-digit ID or class ("10de", "10*", "0302*");
 * lowercases into ret.  -EINVAL when it has other characters or is longer
 * than max_len. */
int pci_id_glob_normalize(const char *in, size_t max_len, char *ret, size_t size);

/* A kernel driver name as driverctl and sysfs take it: 1-63 characters of
 * [A-Za-z0-9_-] (no '/', no '.', nothing a path could be made of). */
bool pci_driver_name_valid(const char *name);
