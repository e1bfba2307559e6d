/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* set_name: the subset of Python's str.format that one-deploy's PCI role
 * uses, `set_name.format(a0, a1, a2, a3[, a4])`:
 *
 *   {0[n]}  the device's address groups: ["0000", "03", "00", "1"], n 0..3
 *   {1[n]}  the PF's groups (a VF only; an error for any other device)
 *   {2}     the VF index, a string ("" for a device that is not a VF)
 *   {3}     the counter, an integer (set_counter)
 *   {4}     the PF's formatted name (a VF whose PF has a set_name only)
 *
 * with a format spec [[fill]align][sign][0][width][.precision][type]: types
 * s for the strings, d x X o b for {3}; {{ and }} are literal braces.  What
 * Python refuses is refused ({2:02d}: a string has no d; {0{2}}), and so is
 * what would need Python's repr ({0}, {}). */

#include <stdbool.h>
#include <stddef.h>

struct name_args {
        const char *a0[4];
        const char *a1[4];
        bool has_pf;    /* a1 is set */
        const char *a2; /* "" for a device that is not a VF */
        long a3;
        const char *a4; /* NULL: not available */
};

/* Checks fmt without arguments: its syntax, field numbers and specs.
 * 0 or -EINVAL with why (size bytes) saying what is wrong. */
int name_format_check(const char *fmt, char *why, size_t why_size);

/* Formats; -EINVAL with why (as above) for a field the device does not
 * have ({1[n]} or {2}-only-for-VFs, {4}), -ENAMETOOLONG past size. */
int name_format(const char *fmt, const struct name_args *a, char *buf, size_t size, char *why,
                size_t why_size);

/* Which fields the format uses (bit n for field n), for planning. */
unsigned name_format_fields(const char *fmt);
