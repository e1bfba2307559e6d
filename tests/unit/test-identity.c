/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "context.h"
#include "fileio.h"
#include "identity.h"
#include "error-message.h"
#include "inventory.h"
#include "macros.h"
#include "test-root.h"

#define INVENTORY FIXTURES_DIR "/demo/inventory.yml"

/* A fake root with optional etc/hostname and cloud-init instance data. */
static char *make_root(const char *hostname, const char *instance_data) {
        char tmpl[] = "/tmp/onepci-identity-XXXXXX";
        assert_non_null(mkdtemp(tmpl));
        char path[256];
        if (hostname) {
                snprintf(path, sizeof(path), "%s/etc", tmpl);
                assert_int_equal(mkdir_parents(path, 0755), 0);
                snprintf(path, sizeof(path), "%s/etc/hostname", tmpl);
                assert_int_equal(write_file_atomic(path, hostname, strlen(hostname), 0644), 0);
        }
        if (instance_data) {
                snprintf(path, sizeof(path), "%s/run/cloud-init", tmpl);
                assert_int_equal(mkdir_parents(path, 0755), 0);
                snprintf(path, sizeof(path), "%s/run/cloud-init/instance-data.json", tmpl);
                assert_int_equal(
                        write_file_atomic(path, instance_data, strlen(instance_data), 0644), 0);
        }
        return strdup(tmpl);
}

static struct identity_facts *collect(const char *root, const char *host) {
        struct onepci_context *ctx = NULL;
        struct identity_facts *facts = NULL;
        assert_int_equal(onepci_context_new(root, &ctx), 0);
        assert_false(ctx->live);
        assert_int_equal(identity_collect(ctx, host, &facts), 0);
        onepci_context_free(ctx);
        return facts;
}

static struct inventory *load_with(struct identity_facts *facts, const char *yaml) {
        struct inventory *inv = NULL;
        struct error_message err = {0};
        struct inventory_load_options o = {.keep_host = identity_keep_host, .userdata = facts};
        int r = yaml ? inventory_load_buffer(yaml, strlen(yaml), "t.yml", &o, &inv, &err)
                     : inventory_load(INVENTORY, &o, &inv, &err);
        assert_int_equal(r, 0);
        return inv;
}

/* Resolves and checks the answer (NULL: expect failure with code r). */
static char *resolve(struct identity_facts *facts, struct inventory *inv, int expect,
                     const char *expect_name) {
        char *name = NULL, *msg = NULL;
        int r = identity_resolve(facts, inv, &name, &msg);
        assert_int_equal(r, expect);
        if (expect == 0) {
                assert_string_equal(name, expect_name);
                assert_null(msg);
                free(name);
                return NULL;
        }
        assert_null(name);
        assert_non_null(msg);
        return msg;
}

static void test_given_host_only(void **state) {
        char *root = make_root("n1\n", "{\"v1\": {\"local_hostname\": \"n2\"}}");
        struct identity_facts *facts = collect(root, "n3");
        assert_int_equal(facts->n_candidates, 1);
        assert_int_equal(facts->candidates[0].source, IDENTITY_GIVEN);
        struct inventory *inv = load_with(facts, NULL);
        resolve(facts, inv, 0, "n3");
        /* Only n3's variables were kept. */
        assert_false(inventory_host_kept(inv, 1));
        assert_false(inventory_host_kept(inv, 2));
        assert_true(inventory_host_kept(inv, 3));
        inventory_free(inv);
        identity_facts_free(facts);

        /* A given name that is not there: no fallback to the hostname. */
        facts = collect(root, "n9");
        inv = load_with(facts, NULL);
        char *msg = resolve(facts, inv, -ENOENT, NULL);
        assert_non_null(strstr(msg, "--host \"n9\""));
        assert_non_null(strstr(msg, "n1 (ansible_host 192.168.122.3)"));
        free(msg);
        inventory_free(inv);
        identity_facts_free(facts);
        test_root_remove(root);
}

static void test_cloud_init_before_hostname(void **state) {
        char *root = make_root("n1.example.com\n", "{\"v1\": {\"local_hostname\": \"n2\"}}");
        struct identity_facts *facts = collect(root, NULL);
        assert_int_equal(facts->n_candidates, 3);
        assert_int_equal(facts->candidates[0].source, IDENTITY_CLOUD_INIT);
        assert_string_equal(facts->candidates[0].value, "n2");
        assert_int_equal(facts->candidates[1].source, IDENTITY_HOSTNAME);
        assert_string_equal(facts->candidates[1].value, "n1.example.com");
        assert_string_equal(facts->candidates[2].value, "n1");
        struct inventory *inv = load_with(facts, NULL);
        resolve(facts, inv, 0, "n2");
        inventory_free(inv);
        identity_facts_free(facts);
        test_root_remove(root);
}

static void test_hostname_fallback(void **state) {
        /* Broken instance data is ignored; the short hostname matches. */
        char *root = make_root("  N1.example.com  \nignored\n", "{not json");
        struct identity_facts *facts = collect(root, NULL);
        assert_int_equal(facts->n_candidates, 2);
        struct inventory *inv = load_with(facts, NULL);
        resolve(facts, inv, 0, "n1"); /* case-insensitive */
        assert_true(inventory_host_kept(inv, 1));
        assert_false(inventory_host_kept(inv, 2));
        inventory_free(inv);
        identity_facts_free(facts);
        test_root_remove(root);

        /* A fully qualified cloud-init name also offers its first label. */
        root = make_root(NULL, "{\"v1\": {\"local_hostname\": \"n2.dc.example\"}}");
        facts = collect(root, NULL);
        assert_int_equal(facts->n_candidates, 2);
        assert_string_equal(facts->candidates[1].value, "n2");
        assert_int_equal(facts->candidates[1].source, IDENTITY_CLOUD_INIT);
        inv = load_with(facts, NULL);
        resolve(facts, inv, 0, "n2");
        inventory_free(inv);
        identity_facts_free(facts);
        test_root_remove(root);

        /* cloud-init names a host not in the inventory: next source. */
        root = make_root("n3", "{\"v1\": {\"local_hostname\": \"other\"}}");
        facts = collect(root, NULL);
        inv = load_with(facts, NULL);
        resolve(facts, inv, 0, "n3");
        inventory_free(inv);
        identity_facts_free(facts);
        test_root_remove(root);
}

static void test_ambiguous(void **state) {
        char *root = make_root("n1.example.com\n", NULL);
        struct identity_facts *facts = collect(root, NULL);
        struct inventory *inv = load_with(facts, "node:\n  hosts:\n    n1:\n    n1.example.com:\n"
                                                 "    n2:\n");
        char *msg = resolve(facts, inv, -ENOTUNIQ, NULL);
        assert_non_null(strstr(msg, "n1 and n1.example.com"));
        assert_non_null(strstr(msg, "hostname \"n1.example.com\", hostname \"n1\""));
        assert_non_null(strstr(msg, "--host"));
        free(msg);
        inventory_free(inv);
        identity_facts_free(facts);
        test_root_remove(root);
}

/* Hosts that differ only in case are different hosts for Ansible: the name
 * written exactly wins; a name matching both only by case is ambiguous. */
static void test_case_differs(void **state) {
        const char *yaml = "node:\n  hosts:\n    gpu1: {x: a}\n    GPU1: {x: b}\n";
        const char *given[] = {"gpu1", "GPU1"};
        for (size_t i = 0; i < ELEMENTSOF(given); i++) {
                struct identity_facts *facts = calloc(1, sizeof(*facts));
                assert_non_null(facts);
                assert_int_equal(identity_add(facts, IDENTITY_GIVEN, given[i]), 0);
                struct inventory *inv = load_with(facts, yaml);
                resolve(facts, inv, 0, given[i]);
                inventory_free(inv);
                identity_facts_free(facts);
        }
        struct identity_facts *facts = calloc(1, sizeof(*facts));
        assert_non_null(facts);
        assert_int_equal(identity_add(facts, IDENTITY_GIVEN, "Gpu1"), 0);
        struct inventory *inv = load_with(facts, yaml);
        free(resolve(facts, inv, -ENOTUNIQ, NULL));
        inventory_free(inv);
        identity_facts_free(facts);
}

static void test_address(void **state) {
        char *root = make_root(NULL, NULL);
        struct identity_facts *facts = collect(root, NULL);
        /* A non-live root: no hostname, no addresses of the running machine. */
        assert_int_equal(facts->n_candidates, 0);
        struct inventory *inv = load_with(facts, NULL);
        char *msg = resolve(facts, inv, -ENOENT, NULL);
        assert_non_null(strstr(msg, "tried none"));
        assert_non_null(strstr(msg, "f1 (ansible_host 192.168.122.2), n1"));
        free(msg);
        inventory_free(inv);

        assert_int_equal(identity_add(facts, IDENTITY_ADDRESS, "192.168.122.4"), 0);
        assert_int_equal(identity_add(facts, IDENTITY_ADDRESS, "192.168.122.4"), 0);
        assert_int_equal(facts->n_candidates, 1);
        inv = load_with(facts, NULL);
        resolve(facts, inv, 0, "n2");
        assert_true(inventory_host_kept(inv, 2));
        assert_false(inventory_host_kept(inv, 1));
        inventory_free(inv);

        /* A hostname match is trusted before an address match. */
        assert_int_equal(identity_add(facts, IDENTITY_HOSTNAME, "n3"), 0);
        inv = load_with(facts, NULL);
        resolve(facts, inv, 0, "n3");
        inventory_free(inv);

        /* Two hosts with this address. */
        identity_facts_free(facts);
        facts = collect(root, NULL);
        assert_int_equal(identity_add(facts, IDENTITY_ADDRESS, "10.0.0.1"), 0);
        inv = load_with(facts, "g:\n  hosts:\n    a: {ansible_host: 10.0.0.1}\n"
                               "    b: {ansible_host: 10.0.0.1}\n");
        msg = resolve(facts, inv, -ENOTUNIQ, NULL);
        assert_non_null(strstr(msg, "by address: a and b"));
        free(msg);
        inventory_free(inv);
        identity_facts_free(facts);
        test_root_remove(root);
}

static void test_many_hosts_listed_briefly(void **state) {
        char yaml[8192];
        char *p = yaml;
        p += sprintf(p, "g:\n  hosts:\n");
        for (int i = 0; i < 30; i++)
                p += sprintf(p, "    h%02d:\n", i);
        struct identity_facts *facts = calloc(1, sizeof(*facts));
        assert_int_equal(identity_add(facts, IDENTITY_GIVEN, "zz"), 0);
        struct inventory *inv = load_with(facts, yaml);
        char *msg = resolve(facts, inv, -ENOENT, NULL);
        assert_non_null(strstr(msg, "h19 and 10 more"));
        assert_null(strstr(msg, "h20"));
        free(msg);
        inventory_free(inv);
        identity_facts_free(facts);
}

static void test_live_collects_hostname(void **state) {
        struct onepci_context *ctx = NULL;
        struct identity_facts *facts = NULL;
        char name[256];
        assert_int_equal(onepci_context_new("/", &ctx), 0);
        assert_int_equal(identity_collect(ctx, NULL, &facts), 0);
        assert_int_equal(gethostname(name, sizeof(name)), 0);
        bool found = false;
        for (size_t i = 0; i < facts->n_candidates; i++) {
                if (facts->candidates[i].source == IDENTITY_HOSTNAME &&
                    STREQ(facts->candidates[i].value, name))
                        found = true;
                /* Loopback is never an identity. */
                if (facts->candidates[i].source == IDENTITY_ADDRESS)
                        assert_string_not_equal(facts->candidates[i].value, "127.0.0.1");
        }
        assert_true(found);
        identity_facts_free(facts);
        onepci_context_free(ctx);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_given_host_only),
                cmocka_unit_test(test_cloud_init_before_hostname),
                cmocka_unit_test(test_hostname_fallback),
                cmocka_unit_test(test_ambiguous),
                cmocka_unit_test(test_case_differs),
                cmocka_unit_test(test_address),
                cmocka_unit_test(test_many_hosts_listed_briefly),
                cmocka_unit_test(test_live_collects_hostname),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
