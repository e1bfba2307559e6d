/* SPDX-License-Identifier: Apache-2.0 */
/* The node key file: content and permissions. */
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

#include "macros.h"
#include "node-key.h"

#define KEY "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static void write_key(const char *path, const char *text, mode_t mode) {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
        assert_int_equal(chmod(path, mode), 0);
}

static void test_load_key(void **state) {
        char dir[] = "/tmp/test-node-key-XXXXXX", path[64];
        char key[SIGN_KEY_HEX_LEN + 1];
        struct error_message err = { 0 };

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/node.key", dir);

        write_key(path, KEY "\n", 0600);
        assert_int_equal(node_key_load(path, key, &err), 0);
        assert_string_equal(key, KEY);
        assert_false(error_is_set(&err));

        /* Any group or other bit is refused, as the registrar refuses its secret. */
        static const mode_t loose[] = {0640, 0620, 0610, 0604, 0602, 0601, 0660};
        for (size_t i = 0; i < ELEMENTSOF(loose); i++) {
                char mode[8];
                write_key(path, KEY, loose[i]);
                err = (struct error_message){0};
                assert_int_equal(node_key_load(path, key, &err), -EPERM);
                snprintf(mode, sizeof mode, "%04o", (unsigned)loose[i]);
                assert_non_null(strstr(err.text, mode));
        }
        write_key(path, KEY, 0400);
        assert_int_equal(node_key_load(path, key, &err), 0);

        write_key(path, KEY "\n", 0644);
        assert_int_equal(node_key_load(path, key, &err), -EPERM);
        assert_non_null(strstr(err.text, "0644"));

        write_key(path, "not a key\n", 0600);
        assert_int_equal(node_key_load(path, key, &err), -EINVAL);
        assert_true(error_is_set(&err));

        write_key(path, KEY "\n\nextra", 0600);
        assert_int_equal(node_key_load(path, key, &err), -EINVAL);
        assert_true(error_is_set(&err));

        unlink(path);
        assert_int_equal(node_key_load(path, key, &err), -ENOENT);
        assert_true(error_is_set(&err));
        assert_int_equal(node_key_load(dir, key, &err), -EINVAL);
        assert_true(error_is_set(&err));
        rmdir(dir);
}

/* A FIFO with no writer in the key's place: refused at once, not waited on
 * (the test's timeout would catch a hang). */
static void test_fifo_refused(void **state) {
        char dir[] = "/tmp/test-node-key-XXXXXX", path[64];
        char key[SIGN_KEY_HEX_LEN + 1];
        struct error_message err = {0};

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/node.key", dir);
        assert_int_equal(mkfifo(path, 0600), 0);
        alarm(10);
        assert_int_equal(node_key_load(path, key, &err), -EINVAL);
        alarm(0);
        assert_non_null(strstr(err.text, "not a regular file"));
        assert_int_equal(node_key_load("/dev/null", key, &err), -EINVAL);
        unlink(path);
        rmdir(dir);
}

static void test_key_hex_valid(void **state) {
        assert_true(node_key_hex_valid(KEY));
        assert_true(node_key_hex_valid("00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff"));
        assert_false(node_key_hex_valid(NULL));
        assert_false(node_key_hex_valid(""));
        assert_false(node_key_hex_valid(KEY "0"));
        assert_false(node_key_hex_valid("g0112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_load_key),
                cmocka_unit_test(test_fifo_refused),
                cmocka_unit_test(test_key_hex_valid),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
