/* SPDX-License-Identifier: Apache-2.0 */
#include "registrar-url.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host-config.h"
#include "inventory.h"
#include "macros.h"

static bool valid_host_char(char c) {
        return isalnum((unsigned char)c) || c == '.' || c == '-' || c == '_';
}

int registrar_url_check(const char *url, char **ret_url, struct error_message *ret_error) {
        const char *p, *host, *end;
        char *copy;

        if (!url || !ret_url)
                return -EINVAL;
        if (strncmp(url, "http://", 7) == 0)
                p = url + 7;
        else if (strncmp(url, "https://", 8) == 0)
                p = url + 8;
        else {
                error_set(ret_error, "registrar URL '%s': not http:// or https://", url);
                return -EINVAL;
        }

        host = p;
        if (*p == '[') {
                p++;
                while (isxdigit((unsigned char)*p) || *p == ':' || *p == '.')
                        p++;
                if (*p != ']' || p == host + 1) {
                        error_set(ret_error, "registrar URL '%s': bad IPv6 address", url);
                        return -EINVAL;
                }
                p++;
        } else {
                while (valid_host_char(*p))
                        p++;
        }
        if (p == host) {
                error_set(ret_error, "registrar URL '%s': no host", url);
                return -EINVAL;
        }
        if (*p == ':') {
                char *pend;
                long port;

                if (!isdigit((unsigned char)p[1])) {
                        error_set(ret_error, "registrar URL '%s': bad port", url);
                        return -EINVAL;
                }
                errno = 0;
                port = strtol(p + 1, &pend, 10);
                if (errno || port < 1 || port > 65535 || pend - p > 6) {
                        error_set(ret_error, "registrar URL '%s': bad port", url);
                        return -EINVAL;
                }
                p = pend;
        }
        end = p;
        if (*p == '/')
                p++;
        if (*p != '\0') {
                error_set(ret_error, "registrar URL '%s': only scheme, host and port are allowed",
                          url);
                return -EINVAL;
        }

        copy = strndup(url, (size_t)(end - url));
        if (!copy)
                return -ENOMEM;
        *ret_url = copy;
        return 0;
}

static int url_for_host(const char *addr, char **ret_url, struct error_message *ret_error) {
        _cleanup_free_ char *url = NULL;
        bool ipv6 = strchr(addr, ':') != NULL;

        if (asprintf(&url, ipv6 ? "http://[%s]:%d" : "http://%s:%d", addr,
                     REGISTRAR_DEFAULT_PORT) < 0)
                return -ENOMEM;
        return registrar_url_check(url, ret_url, ret_error);
}

/* The first `frontend` host's ansible_host (as the entry sets it, else from
 * its variables when the inventory kept them), else its name. */
static int frontend_url(const struct inventory *inv, char **ret_url,
                        struct error_message *ret_error) {
        _cleanup_strv_free_ char **hosts = NULL;
        const char *addr = NULL;
        struct inv_value *vars = NULL;
        int r;

        r = inventory_group_hosts(inv, "frontend", &hosts);
        if (r == -ENOENT || (r >= 0 && (!hosts || !hosts[0]))) {
                error_set(ret_error, "no registrar: give --registrar, set pci_registrar_url "
                                     "or put the front-end in a 'frontend' group");
                return -ENOENT;
        }
        if (r < 0)
                return r;

        for (size_t i = 0; i < inventory_n_hosts(inv); i++)
                if (STREQ(inventory_host_name(inv, i), hosts[0])) {
                        addr = inventory_host_address(inv, i);
                        break;
                }
        if (!addr && inventory_host_vars(inv, hosts[0], &vars) >= 0) {
                const struct inv_value *v = inv_map_get(vars, "ansible_host");
                if (v && inv_value_str(v) && *inv_value_str(v))
                        r = url_for_host(inv_value_str(v), ret_url, ret_error);
                else
                        r = url_for_host(hosts[0], ret_url, ret_error);
                inv_value_unref(vars);
                return r;
        }
        return url_for_host(addr ? addr : hosts[0], ret_url, ret_error);
}

int registrar_url_resolve(const char *flag_url, const struct host_config *cfg,
                          const struct inventory *inv, char **ret_url,
                          struct error_message *ret_error) {
        if (!ret_url)
                return -EINVAL;
        if (flag_url && *flag_url)
                return registrar_url_check(flag_url, ret_url, ret_error);
        if (cfg && cfg->registrar_url && *cfg->registrar_url)
                return registrar_url_check(cfg->registrar_url, ret_url, ret_error);
        if (inv)
                return frontend_url(inv, ret_url, ret_error);
        error_set(ret_error, "no registrar: give --registrar or set pci_registrar_url");
        return -ENOENT;
}
