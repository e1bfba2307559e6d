/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* oned's version (one.system.version) compared with the one a feature needs.
 * Pure. */

#include <stdbool.h>

/* Compares a version string ("7.0.1", "6.10.0", "7.2.0-beta") with major.minor:
 * true when it is at least that.  -EINVAL when unparsable. */
int one_version_at_least(const char *version, int major, int minor, bool *ret);
