/* SPDX-License-Identifier: Apache-2.0 */
/* Registrar settings: defaults, every key, errors with line numbers. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "registrar-config.h"

/* reason (256 bytes) gets "FILE:LINE: text", as the program logs it. */
static int parse(struct registrar_config *c, const char *text, char *reason) {
        struct error_message err = {};
        int r = config_parse_buffer(c, text, strlen(text), "registrar.yml", &err);

        if (err.line > 0)
                snprintf(reason, 256, "%.60s:%u: %.150s", err.file, err.line, err.text);
        else
                snprintf(reason, 256, "%.250s", err.text);
        return r;
}

static void test_defaults(void **state) {
        struct registrar_config c;

        assert_int_equal(config_init(&c), 0);
        assert_string_equal(c.listen, "0.0.0.0:8474");
        assert_string_equal(c.remotes_dir, "/var/lib/one/remotes/etc/im");
        assert_string_equal(c.sync_command, "onehost sync --force");
        assert_int_equal(c.filter_mode, FILTER_MODE_AUTO);
        assert_true(c.protect_clusters);
        assert_false(c.create_hosts);
        assert_int_equal(c.cluster_id, -1);
        assert_int_equal(c.forceupdate_pause_ms, 500);
        assert_int_equal(c.max_connections, 1024);
        assert_int_equal(c.max_connections_per_ip, 64);
        assert_null(c.inventory);
        assert_null(c.tls_cert);
        config_done(&c);
}

static void test_file(void **state) {
        struct registrar_config c;
        char reason[256] = "";
        const char *text = "---\n"
                           "# comment\n"
                           "listen: 127.0.0.1:9000   # trailing comment\n"
                           "\n"
                           "secret-file: '/etc/x/secret'\n"
                           "remotes_dir: \"/srv/remotes\"\n"
                           "sync-command: /usr/bin/onehost sync -f\n"
                           "filter-mode: addresses\n"
                           "protect-clusters: no\n"
                           "create-hosts: yes\n"
                           "cluster-id: 100\n"
                           "im-mad: qemu\n"
                           "tls-cert: /etc/c.pem\n"
                           "tls-key: /etc/k.pem\n"
                           "inventory: /etc/inv.yml\n"
                           "forceupdate-pause-ms: 0\n"
                           "threads: 4\n"
                           "max_connections_per_ip: 0\n";

        assert_int_equal(config_init(&c), 0);
        assert_int_equal(parse(&c, text, reason), 0);
        assert_string_equal(c.listen, "127.0.0.1:9000");
        assert_string_equal(c.secret_file, "/etc/x/secret");
        assert_string_equal(c.remotes_dir, "/srv/remotes");
        assert_string_equal(c.sync_command, "/usr/bin/onehost sync -f");
        assert_int_equal(c.filter_mode, FILTER_MODE_ADDRESSES);
        assert_false(c.protect_clusters);
        assert_true(c.create_hosts);
        assert_int_equal(c.cluster_id, 100);
        assert_string_equal(c.im_mad, "qemu");
        assert_string_equal(c.tls_cert, "/etc/c.pem");
        assert_string_equal(c.inventory, "/etc/inv.yml");
        assert_true(c.inventory_set);
        assert_int_equal(c.forceupdate_pause_ms, 0);
        assert_int_equal(c.threads, 4);
        assert_int_equal(c.max_connections_per_ip, 0);
        config_done(&c);
}

static void expect_error(const char *text, const char *want) {
        struct registrar_config c;
        char reason[256] = "";

        assert_int_equal(config_init(&c), 0);
        assert_true(parse(&c, text, reason) < 0);
        if (!strstr(reason, want))
                fail_msg("reason \"%s\" lacks \"%s\"", reason, want);
        config_done(&c);
}

static void test_errors(void **state) {
        expect_error("listen: 1.2.3.4:1\nbogus: 1\n", "registrar.yml:2: unknown key \"bogus\"");
        expect_error("# c\n\nfilter-mode: all\n", "registrar.yml:3: filter-mode");
        expect_error("listen: nowhere\n", "registrar.yml:1: listen");
        expect_error("listen: 1.2.3.4:70000\n", "registrar.yml:1: listen");
        expect_error("threads: 0\n", "registrar.yml:1: threads");
        expect_error("threads: 4x\n", "registrar.yml:1: threads");
        expect_error("threads: -4\n", "registrar.yml:1: threads");
        expect_error("max-connections-per-ip: 65537\n", "registrar.yml:1: max-connections-per-ip");
        expect_error("protect-clusters: maybe\n", "registrar.yml:1: protect-clusters");
        expect_error("cluster-id: -2\n", "registrar.yml:1: cluster-id");
        expect_error("x\n", "registrar.yml:1: not \"key: value\"");
        expect_error("threads: 1\n  b: 2\n", "registrar.yml:2: indented");
        expect_error("\n\n\nlisten: [a, b]\n", "registrar.yml:4: listen: unsupported");
        expect_error("secret-file:\n", "registrar.yml:1: secret-file: empty");
}

static void test_flags_and_listen(void **state) {
        struct registrar_config c;
        struct error_message err = {};
        char *host = NULL;
        unsigned port;

        assert_int_equal(config_init(&c), 0);
        assert_int_equal(config_set(&c, "create-hosts", "yes", &err), 0);
        assert_true(c.create_hosts);
        assert_int_equal(config_set(&c, "nope", "1", &err), -ENOENT);
        assert_string_equal(err.text, "unknown key \"nope\"");
        config_done(&c);

        assert_int_equal(config_split_listen("[::1]:8474", &host, &port), 0);
        assert_string_equal(host, "::1");
        assert_int_equal(port, 8474);
        free(host);
        assert_int_equal(config_split_listen("0.0.0.0:8474", &host, &port), 0);
        assert_string_equal(host, "0.0.0.0");
        free(host);
        assert_int_equal(config_split_listen("::1:8474", &host, &port), -EINVAL);
        assert_int_equal(config_split_listen(":8474", &host, &port), -EINVAL);
        assert_int_equal(config_split_listen("a:0", &host, &port), -EINVAL);
}

static void test_missing_file_is_defaults(void **state) {
        struct registrar_config c;
        struct error_message err = {};

        assert_int_equal(config_init(&c), 0);
        assert_int_equal(config_load_file(&c, "/nonexistent/registrar.yml", false, &err), 0);
        assert_string_equal(c.listen, "0.0.0.0:8474");
        assert_int_equal(config_load_file(&c, "/nonexistent/registrar.yml", true, &err), -ENOENT);
        config_done(&c);
}

/* A reload keeps what only a restart can change, and says which. */
static void test_keep_fixed(void **state) {
        struct registrar_config running, fresh;
        _cleanup_free_ char *changed = NULL, *none = NULL;

        assert_int_equal(config_init(&running), 0);
        assert_int_equal(config_init(&fresh), 0);
        assert_int_equal(config_set(&fresh, "listen", "127.0.0.1:1", NULL), 0);
        assert_int_equal(config_set(&fresh, "threads", "3", NULL), 0);
        assert_int_equal(config_set(&fresh, "tls-cert", "/c.pem", NULL), 0);
        assert_int_equal(config_set(&fresh, "filter-mode", "ids", NULL), 0);
        assert_int_equal(config_set(&fresh, "retry-after", "7", NULL), 0);
        assert_int_equal(config_keep_fixed(&fresh, &running, &changed), 0);
        assert_string_equal(changed, "listen, tls-cert, threads");
        assert_string_equal(fresh.listen, "0.0.0.0:8474");
        assert_null(fresh.tls_cert);
        assert_int_equal(fresh.threads, 16);
        /* what a reload may change is changed */
        assert_int_equal(fresh.filter_mode, FILTER_MODE_IDS);
        assert_int_equal(fresh.retry_after_s, 7);
        assert_int_equal(config_keep_fixed(&fresh, &running, &none), 0);
        assert_string_equal(none, "");
        config_done(&fresh);
        config_done(&running);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_file),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_keep_fixed),
                cmocka_unit_test(test_flags_and_listen),
                cmocka_unit_test(test_missing_file_is_defaults),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
