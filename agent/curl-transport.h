/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The registrar client's real transport: one libcurl easy handle per
 * exchange, every option checked, CURLOPT_ERRORBUFFER for the message, the
 * response code checked explicitly, the body bounded (1 MiB).  libcurl is
 * loaded on first use (curl-api.h). */

#include <time.h>

#include "error-message.h"
#include "registrar-transport.h"

/* Loads libcurl and initialises it for a series of exchanges; pair with
 * curl_transport_end().  -ELIBACC (ret_error says why) or -EIO. */
int curl_transport_begin(struct error_message *ret_error);
void curl_transport_end(void);

/* A registrar_transport_fn (userdata unused).  Call between begin and end. */
int curl_transport_exchange(const struct registrar_http_request *req,
                            struct registrar_http_response *resp, void *userdata);

/* An HTTP date (Date:, Retry-After:) as time_t through curl_getdate();
 * (time_t)-1 when it is not one or libcurl cannot be loaded. */
time_t curl_http_date(const char *value);
