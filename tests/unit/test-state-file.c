/* SPDX-License-Identifier: Apache-2.0 */
/* state-file.c: ROOT/var/lib/onepci/state.json and the inventory digest. */
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "cleanup-json.h"
#include "context.h"
#include "fileio.h"
#include "macros.h"
#include "state-file.h"

struct fixture {
        char dir[64];
        struct onepci_context *ctx;
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof(*f));
        assert_non_null(f);
        strcpy(f->dir, "/tmp/test-state-file-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        assert_int_equal(onepci_context_new(f->dir, &f->ctx), 0);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;
        onepci_context_free(f->ctx);
        nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(f);
        return 0;
}

static void put(struct fixture *f, const char *rel, const void *data, size_t len) {
        _cleanup_free_ char *path = ctx_path(f->ctx, rel);
        _cleanup_free_ char *dir = strdup(path);
        *strrchr(dir, '/') = '\0';
        assert_int_equal(mkdir_parents(dir, 0755), 0);
        FILE *fp = fopen(path, "w");
        assert_non_null(fp);
        assert_int_equal(fwrite(data, 1, len, fp), len);
        assert_int_equal(fclose(fp), 0);
}

static struct json_object *sample_state(const char *result) {
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "schema", json_object_new_int(1));
        json_object_object_add(o, "applied_at", json_object_new_string("2026-11-24T10:00:00Z"));
        json_object_object_add(o, "host", json_object_new_string("n1"));
        json_object_object_add(o, "inventory", json_object_new_string("/etc/onepci/inv.yml"));
        json_object_object_add(o, "result", json_object_new_string(result));
        struct json_object *devs = json_object_new_array();
        struct json_object *d = json_object_new_object();
        json_object_object_add(d, "address", json_object_new_string("0000:09:00.0"));
        json_object_object_add(d, "action", json_object_new_string("bind"));
        json_object_array_add(devs, d);
        json_object_object_add(o, "devices", devs);
        json_object_object_add(o, "rule_changed", json_object_new_boolean(1));
        return o;
}

static const char *get_str(struct json_object *o, const char *key) {
        struct json_object *v;
        assert_true(json_object_object_get_ex(o, key, &v));
        return json_object_get_string(v);
}

static void test_round_trip(void **state) {
        struct fixture *f = *state;
        _cleanup_json_ struct json_object *written = sample_state("succeeded");
        /* The directories do not exist yet. */
        assert_int_equal(state_file_write(f->ctx, written), 0);

        _cleanup_free_ char *path = ctx_path(f->ctx, STATE_FILE_PATH);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0644);

        _cleanup_json_ struct json_object *read = NULL;
        assert_int_equal(state_file_read(f->ctx, &read), 0);
        assert_true(json_object_equal(written, read));
        assert_string_equal(get_str(read, "inventory"), "/etc/onepci/inv.yml");

        /* Nothing but the state file in its directory (no temporary left). */
        _cleanup_free_ char *cmd = NULL;
        assert_true(asprintf(&cmd, "test \"$(ls -A '%s/var/lib/onepci')\" = state.json",
                             f->dir) > 0);
        assert_int_equal(system(cmd), 0);
}

static void test_overwrite(void **state) {
        struct fixture *f = *state;
        _cleanup_json_ struct json_object *first = sample_state("failed");
        _cleanup_json_ struct json_object *second = sample_state("succeeded");
        assert_int_equal(state_file_write(f->ctx, first), 0);
        assert_int_equal(state_file_write(f->ctx, second), 0);
        _cleanup_json_ struct json_object *read = NULL;
        assert_int_equal(state_file_read(f->ctx, &read), 0);
        assert_string_equal(get_str(read, "result"), "succeeded");
}

static void test_read_missing(void **state) {
        struct fixture *f = *state;
        struct json_object *read = NULL;
        assert_int_equal(state_file_read(f->ctx, &read), -ENOENT);
        assert_null(read);
}

static void test_read_rejects_damage(void **state) {
        struct fixture *f = *state;
        static const char *const bad[] = {
                "{\"schema\": 1, \"host\": \"n1\"",  /* truncated */
                "[1, 2]",                            /* not an object */
                "{\"schema\": 1} trailing",          /* garbage after it */
                "",                                  /* empty */
                "\"just a string\"",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                put(f, STATE_FILE_PATH, bad[i], strlen(bad[i]));
                struct json_object *read = NULL;
                assert_int_equal(state_file_read(f->ctx, &read), -EBADMSG);
                assert_null(read);
        }
        /* Trailing white space is fine. */
        put(f, STATE_FILE_PATH, "{\"schema\": 1}\n\n", 15);
        _cleanup_json_ struct json_object *ok = NULL;
        assert_int_equal(state_file_read(f->ctx, &ok), 0);
}

static void test_write_rejects_non_object(void **state) {
        struct fixture *f = *state;
        _cleanup_json_ struct json_object *arr = json_object_new_array();
        assert_int_equal(state_file_write(f->ctx, arr), -EINVAL);
        assert_int_equal(state_file_write(f->ctx, NULL), -EINVAL);
        _cleanup_free_ char *path = ctx_path(f->ctx, STATE_FILE_PATH);
        assert_false(path_exists(path));
}

static void digest_of(struct fixture *f, const void *data, size_t len, char hex[65]) {
        put(f, "blob", data, len);
        _cleanup_free_ char *path = ctx_path(f->ctx, "blob");
        assert_int_equal(file_sha256_hex(path, hex), 0);
}

static void test_sha256_known_vectors(void **state) {
        struct fixture *f = *state;
        char hex[65];
        digest_of(f, "", 0, hex);
        assert_string_equal(hex,
                            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        digest_of(f, "abc", 3, hex);
        assert_string_equal(hex,
                            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

        /* A million 'a': more than one read. */
        size_t n = 1000000;
        _cleanup_free_ char *big = malloc(n);
        assert_non_null(big);
        memset(big, 'a', n);
        digest_of(f, big, n, hex);
        assert_string_equal(hex,
                            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_sha256_missing(void **state) {
        struct fixture *f = *state;
        char hex[65];
        _cleanup_free_ char *path = ctx_path(f->ctx, "nope");
        assert_int_equal(file_sha256_hex(path, hex), -ENOENT);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
                cmocka_unit_test_setup_teardown(test_overwrite, setup, teardown),
                cmocka_unit_test_setup_teardown(test_read_missing, setup, teardown),
                cmocka_unit_test_setup_teardown(test_read_rejects_damage, setup, teardown),
                cmocka_unit_test_setup_teardown(test_write_rejects_non_object, setup, teardown),
                cmocka_unit_test_setup_teardown(test_sha256_known_vectors, setup, teardown),
                cmocka_unit_test_setup_teardown(test_sha256_missing, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
