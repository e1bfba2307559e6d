/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "macros.h"

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

static int setup_dir(void **state) {
        char tmpl[] = "/tmp/onepci-fileio-XXXXXX";
        if (!mkdtemp(tmpl))
                return -1;
        *state = strdup(tmpl);
        return 0;
}

static int teardown_dir(void **state) {
        nftw(*state, rm_one, 8, FTW_DEPTH | FTW_PHYS);
        free(*state);
        return 0;
}

static char *in_dir(void **state, const char *name) {
        char *p = path_join(*state, name);
        assert_non_null(p);
        return p;
}

static void put(const char *path, const char *content) {
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        fputs(content, f);
        fclose(f);
}

static size_t count_entries(const char *dir) {
        DIR *d = opendir(dir);
        size_t n = 0;
        assert_non_null(d);
        for (struct dirent *e; (e = readdir(d));)
                if (!STREQ(e->d_name, ".") && !STREQ(e->d_name, ".."))
                        n++;
        closedir(d);
        return n;
}

static void test_read_file_bounded(void **state) {
        _cleanup_free_ char *p = in_dir(state, "f");
        char *data = NULL;
        size_t len = 0;
        put(p, "hello\n");
        assert_int_equal(read_file_bounded(p, 6, &data, &len), 0);
        assert_int_equal(len, 6);
        assert_string_equal(data, "hello\n");
        free(data);
        data = NULL;
        assert_int_equal(read_file_bounded(p, 5, &data, &len), -EFBIG);
        assert_null(data);

        /* Bigger than the first buffer, exactly at and just over the limit. */
        char *big = malloc(10001);
        memset(big, 'x', 10000);
        big[10000] = '\0';
        put(p, big);
        assert_int_equal(read_file_bounded(p, 10000, &data, &len), 0);
        assert_int_equal(len, 10000);
        assert_int_equal(strlen(data), 10000);
        free(data);
        assert_int_equal(read_file_bounded(p, 9999, &data, &len), -EFBIG);
        assert_int_equal(read_file_bounded(p, 4096, &data, &len), -EFBIG);
        free(big);

        put(p, "");
        assert_int_equal(read_file_bounded(p, 10, &data, NULL), 0);
        assert_string_equal(data, "");
        free(data);
        _cleanup_free_ char *missing = in_dir(state, "missing");
        assert_int_equal(read_file_bounded(missing, 10, &data, &len), -ENOENT);
}

/* Only regular files, and never a wait on a FIFO with no writer (a vars file
 * or state file in its place at boot). */
static void test_open_regular_file(void **state) {
        _cleanup_free_ char *file = in_dir(state, "f"), *fifo = in_dir(state, "fifo");
        _cleanup_free_ char *data = NULL;
        struct stat st;
        int fd, flags;

        assert_int_equal(write_file_atomic(file, "abc", 3, 0600), 0);
        fd = open_regular_file(file, &st);
        assert_true(fd >= 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(st.st_size, 3);
        flags = fcntl(fd, F_GETFL);
        assert_int_equal(flags & O_NONBLOCK, 0); /* blocking again */
        assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        close(fd);

        assert_int_equal(mkfifo(fifo, 0600), 0);
        alarm(10);
        assert_int_equal(open_regular_file(fifo, NULL), -EINVAL);
        alarm(0);
        /* read_file_bounded() (vars files, state file) takes what a FIFO
         * holds, nothing when it has no writer, without waiting for one. */
        alarm(10);
        assert_int_equal(read_file_bounded(fifo, 100, &data, NULL), 0);
        alarm(0);
        assert_string_equal(data, "");
        free(data);
        data = NULL;
        assert_int_equal(open_regular_file("/dev/null", NULL), -EINVAL);
        assert_int_equal(open_regular_file(*state, NULL), -EISDIR);
        assert_int_equal(read_file_bounded(*state, 100, &data, NULL), -EISDIR);
        assert_null(data);
}

static void test_read_attr(void **state) {
        _cleanup_free_ char *p = in_dir(state, "attr");
        char buf[8];
        put(p, "0x10de\n");
        assert_int_equal(read_attr(p, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "0x10de");
        /* Exactly fills the buffer, with and without its newline. */
        put(p, "1234567\n");
        assert_int_equal(read_attr(p, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "1234567");
        put(p, "1234567");
        assert_int_equal(read_attr(p, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "1234567");
        put(p, "12345678");
        assert_int_equal(read_attr(p, buf, sizeof(buf)), -ENOBUFS);
        put(p, "1234567\nx");
        assert_int_equal(read_attr(p, buf, sizeof(buf)), -ENOBUFS);
        /* Only one newline is stripped. */
        put(p, "a\n\n");
        assert_int_equal(read_attr(p, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "a\n");
        put(p, "");
        assert_int_equal(read_attr(p, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "");
        _cleanup_free_ char *missing = in_dir(state, "missing");
        assert_int_equal(read_attr(missing, buf, sizeof(buf)), -ENOENT);
}

static void test_write_atomic(void **state) {
        _cleanup_free_ char *p = in_dir(state, "rules");
        struct stat st;
        char *data = NULL;
        assert_int_equal(write_file_atomic(p, "one\n", 4, 0644), 0);
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0644);
        assert_int_equal(read_file_bounded(p, 100, &data, NULL), 0);
        assert_string_equal(data, "one\n");
        free(data);
        /* Replaces, changes the mode, leaves no temporary file. */
        assert_int_equal(write_file_atomic(p, "two", 3, 0600), 0);
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal(read_file_bounded(p, 100, &data, NULL), 0);
        assert_string_equal(data, "two");
        free(data);
        assert_int_equal(count_entries(*state), 1);

        _cleanup_free_ char *nodir = in_dir(state, "no/such/dir/f");
        assert_int_equal(write_file_atomic(nodir, "x", 1, 0644), -ENOENT);
}

static void test_write_if_changed(void **state) {
        _cleanup_free_ char *p = in_dir(state, "f");
        bool changed = false;
        assert_int_equal(write_file_if_changed(p, "abc", 3, 0644, &changed), 0);
        assert_true(changed);
        struct stat before, after;
        assert_int_equal(stat(p, &before), 0);
        assert_int_equal(write_file_if_changed(p, "abc", 3, 0644, &changed), 0);
        assert_false(changed);
        assert_int_equal(stat(p, &after), 0);
        assert_int_equal(before.st_ino, after.st_ino); /* not rewritten */
        /* Same content, other mode: rewritten. */
        assert_int_equal(write_file_if_changed(p, "abc", 3, 0600, &changed), 0);
        assert_true(changed);
        /* Longer and shorter content. */
        assert_int_equal(write_file_if_changed(p, "abcd", 4, 0600, &changed), 0);
        assert_true(changed);
        assert_int_equal(write_file_if_changed(p, "ab", 2, 0600, &changed), 0);
        assert_true(changed);
        assert_int_equal(write_file_if_changed(p, "ab", 2, 0600, NULL), 0);
}

static void test_mkdir_parents(void **state) {
        _cleanup_free_ char *p = in_dir(state, "a/b/c");
        struct stat st;
        assert_int_equal(mkdir_parents(p, 0755), 0);
        assert_int_equal(stat(p, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        assert_int_equal(mkdir_parents(p, 0755), 0); /* already there */
        _cleanup_free_ char *f = in_dir(state, "file");
        put(f, "x");
        _cleanup_free_ char *under_file = in_dir(state, "file/sub");
        assert_int_equal(mkdir_parents(under_file, 0755), -ENOTDIR);
}

static void test_path_join(void **state) {
        const struct {
                const char *root, *rel, *out;
        } cases[] = {
                {"/", "sys/bus/pci", "/sys/bus/pci"},  {"/", "/etc", "/etc"},
                {"/tmp/r/", "/etc/x", "/tmp/r/etc/x"}, {"/tmp/r", "etc", "/tmp/r/etc"},
                {"/tmp/r//", "//etc", "/tmp/r/etc"},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *p = path_join(cases[i].root, cases[i].rel);
                assert_string_equal(p, cases[i].out);
        }
}

static void test_links_and_exists(void **state) {
        _cleanup_free_ char *link = in_dir(state, "driver");
        char buf[16];
        assert_int_equal(symlink("../../bus/pci/drivers/vfio-pci", link), 0);
        assert_int_equal(read_link_basename(link, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "vfio-pci");
        assert_int_equal(read_link_basename(link, buf, 8), -ENOBUFS);
        _cleanup_free_ char *plain = in_dir(state, "plain");
        assert_int_equal(symlink("e1000e", plain), 0);
        assert_int_equal(read_link_basename(plain, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "e1000e");
        _cleanup_free_ char *missing = in_dir(state, "missing");
        assert_int_equal(read_link_basename(missing, buf, sizeof(buf)), -ENOENT);
        assert_true(path_exists(*state));
        assert_false(path_exists(missing));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_read_file_bounded, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_open_regular_file, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_read_attr, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_write_atomic, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_write_if_changed, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_mkdir_parents, setup_dir, teardown_dir),
                cmocka_unit_test(test_path_join),
                cmocka_unit_test_setup_teardown(test_links_and_exists, setup_dir, teardown_dir),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
