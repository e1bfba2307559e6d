/* SPDX-License-Identifier: Apache-2.0 */
/* Where the registrar is: --registrar, pci_registrar_url, the frontend group. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "host-config.h"
#include "inventory.h"
#include "macros.h"
#include "registrar-url.h"

static const char inventory_yaml[] =
        "frontend:\n"
        "  hosts:\n"
        "    f1: { ansible_host: 192.168.122.2 }\n"
        "    f2: { ansible_host: 192.168.122.9 }\n"
        "node:\n"
        "  hosts:\n"
        "    n1: { ansible_host: 192.168.122.3 }\n";

static void resolve(const char *flag, const struct host_config *cfg, const char *yaml,
                    int expect, const char *expect_url) {
        struct inventory *inv = NULL;
        struct error_message inv_err;
        struct error_message err = { 0 };
        char *url = NULL;

        if (yaml)
                assert_int_equal(inventory_load_buffer(yaml, strlen(yaml), "inv.yml", NULL,
                                                       &inv, &inv_err), 0);
        assert_int_equal(registrar_url_resolve(flag, cfg, inv, &url, &err), expect);
        if (expect == 0) {
                assert_string_equal(url, expect_url);
                assert_false(error_is_set(&err));
        } else {
                assert_null(url);
                assert_true(error_is_set(&err));
        }
        free(url);
        inventory_free(inv);
}

static void test_resolve_url(void **state) {
        struct host_config cfg = { .name = (char *)"n1",
                                   .registrar_url = (char *)"https://fe.example:9000/" };
        struct host_config plain = { .name = (char *)"n1" };

        /* --registrar wins, then pci_registrar_url, then the frontend group. */
        resolve("http://10.0.0.1:8474", &cfg, inventory_yaml, 0, "http://10.0.0.1:8474");
        resolve(NULL, &cfg, inventory_yaml, 0, "https://fe.example:9000");
        resolve("", &plain, inventory_yaml, 0, "http://192.168.122.2:8474");
        resolve(NULL, &plain, "frontend:\n  hosts:\n    fe1:\n", 0, "http://fe1:8474");
        resolve(NULL, &plain, "frontend:\n  hosts:\n    fe1: { ansible_host: 'fd00::2' }\n", 0,
                "http://[fd00::2]:8474");
        resolve("http://[fd00::2]:8474", NULL, NULL, 0, "http://[fd00::2]:8474");
        resolve(NULL, &plain, "node:\n  hosts:\n    n1:\n", -ENOENT, NULL);
        resolve(NULL, &plain, NULL, -ENOENT, NULL);

        const char *bad[] = { "ftp://fe:8474", "http://", "http://fe:0", "http://fe:70000",
                              "http://fe:84a", "http://user@fe:8474", "http://fe:8474/v1",
                              "http://fe:8474?x=1", "http://fe fe", "http://[::1", "fe:8474" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                resolve(bad[i], NULL, NULL, -EINVAL, NULL);
        /* A bad pci_registrar_url is reported, not skipped. */
        cfg.registrar_url = (char *)"http://fe/path";
        resolve(NULL, &cfg, inventory_yaml, -EINVAL, NULL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_resolve_url),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
