/* SPDX-License-Identifier: Apache-2.0 */
/* Registrar-side authentication: secret file, window, replay, wrong key,
 * wrong node. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "auth.h"
#include "fileio.h"

static uint8_t secret[AUTH_SECRET_LEN];
static const char body[] = "{\"schema\":1}";
#define PATH "/v1/hosts/n1/pci"
#define NOW 1700000000

static void signed_header(const char *node, int64_t ts, const char *nonce, const char *path,
                          char header[SIGN_HEADER_MAX]) {
        char key[SIGN_KEY_HEX_LEN + 1];

        assert_int_equal(sign_derive_node_key(secret, sizeof(secret), node, key), 0);
        assert_int_equal(
                sign_request(key, node, "PUT", path, ts, nonce, body, strlen(body), header), 0);
}

static enum auth_result check(struct auth *a, const char *header, const char *path_node,
                              int64_t now) {
        char node[SIGN_NODE_MAX + 1];

        return auth_check(a, header, "PUT", PATH, path_node, body, strlen(body), now, node);
}

static void test_window(void **state) {
        struct auth *a = NULL;
        char h[SIGN_HEADER_MAX];

        assert_int_equal(auth_new(secret, 300, 16, &a), 0);
        signed_header("n1", NOW - 300, "00000000000000000000000000000001", PATH, h);
        assert_int_equal(check(a, h, "n1", NOW), AUTH_OK);
        signed_header("n1", NOW + 300, "00000000000000000000000000000002", PATH, h);
        assert_int_equal(check(a, h, "n1", NOW), AUTH_OK);
        signed_header("n1", NOW - 301, "00000000000000000000000000000003", PATH, h);
        assert_int_equal(check(a, h, "n1", NOW), AUTH_CLOCK_SKEW);
        signed_header("n1", NOW + 301, "00000000000000000000000000000004", PATH, h);
        assert_int_equal(check(a, h, "n1", NOW), AUTH_CLOCK_SKEW);
        /* hours off */
        signed_header("n1", NOW - 7200, "00000000000000000000000000000005", PATH, h);
        assert_int_equal(check(a, h, "n1", NOW), AUTH_CLOCK_SKEW);
        auth_free(a);
}

static void test_replay(void **state) {
        struct auth *a = NULL;
        char h[SIGN_HEADER_MAX], h2[SIGN_HEADER_MAX];

        assert_int_equal(auth_new(secret, 300, 2, &a), 0);
        signed_header("n1", NOW, "0000000000000000000000000000000a", PATH, h);
        assert_int_equal(check(a, h, "n1", NOW), AUTH_OK);
        assert_int_equal(check(a, h, "n1", NOW + 10), AUTH_REPLAY);
        /* the same nonce from another node is another request */
        signed_header("n2", NOW, "0000000000000000000000000000000a", "/v1/hosts/n2/pci", h2);
        char node[SIGN_NODE_MAX + 1];
        assert_int_equal(
                auth_check(a, h2, "PUT", "/v1/hosts/n2/pci", "n2", body, strlen(body), NOW, node),
                AUTH_OK);
        signed_header("n1", NOW, "0000000000000000000000000000000b", PATH, h2);
        assert_int_equal(check(a, h2, "n1", NOW), AUTH_OK);
        /* n1's share (2 entries) is full of live nonces: refuse rather than forget */
        signed_header("n1", NOW, "0000000000000000000000000000000d", PATH, h2);
        assert_int_equal(check(a, h2, "n1", NOW), AUTH_BUSY);
        /* once the first ones left the window their slots are reused */
        signed_header("n1", NOW + 301, "0000000000000000000000000000000c", PATH, h2);
        assert_int_equal(check(a, h2, "n1", NOW + 301), AUTH_OK);
        /* and an old replay is refused by the window anyway */
        assert_int_equal(check(a, h, "n1", NOW + 400), AUTH_CLOCK_SKEW);
        auth_free(a);
}

/* Issue 12 item 1: one node's key floods the cache with requests stamped at
 * the far end of the window.  That node is refused once its share is full;
 * every other node is still served, and the flood's entries go as soon as
 * their time stamps leave the window. */
static void test_flood_fills_only_its_own_share(void **state) {
        struct auth *a = NULL;
        char h[SIGN_HEADER_MAX], nonce[SIGN_NONCE_HEX_LEN + 1], node[SIGN_NODE_MAX + 1];
        enum auth_result res = AUTH_OK;
        unsigned accepted = 0;

        assert_int_equal(auth_new(secret, 300, 64, &a), 0);
        for (unsigned i = 0; i < 1000 && res == AUTH_OK; i++) {
                snprintf(nonce, sizeof(nonce), "%032x", i);
                signed_header("n1", NOW + 299, nonce, PATH, h);
                res = check(a, h, "n1", NOW);
                accepted += res == AUTH_OK;
        }
        assert_int_equal(res, AUTH_BUSY);
        assert_int_equal(accepted, 64);
        /* every other node is served */
        for (unsigned i = 2; i < 200; i++) {
                char name[16], path[64];

                snprintf(name, sizeof(name), "n%u", i);
                snprintf(path, sizeof(path), "/v1/hosts/%s/pci", name);
                signed_header(name, NOW, "0000000000000000000000000000000f", path, h);
                assert_int_equal(auth_check(a, h, "PUT", path, name, body, strlen(body), NOW, node),
                                 AUTH_OK);
        }
        /* n1 again once the flood's time stamps left the window, not later */
        signed_header("n1", NOW + 598, "000000000000000000000000000000ff", PATH, h);
        assert_int_equal(check(a, h, "n1", NOW + 598), AUTH_BUSY);
        signed_header("n1", NOW + 600, "000000000000000000000000000000fe", PATH, h);
        assert_int_equal(check(a, h, "n1", NOW + 600), AUTH_OK);
        /* entries of nodes that went quiet are dropped, not kept forever */
        assert_true(auth_replay_entries(a) >= 64 + 198);
        for (unsigned i = 0; i < 4096; i++) {
                char name[16], path[64];

                snprintf(name, sizeof(name), "m%u", i % 64);
                snprintf(path, sizeof(path), "/v1/hosts/%s/pci", name);
                snprintf(nonce, sizeof(nonce), "%032x", 100000 + i);
                signed_header(name, NOW + 10000, nonce, path, h);
                assert_int_equal(
                        auth_check(a, h, "PUT", path, name, body, strlen(body), NOW + 10000, node),
                        AUTH_OK);
        }
        assert_true(auth_replay_entries(a) <= 4096);
        auth_free(a);
}

static void test_wrong_key_and_node(void **state) {
        struct auth *a = NULL;
        char h[SIGN_HEADER_MAX], node[SIGN_NODE_MAX + 1];
        uint8_t other[AUTH_SECRET_LEN] = {1};

        assert_int_equal(auth_new(other, 300, 16, &a), 0);
        signed_header("n1", NOW, "000000000000000000000000000000f1", PATH, h);
        assert_int_equal(check(a, h, "n1", NOW), AUTH_BAD_SIGNATURE);
        auth_free(a);

        assert_int_equal(auth_new(secret, 300, 16, &a), 0);
        /* n2 signs correctly but the path names n1 */
        signed_header("n2", NOW, "000000000000000000000000000000f2", PATH, h);
        assert_int_equal(auth_check(a, h, "PUT", PATH, "n1", body, strlen(body), NOW, node),
                         AUTH_WRONG_NODE);
        assert_string_equal(node, "n2");
        assert_int_equal(check(a, NULL, "n1", NOW), AUTH_MISSING);
        assert_int_equal(check(a, "", "n1", NOW), AUTH_MISSING);
        assert_int_equal(check(a, "Basic Zm9vOmJhcg==", "n1", NOW), AUTH_BAD_SIGNATURE);
        /* signature over another body */
        signed_header("n1", NOW, "000000000000000000000000000000f3", PATH, h);
        assert_int_equal(auth_check(a, h, "PUT", PATH, "n1", "{}", 2, NOW, node),
                         AUTH_BAD_SIGNATURE);
        auth_free(a);
        assert_string_equal(auth_result_to_string(AUTH_CLOCK_SKEW), "clock_skew");
}

static void test_secret_file(void **state) {
        char dir[] = "/tmp/test-auth-XXXXXX", path[256];
        struct error_message reason = {};
        uint8_t s1[AUTH_SECRET_LEN], s2[AUTH_SECRET_LEN];
        struct stat st;
        char *data = NULL;
        size_t len;

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/registrar.secret", dir);
        assert_int_equal(auth_secret_load(path, false, s1, &reason), -ENOENT);
        assert_int_equal(auth_secret_load(path, true, s1, &reason), 0);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal(read_file_bounded(path, 256, &data, &len), 0);
        assert_int_equal(len, 65);
        assert_int_equal(data[64], '\n');
        free(data);
        assert_int_equal(auth_secret_load(path, true, s2, &reason), 0);
        assert_memory_equal(s1, s2, sizeof(s1));
        /* never overwritten */
        assert_int_equal(auth_secret_create(path, &reason), -EEXIST);
        /* too open */
        assert_int_equal(chmod(path, 0644), 0);
        assert_int_equal(auth_secret_load(path, false, s2, &reason), -EPERM);
        assert_non_null(strstr(reason.text, "chmod 600"));
        unlink(path);
        /* garbage */
        assert_int_equal(write_file_atomic(path, "nothex\n", 7, 0600), 0);
        assert_int_equal(auth_secret_load(path, false, s2, &reason), -EINVAL);
        unlink(path);
        rmdir(dir);
}

int main(void) {
        for (size_t i = 0; i < sizeof(secret); i++)
                secret[i] = (uint8_t)(0xa0 + i);
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_window),
                cmocka_unit_test(test_replay),
                cmocka_unit_test(test_flood_fills_only_its_own_share),
                cmocka_unit_test(test_wrong_key_and_node),
                cmocka_unit_test(test_secret_file),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
