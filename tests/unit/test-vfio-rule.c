/* SPDX-License-Identifier: Apache-2.0 */
/* vfio-rule.c: the rule's text, installing it under a root, /dev/vfio/N
 * state and the oneadmin group check from ROOT/etc files.  The live parts
 * (udevadm, the udev monitor) are exercised by the VM suite. */
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

#include "context.h"
#include "fileio.h"
#include "macros.h"
#include "vfio-rule.h"

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
        strcpy(f->dir, "/tmp/test-vfio-rule-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        assert_int_equal(onepci_context_new(f->dir, &f->ctx), 0);
        assert_false(f->ctx->live);
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

static void put(struct fixture *f, const char *rel, const char *content) {
        _cleanup_free_ char *path = ctx_path(f->ctx, rel);
        _cleanup_free_ char *dir = strdup(path);
        *strrchr(dir, '/') = '\0';
        assert_int_equal(mkdir_parents(dir, 0755), 0);
        FILE *fp = fopen(path, "w");
        assert_non_null(fp);
        fputs(content, fp);
        assert_int_equal(fclose(fp), 0);
}

static char *get(struct fixture *f, const char *rel) {
        _cleanup_free_ char *path = ctx_path(f->ctx, rel);
        char *data = NULL;
        assert_int_equal(read_file_bounded(path, 1 << 20, &data, NULL), 0);
        return data;
}

static bool ends_with(const char *s, const char *suffix) {
        size_t a = strlen(s), b = strlen(suffix);
        return a >= b && STREQ(s + a - b, suffix);
}

static void test_render_default(void **state) {
        _cleanup_free_ char *text = NULL;
        assert_int_equal(vfio_rule_render("kvm", 0660, &text), 0);
        assert_true(strncmp(text, "# Managed by onepci-agent", 25) == 0);
        assert_true(ends_with(text, "\nSUBSYSTEM==\"vfio\", GROUP=\"kvm\", MODE=\"0660\"\n"));
        /* Every other line is a comment: the rule is the only statement. */
        for (const char *line = text; *line;) {
                const char *nl = strchr(line, '\n');
                assert_non_null(nl);
                assert_true(line[0] == '#' || strncmp(line, "SUBSYSTEM==", 11) == 0);
                line = nl + 1;
        }
        assert_null(strstr(text, "EVERY"));
}

static void test_render_world_open_mode_warns(void **state) {
        _cleanup_free_ char *text = NULL;
        assert_int_equal(vfio_rule_render("oneadmin", 0666, &text), 0);
        assert_true(ends_with(text, "SUBSYSTEM==\"vfio\", GROUP=\"oneadmin\", MODE=\"0666\"\n"));
        assert_non_null(strstr(text, "EVERY local user"));
}

static void test_render_rejects_bad_values(void **state) {
        char *text = NULL;
        assert_int_equal(vfio_rule_render("", 0660, &text), -EINVAL);
        assert_int_equal(vfio_rule_render("kvm\", RUN+=\"/bin/sh", 0660, &text), -EINVAL);
        assert_int_equal(vfio_rule_render("-kvm", 0660, &text), -EINVAL);
        assert_int_equal(vfio_rule_render("kvm group", 0660, &text), -EINVAL);
        assert_int_equal(vfio_rule_render("kvm", 04660, &text), -EINVAL);
        assert_int_equal(vfio_rule_render("kvm", 01000, &text), -EINVAL);
        assert_null(text);
}

static void test_install_creates_then_leaves_alone(void **state) {
        struct fixture *f = *state;
        bool changed = false;
        assert_int_equal(vfio_rule_install(f->ctx, "kvm", 0660, &changed), 0);
        assert_true(changed);

        _cleanup_free_ char *path = ctx_path(f->ctx, VFIO_RULE_PATH);
        struct stat st1, st2;
        assert_int_equal(stat(path, &st1), 0);
        assert_int_equal(st1.st_mode & 07777, 0644);
        _cleanup_free_ char *want = NULL;
        assert_int_equal(vfio_rule_render("kvm", 0660, &want), 0);
        _cleanup_free_ char *got = get(f, VFIO_RULE_PATH);
        assert_string_equal(got, want);

        /* Same content: not rewritten (same inode, nothing reported). */
        assert_int_equal(vfio_rule_install(f->ctx, "kvm", 0660, &changed), 0);
        assert_false(changed);
        assert_int_equal(stat(path, &st2), 0);
        assert_int_equal(st1.st_ino, st2.st_ino);
}

static void test_install_replaces_other_content(void **state) {
        struct fixture *f = *state;
        /* What the replaced role wrote. */
        put(f, VFIO_RULE_PATH,
            "SUBSYSTEM==\"vfio\", OWNER=\"root\", GROUP=\"kvm\", MODE=\"0666\"\n");
        bool changed = false;
        assert_int_equal(vfio_rule_install(f->ctx, "kvm", 0660, &changed), 0);
        assert_true(changed);
        _cleanup_free_ char *got = get(f, VFIO_RULE_PATH);
        assert_true(ends_with(got, "GROUP=\"kvm\", MODE=\"0660\"\n"));

        assert_int_equal(vfio_rule_install(f->ctx, "kvm", 0666, &changed), 0);
        assert_true(changed);
        _cleanup_free_ char *got2 = get(f, VFIO_RULE_PATH);
        assert_true(ends_with(got2, "GROUP=\"kvm\", MODE=\"0666\"\n"));

        /* No temporary file is left beside it. */
        _cleanup_free_ char *dir = ctx_path(f->ctx, "etc/udev/rules.d");
        _cleanup_free_ char *cmd = NULL;
        assert_true(asprintf(&cmd, "test \"$(ls -A '%s')\" = 99-vfio.rules", dir) > 0);
        assert_int_equal(system(cmd), 0);
}

static void test_install_bad_group_writes_nothing(void **state) {
        struct fixture *f = *state;
        bool changed = true;
        assert_int_equal(vfio_rule_install(f->ctx, "k\"vm", 0660, &changed), -EINVAL);
        _cleanup_free_ char *path = ctx_path(f->ctx, VFIO_RULE_PATH);
        assert_false(path_exists(path));
}

static void test_node_stat(void **state) {
        struct fixture *f = *state;
        struct vfio_node_state st;
        assert_int_equal(vfio_node_stat(f->ctx, 7, &st), 0);
        assert_int_equal(st.group, 7);
        assert_false(st.present);
        assert_false(st.ok);

        put(f, "dev/vfio/7", "");
        _cleanup_free_ char *node = ctx_path(f->ctx, "dev/vfio/7");
        assert_int_equal(chmod(node, 0640), 0);
        assert_int_equal(vfio_node_stat(f->ctx, 7, &st), 0);
        assert_true(st.present);
        assert_int_equal(st.mode, 0640);
        assert_int_equal(st.gid, getegid());
        assert_false(st.ok);

        assert_int_equal(vfio_node_stat(f->ctx, -1, &st), -EINVAL);
}

static void test_node_stat_expected(void **state) {
        struct fixture *f = *state;
        _cleanup_free_ char *group = NULL;
        assert_true(asprintf(&group, "root:x:0:\nkvm:x:%u:oneadmin\n", (unsigned)getegid()) > 0);
        put(f, "etc/group", group);
        put(f, "dev/vfio/3", "");
        _cleanup_free_ char *node = ctx_path(f->ctx, "dev/vfio/3");
        assert_int_equal(chmod(node, 0660), 0);

        struct vfio_node_state st;
        assert_int_equal(vfio_node_stat_expected(f->ctx, 3, "kvm", 0660, &st), 0);
        assert_true(st.present);
        assert_true(st.ok);
        /* Wrong mode, unknown group, absent node: not ok. */
        assert_int_equal(vfio_node_stat_expected(f->ctx, 3, "kvm", 0600, &st), 0);
        assert_false(st.ok);
        assert_int_equal(vfio_node_stat_expected(f->ctx, 3, "nosuch", 0660, &st), 0);
        assert_false(st.ok);
        assert_int_equal(vfio_node_stat_expected(f->ctx, 4, "kvm", 0660, &st), 0);
        assert_false(st.present);
        assert_false(st.ok);
}

static void test_group_gid_from_root(void **state) {
        struct fixture *f = *state;
        put(f, "etc/group", "root:x:0:\nkvm:x:104:\nkvm2:x:abc:\nkv:x:9:\n");
        gid_t gid = 0;
        assert_int_equal(vfio_group_gid(f->ctx, "kvm", &gid), 0);
        assert_int_equal(gid, 104);
        assert_int_equal(vfio_group_gid(f->ctx, "nosuch", &gid), -ENOENT);
        assert_int_equal(vfio_group_gid(f->ctx, "kvm2", &gid), -EINVAL);
        assert_int_equal(vfio_group_gid(f->ctx, "k", &gid), -ENOENT);
}

static const char passwd[] = "root:x:0:0:root:/root:/bin/bash\n"
                             "oneadmin:x:9869:9869::/var/lib/one:/bin/bash\n";

static void test_oneadmin_missing(void **state) {
        struct fixture *f = *state;
        /* No passwd, or no oneadmin in it: nothing to warn about. */
        assert_false(vfio_oneadmin_missing_from_group(f->ctx, "kvm"));
        put(f, "etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");
        put(f, "etc/group", "kvm:x:104:\n");
        assert_false(vfio_oneadmin_missing_from_group(f->ctx, "kvm"));

        put(f, "etc/passwd", passwd);
        assert_true(vfio_oneadmin_missing_from_group(f->ctx, "kvm"));
        /* A longer name that contains it does not count. */
        put(f, "etc/group", "kvm:x:104:oneadmin2,xoneadmin\n");
        assert_true(vfio_oneadmin_missing_from_group(f->ctx, "kvm"));
        /* The group does not exist at all. */
        assert_true(vfio_oneadmin_missing_from_group(f->ctx, "vfio"));
}

static void test_oneadmin_member(void **state) {
        struct fixture *f = *state;
        put(f, "etc/passwd", passwd);
        put(f, "etc/group", "kvm:x:104:libvirt-qemu,oneadmin\n");
        assert_false(vfio_oneadmin_missing_from_group(f->ctx, "kvm"));
        put(f, "etc/group", "kvm:x:104:oneadmin,libvirt-qemu\n");
        assert_false(vfio_oneadmin_missing_from_group(f->ctx, "kvm"));
        /* Its primary group counts too. */
        put(f, "etc/group", "kvm:x:104:\noneadmin:x:9869:\n");
        assert_false(vfio_oneadmin_missing_from_group(f->ctx, "oneadmin"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_render_default),
                cmocka_unit_test(test_render_world_open_mode_warns),
                cmocka_unit_test(test_render_rejects_bad_values),
                cmocka_unit_test_setup_teardown(test_install_creates_then_leaves_alone, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_install_replaces_other_content, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_install_bad_group_writes_nothing, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_node_stat, setup, teardown),
                cmocka_unit_test_setup_teardown(test_node_stat_expected, setup, teardown),
                cmocka_unit_test_setup_teardown(test_group_gid_from_root, setup, teardown),
                cmocka_unit_test_setup_teardown(test_oneadmin_missing, setup, teardown),
                cmocka_unit_test_setup_teardown(test_oneadmin_member, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
