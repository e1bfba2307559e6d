/* SPDX-License-Identifier: Apache-2.0 */
/* User-data for one node.  The inventory part comes from
 * inventory_render_host() with an allow-list, so nothing else of the
 * shared inventory (other nodes, all.vars, passwords) can leak into it. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud-config.h"
#include "inventory.h"
#include "macros.h"

const char *const cloud_config_node_vars[] = {"ansible_host", "pci_*", "onepci_*", NULL};

/* A URL safe to put in a shell-style EnvironmentFile line unquoted-ish. */
static bool url_valid(const char *u) {
        size_t len = strlen(u);

        return (strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0) && len < 512 &&
               strspn(u, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                         ":/._-[]%~") == len;
}

/* Appends text indented by six spaces (a literal block under content: |). */
static void put_block(FILE *f, const char *text) {
        for (const char *p = text; *p;) {
                size_t l = strcspn(p, "\n");

                if (l > 0)
                        fprintf(f, "      %.*s\n", (int)l, p);
                else
                        fputs("\n", f);
                p += l;
                if (*p == '\n')
                        p++;
        }
}

int cloud_config_render(const struct inventory *inv, const char *node, const char *key_hex,
                        const char *url, char **ret, struct error_message *ret_error) {
        _cleanup_free_ char *yaml = NULL;
        char *buf = NULL;
        size_t size = 0;
        FILE *f;
        int r;

        if (!sign_node_name_valid(node) || strlen(key_hex) != SIGN_KEY_HEX_LEN) {
                error_set(ret_error, "bad node name or key");
                return -EINVAL;
        }
        if (url && !url_valid(url)) {
                error_set(ret_error, "--url %s: not an http(s) URL", url);
                return -EINVAL;
        }
        r = inventory_render_host(inv, node, cloud_config_node_vars, &yaml);
        if (r < 0) {
                error_set(ret_error, "node \"%s\": %s", node,
                          r == -ENOENT ? "not in the inventory" : strerror(-r));
                return r;
        }
        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        fprintf(f,
                "#cloud-config\n"
                "# onepci user-data for node %s.  It holds the node's key: keep it secret.\n"
                "write_files:\n"
                "  - path: /etc/onepci/node.key\n"
                "    owner: root:root\n"
                "    permissions: '0600'\n"
                "    content: |\n"
                "      %s\n"
                "  - path: /etc/onepci/inventory.yml\n"
                "    owner: root:root\n"
                "    permissions: '0600'\n"
                "    content: |\n",
                node, key_hex);
        put_block(f, yaml);
        if (url)
                fprintf(f,
                        "  - path: /etc/default/onepci-agent\n"
                        "    owner: root:root\n"
                        "    permissions: '0644'\n"
                        "    content: |\n"
                        "      ONEPCI_AGENT_OPTS=\"--host %s\"\n"
                        "      ONEPCI_REGISTER_OPTS=\"--registrar %s\"\n",
                        node, url);
        if (fclose(f) != 0) {
                free(buf);
                return -ENOMEM;
        }
        *ret = buf;
        return 0;
}
