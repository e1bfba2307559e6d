/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test-root.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "macros.h"

char *test_root_new(void) {
        char tmpl[] = "/tmp/onepci-test-XXXXXX";
        assert_non_null(mkdtemp(tmpl));
        char *root = strdup(tmpl);
        assert_non_null(root);
        return root;
}

char *test_root_copy(const char *fixture) {
        char *root = test_root_new();
        _cleanup_free_ char *cmd = NULL;
        assert_true(asprintf(&cmd, "cp -a '%s/.' '%s/'", fixture, root) > 0);
        assert_int_equal(system(cmd), 0);
        return root;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

void test_root_remove(char *root) {
        assert_int_equal(nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
        free(root);
}

static void make_parent(const char *path) {
        _cleanup_free_ char *dir = strdup(path);
        assert_non_null(dir);
        *strrchr(dir, '/') = '\0';
        assert_int_equal(mkdir_parents(dir, 0755), 0);
}

void test_root_put(const char *root, const char *rel, const char *content) {
        _cleanup_free_ char *p = path_join(root, rel);
        make_parent(p);
        FILE *f = fopen(p, "we");
        assert_non_null(f);
        fputs(content, f);
        assert_int_equal(fclose(f), 0);
}

void test_root_link(const char *root, const char *rel, const char *target) {
        _cleanup_free_ char *p = path_join(root, rel);
        make_parent(p);
        (void)unlink(p);
        assert_int_equal(symlink(target, p), 0);
}
