/* SPDX-License-Identifier: Apache-2.0 */
/* cloud-config user-data: the node's key and only its part of the inventory. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cloud-config.h"
#include "error-message.h"
#include "inventory.h"

static const char inv_text[] = "all:\n"
                               "  vars:\n"
                               "    one_pass: opennebulapass\n"
                               "    one_version: '7.0'\n"
                               "frontend:\n"
                               "  hosts:\n"
                               "    f1: { ansible_host: 192.168.122.2 }\n"
                               "node:\n"
                               "  hosts:\n"
                               "    n1:\n"
                               "      ansible_host: 192.168.122.3\n"
                               "      pci_devices:\n"
                               "        - address: \"0000:09:00.0\"\n"
                               "      secret_token: nope\n"
                               "    n2:\n"
                               "      ansible_host: 192.168.122.4\n";

#define KEY "d70fff7fa24912f3a06caec17c3f64d36010c634c33f04412a8681b72b730b68"

static void test_render(void **state) {
        struct inventory *inv = NULL;
        struct error_message err = {};
        char *out = NULL, reason[256] = "";

        assert_int_equal(
                inventory_load_buffer(inv_text, strlen(inv_text), "inv.yml", NULL, &inv, &err), 0);
        assert_int_equal(cloud_config_render(inv, "n1", KEY, "http://192.168.122.2:8474", &out,
                                             reason, sizeof(reason)),
                         0);
        assert_true(strncmp(out, "#cloud-config\n", 14) == 0);
        assert_non_null(strstr(out, "  - path: /etc/onepci/node.key\n"));
        assert_non_null(strstr(out, "    permissions: '0600'\n    content: |\n      " KEY "\n"));
        assert_non_null(strstr(out, "/etc/onepci/inventory.yml"));
        assert_non_null(strstr(out, "192.168.122.3"));
        assert_non_null(strstr(out, "0000:09:00.0"));
        assert_non_null(strstr(out, "--registrar http://192.168.122.2:8474"));
        /* nothing else of the inventory */
        assert_null(strstr(out, "opennebulapass"));
        assert_null(strstr(out, "one_pass"));
        assert_null(strstr(out, "secret_token"));
        assert_null(strstr(out, "n2"));
        assert_null(strstr(out, "192.168.122.4"));
        assert_null(strstr(out, "f1"));
        free(out);

        assert_int_equal(cloud_config_render(inv, "n9", KEY, NULL, &out, reason, sizeof(reason)),
                         -ENOENT);
        assert_int_equal(
                cloud_config_render(inv, "n1", KEY, "http://x\"; rm", &out, reason, sizeof(reason)),
                -EINVAL);
        assert_int_equal(
                cloud_config_render(inv, "n1", KEY, "ftp://x", &out, reason, sizeof(reason)),
                -EINVAL);
        inventory_free(inv);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_render),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
