/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* libudev's cleanups, defined whatever the include order (see cleanup-json.h). */

#include <libudev.h>

#include "macros.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev *, udev_unref)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev_device *, udev_device_unref)
