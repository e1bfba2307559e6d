/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* libmicrohttpd's cleanup, defined whatever the include order (see
 * cleanup-json.h). */

#include <microhttpd.h>

#include "macros.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct MHD_Response *, MHD_destroy_response)
