/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Where the registrar is: the only part of registration that reads the
 * inventory, so the client (registrar-client.h) never sees it. */

#include "error-message.h"

#define REGISTRAR_DEFAULT_PORT 8474

struct host_config;
struct inventory;

/* Checks a registrar base URL: http[s]://HOST[:PORT][/] with HOST a name, an
 * IPv4 address or [IPv6]; no user info, path or query (the signature covers
 * the path the registrar sees, so there is nothing to prefix).  ret_url gets
 * the URL without its trailing '/' (malloc'ed).  -EINVAL with ret_error
 * (optional) saying why. */
int registrar_url_check(const char *url, char **ret_url, struct error_message *ret_error);

/* Where to register: flag_url when given, else the host's pci_registrar_url,
 * else http://ADDR:8474 with ADDR the first `frontend` host's ansible_host
 * (or its name).  The URL is checked as registrar_url_check() does.
 * -EINVAL bad URL, -ENOENT nothing configured; ret_error (optional) says why.
 * cfg and inv may be NULL.  ret_url is malloc'ed. */
int registrar_url_resolve(const char *flag_url, const struct host_config *cfg,
                          const struct inventory *inv, char **ret_url,
                          struct error_message *ret_error);
