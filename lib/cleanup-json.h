/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* json-c's cleanup.  It lives beside the header it needs, so including it
 * in any order defines it (macros.h stays free of library headers). */

#include <json-c/json.h>

#include "macros.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct json_object *, json_object_put)
#define _cleanup_json_ _cleanup_(json_object_putp)
