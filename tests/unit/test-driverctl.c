/* SPDX-License-Identifier: Apache-2.0 */
/* driverctl.c: locating, installing and running driverctl set-override,
 * against small scripts in a temporary directory. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "context.h"
#include "driverctl.h"
#include "macros.h"
#include "test-scratch.h"

static void test_set_override_args(void **state) {
        struct scratch *f = *state;
        _cleanup_free_ char *out = NULL;
        assert_true(asprintf(&out, "%s/args", f->dir) > 0);
        _cleanup_free_ char *body = NULL;
        assert_true(asprintf(&body, "printf '%%s|' \"$0\" \"$@\" > '%s'", out) > 0);
        _cleanup_free_ char *prog = scratch_script(f, "args", body);

        assert_int_equal(driverctl_set_override(prog, "0000:09:00.0", "vfio-pci", 5000, NULL),
                         0);
        _cleanup_free_ char *got = scratch_slurp(out);
        _cleanup_free_ char *want = NULL;
        assert_true(asprintf(&want, "%s|set-override|0000:09:00.0|vfio-pci|", prog) > 0);
        assert_string_equal(got, want);
}

static struct onepci_context *context(const char *root) {
        struct onepci_context *ctx = NULL;
        assert_int_equal(onepci_context_new(root, &ctx), 0);
        return ctx;
}

static void test_locate_explicit(void **state) {
        struct scratch *f = *state;
        _cleanup_free_ char *prog = scratch_script(f, "my-driverctl", "exit 0");
        struct onepci_context *ctx = context(f->dir);
        ctx->driverctl = strdup(prog);
        _cleanup_free_ char *found = NULL;
        assert_int_equal(driverctl_locate(ctx, &found), 0);
        assert_string_equal(found, prog);

        free(ctx->driverctl);
        assert_true(asprintf(&ctx->driverctl, "%s/nope", f->dir) > 0);
        assert_int_equal(driverctl_locate(ctx, &found), -ENOENT);

        /* A directory or a file without x is no program. */
        free(ctx->driverctl);
        ctx->driverctl = strdup(f->dir);
        assert_int_equal(driverctl_locate(ctx, &found), -EACCES);
        assert_int_equal(chmod(prog, 0644), 0);
        free(ctx->driverctl);
        ctx->driverctl = strdup(prog);
        if (geteuid() != 0) /* root may execute anything with any x bit only */
                assert_int_equal(driverctl_locate(ctx, &found), -EACCES);
        onepci_context_free(ctx);
}

static void test_locate_path_only_on_live_root(void **state) {
        struct scratch *f = *state;
        _cleanup_free_ char *prog = scratch_script(f, "driverctl", "exit 0");
        setenv("PATH", f->dir, 1);

        struct onepci_context *live = context("/");
        _cleanup_free_ char *found = NULL;
        assert_int_equal(driverctl_locate(live, &found), 0);
        assert_string_equal(found, prog);
        onepci_context_free(live);

        /* A fixture root never gets the system's driverctl. */
        struct onepci_context *fixture = context(f->dir);
        _cleanup_free_ char *none = NULL;
        assert_int_equal(driverctl_locate(fixture, &none), -ENOENT);
        assert_null(none);
        onepci_context_free(fixture);
}

static void test_install_refused_under_root(void **state) {
        struct scratch *f = *state;
        struct onepci_context *ctx = context(f->dir);
        struct error_message err = { 0 };
        assert_int_equal(driverctl_install(ctx, &err), -EPERM);
        assert_non_null(strstr(err.text, "--root"));
        onepci_context_free(ctx);
}

static void test_install_refused_with_no_install(void **state) {
        struct onepci_context *ctx = context("/");
        ctx->no_install = true;
        struct error_message err = { 0 };
        assert_int_equal(driverctl_install(ctx, &err), -EPERM);
        assert_non_null(strstr(err.text, "--no-install"));
        assert_non_null(strstr(err.text, "\"driverctl\""));
        onepci_context_free(ctx);
}

/* A stand-in apt-get first on PATH; the real one is never reached because
 * the stand-in is checked to be executable before every call. */
static char *fake_apt(struct scratch *f, const char *install_result) {
        _cleanup_free_ char *body = NULL;
        assert_true(asprintf(&body,
                             "echo \"$DEBIAN_FRONTEND $*\" >> '%s/apt.log'\n"
                             "case \"$1\" in update) exit 0;; esac\n"
                             "%s",
                             f->dir, install_result) > 0);
        char *prog = scratch_script(f, "apt-get", body);
        assert_int_equal(access(prog, X_OK), 0);
        setenv("PATH", f->dir, 1);
        return prog;
}

static void test_install_with_apt_failure_names_package(void **state) {
        struct scratch *f = *state;
        _cleanup_free_ char *apt = fake_apt(
                f, "echo 'Reading package lists...' >&2\n"
                   "echo 'E: Unable to locate package driverctl' >&2; exit 100");
        struct onepci_context *ctx = context("/");
        struct error_message err = { 0 };
        assert_int_equal(driverctl_install(ctx, &err), -EIO);
        assert_non_null(strstr(err.text, "E: Unable to locate package driverctl"));
        assert_non_null(strstr(err.text, "install the package \"driverctl\" by hand"));
        assert_non_null(strstr(err.text, apt));
        onepci_context_free(ctx);

        _cleanup_free_ char *log_path = NULL;
        assert_true(asprintf(&log_path, "%s/apt.log", f->dir) > 0);
        _cleanup_free_ char *log = scratch_slurp(log_path);
        /* Tried, refreshed the package lists, tried again: non-interactively. */
        assert_string_equal(log,
                            "noninteractive install -y -q --no-install-recommends driverctl\n"
                            "noninteractive update -q\n"
                            "noninteractive install -y -q --no-install-recommends driverctl\n");
}

static void test_install_apt_environment_wins(void **state) {
        struct scratch *f = *state;
        free(fake_apt(f, "exit 1"));
        setenv("DEBIAN_FRONTEND", "readline", 1);
        struct onepci_context *ctx = context("/");
        struct error_message err = { 0 };
        assert_int_equal(driverctl_install(ctx, &err), -EIO);
        unsetenv("DEBIAN_FRONTEND");
        onepci_context_free(ctx);

        _cleanup_free_ char *log_path = NULL;
        assert_true(asprintf(&log_path, "%s/apt.log", f->dir) > 0);
        _cleanup_free_ char *log = scratch_slurp(log_path);
        assert_true(strncmp(log, "noninteractive install", 22) == 0);
}

static void test_install_with_apt_success(void **state) {
        struct scratch *f = *state;
        free(fake_apt(f, "exit 0"));
        struct onepci_context *ctx = context("/");
        struct error_message err = { 0 };
        assert_int_equal(driverctl_install(ctx, &err), 0);
        assert_false(error_is_set(&err));
        onepci_context_free(ctx);
}

int main(void) {
        /* A killed child must not take the test down with SIGPIPE. */
        signal(SIGPIPE, SIG_IGN);
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_set_override_args, scratch_setup,
                                                scratch_teardown),
                cmocka_unit_test_setup_teardown(test_locate_explicit, scratch_setup,
                                                scratch_teardown),
                cmocka_unit_test_setup_teardown(test_locate_path_only_on_live_root, scratch_setup,
                                                scratch_teardown),
                cmocka_unit_test_setup_teardown(test_install_refused_under_root, scratch_setup,
                                                scratch_teardown),
                cmocka_unit_test_setup_teardown(test_install_refused_with_no_install, scratch_setup,
                                                scratch_teardown),
                cmocka_unit_test_setup_teardown(test_install_with_apt_failure_names_package,
                                                scratch_setup, scratch_teardown),
                cmocka_unit_test_setup_teardown(test_install_apt_environment_wins, scratch_setup,
                                                scratch_teardown),
                cmocka_unit_test_setup_teardown(test_install_with_apt_success, scratch_setup,
                                                scratch_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
