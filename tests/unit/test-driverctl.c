/* SPDX-License-Identifier: Apache-2.0 */
/* driverctl.c: locating, installing and running driverctl, against small
 * scripts in a temporary directory. */
#include <errno.h>
#include <ftw.h>
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
#include "fileio.h"
#include "macros.h"

struct fixture {
        char dir[64];
        char *saved_path;
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof(*f));
        assert_non_null(f);
        strcpy(f->dir, "/tmp/test-driverctl-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        const char *p = getenv("PATH");
        f->saved_path = strdup(p ? p : "/usr/bin:/bin");
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;
        setenv("PATH", f->saved_path, 1);
        free(f->saved_path);
        nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(f);
        return 0;
}

/* Writes an executable shell script NAME into the fixture directory. */
static char *script(struct fixture *f, const char *name, const char *body) {
        char *path = NULL;
        assert_true(asprintf(&path, "%s/%s", f->dir, name) > 0);
        FILE *fp = fopen(path, "w");
        assert_non_null(fp);
        fprintf(fp, "#!/bin/sh\n%s\n", body);
        assert_int_equal(fclose(fp), 0);
        assert_int_equal(chmod(path, 0755), 0);
        return path;
}

static char *slurp(const char *path) {
        char *data = NULL;
        assert_int_equal(read_file_bounded(path, 1 << 20, &data, NULL), 0);
        return data;
}

static int64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_run_success(void **state) {
        _cleanup_free_ char *prog = script(*state, "ok", "echo 'to stdout'; exit 0");
        _cleanup_free_ char *err = NULL;
        assert_int_equal(driverctl_run(prog, NULL, 5000, &err), 0);
        /* stdout is discarded, not mixed into the message. */
        assert_string_equal(err, "");
}

static void test_run_failure_captures_stderr(void **state) {
        _cleanup_free_ char *prog = script(*state, "fail",
                                           "echo noise; echo 'driverctl: no such device' >&2; "
                                           "exit 1");
        _cleanup_free_ char *err = NULL;
        assert_int_equal(driverctl_run(prog, NULL, 5000, &err), -EIO);
        assert_string_equal(err, "driverctl: no such device");
}

static void test_run_null_stderr(void **state) {
        _cleanup_free_ char *prog = script(*state, "fail", "echo x >&2; exit 2");
        assert_int_equal(driverctl_run(prog, NULL, 5000, NULL), -EIO);
}

static void test_set_override_args(void **state) {
        struct fixture *f = *state;
        _cleanup_free_ char *out = NULL;
        assert_true(asprintf(&out, "%s/args", f->dir) > 0);
        _cleanup_free_ char *body = NULL;
        assert_true(asprintf(&body, "printf '%%s|' \"$0\" \"$@\" > '%s'", out) > 0);
        _cleanup_free_ char *prog = script(f, "args", body);

        assert_int_equal(driverctl_set_override(prog, "0000:09:00.0", "vfio-pci", 5000, NULL),
                         0);
        _cleanup_free_ char *got = slurp(out);
        _cleanup_free_ char *want = NULL;
        assert_true(asprintf(&want, "%s|set-override|0000:09:00.0|vfio-pci|", prog) > 0);
        assert_string_equal(got, want);
}

static void test_run_no_shell(void **state) {
        /* An argument with shell syntax arrives verbatim. */
        struct fixture *f = *state;
        _cleanup_free_ char *out = NULL;
        assert_true(asprintf(&out, "%s/args", f->dir) > 0);
        _cleanup_free_ char *body = NULL;
        assert_true(asprintf(&body, "printf '%%s' \"$1\" > '%s'", out) > 0);
        _cleanup_free_ char *prog = script(f, "args", body);
        const char *args[] = { "$(touch pwned); `id` > x", NULL };
        assert_int_equal(driverctl_run(prog, args, 5000, NULL), 0);
        _cleanup_free_ char *got = slurp(out);
        assert_string_equal(got, args[0]);
}

static void test_run_stdin_is_dev_null(void **state) {
        _cleanup_free_ char *prog = script(*state, "stdin",
                                           "[ \"$(readlink /proc/self/fd/0)\" = /dev/null ]");
        assert_int_equal(driverctl_run(prog, NULL, 5000, NULL), 0);
}

static void test_run_inherits_environment(void **state) {
        _cleanup_free_ char *prog = script(*state, "env",
                                           "[ \"$ONEPCI_TEST_VALUE\" = 'x y' ] || exit 1");
        unsetenv("ONEPCI_TEST_VALUE");
        assert_int_equal(driverctl_run(prog, NULL, 5000, NULL), -EIO);
        setenv("ONEPCI_TEST_VALUE", "x y", 1);
        assert_int_equal(driverctl_run(prog, NULL, 5000, NULL), 0);
        unsetenv("ONEPCI_TEST_VALUE");
}

static bool process_gone(pid_t pid) {
        /* Gone, or a zombie waiting for init to reap it. */
        for (int i = 0; i < 200; i++) {
                char path[64], stat_line[256] = "";
                snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
                FILE *fp = fopen(path, "r");
                if (!fp)
                        return true;
                bool zombie = fgets(stat_line, sizeof(stat_line), fp) &&
                              strstr(stat_line, ") Z ") != NULL;
                fclose(fp);
                if (zombie)
                        return true;
                struct timespec ts = { 0, 10 * 1000 * 1000 };
                nanosleep(&ts, NULL);
        }
        return false;
}

static void test_run_timeout_kills_process_group(void **state) {
        struct fixture *f = *state;
        _cleanup_free_ char *pidfile = NULL;
        assert_true(asprintf(&pidfile, "%s/pid", f->dir) > 0);
        _cleanup_free_ char *body = NULL;
        /* A grandchild holding stderr open must not keep us waiting. */
        assert_true(asprintf(&body, "echo 'partial output' >&2; sleep 30 & echo $! > '%s'; wait",
                             pidfile) > 0);
        _cleanup_free_ char *prog = script(f, "slow", body);

        _cleanup_free_ char *err = NULL;
        int64_t start = now_ms();
        assert_int_equal(driverctl_run(prog, NULL, 300, &err), -ETIMEDOUT);
        int64_t took = now_ms() - start;
        assert_true(took >= 300);
        assert_true(took < 5000);
        assert_string_equal(err, "partial output");

        _cleanup_free_ char *pid = slurp(pidfile);
        assert_true(process_gone((pid_t)atoi(pid)));
}

static void test_run_closed_stderr_still_waits_for_exit(void **state) {
        _cleanup_free_ char *prog = script(*state, "late", "exec 2>&-; sleep 0.3; exit 4");
        assert_int_equal(driverctl_run(prog, NULL, 5000, NULL), -EIO);
        _cleanup_free_ char *ok = script(*state, "late-ok", "exec 2>&-; sleep 0.3; exit 0");
        assert_int_equal(driverctl_run(ok, NULL, 5000, NULL), 0);
        _cleanup_free_ char *slow = script(*state, "late-slow", "exec 2>&-; sleep 30");
        assert_int_equal(driverctl_run(slow, NULL, 300, NULL), -ETIMEDOUT);
}

static void test_run_killed_by_signal(void **state) {
        _cleanup_free_ char *prog = script(*state, "killed", "kill -9 $$");
        assert_int_equal(driverctl_run(prog, NULL, 5000, NULL), -EIO);
}

static void test_run_stderr_is_bounded(void **state) {
        _cleanup_free_ char *prog = script(*state, "chatty",
                                           "head -c 200000 /dev/zero | tr '\\0' e >&2; exit 0");
        _cleanup_free_ char *err = NULL;
        assert_int_equal(driverctl_run(prog, NULL, 10000, &err), 0);
        assert_int_equal(strlen(err), 16 * 1024);
        assert_int_equal(err[0], 'e');
}

static void test_run_missing_program(void **state) {
        struct fixture *f = *state;
        _cleanup_free_ char *missing = NULL;
        assert_true(asprintf(&missing, "%s/does-not-exist", f->dir) > 0);
        assert_int_equal(driverctl_run(missing, NULL, 5000, NULL), -ENOENT);
}

static void test_run_bad_timeout(void **state) {
        _cleanup_free_ char *prog = script(*state, "ok", "exit 0");
        assert_int_equal(driverctl_run(prog, NULL, 0, NULL), -EINVAL);
}

static struct onepci_context *context(const char *root) {
        struct onepci_context *ctx = NULL;
        assert_int_equal(onepci_context_new(root, &ctx), 0);
        return ctx;
}

static void test_locate_explicit(void **state) {
        struct fixture *f = *state;
        _cleanup_free_ char *prog = script(f, "my-driverctl", "exit 0");
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
        struct fixture *f = *state;
        _cleanup_free_ char *prog = script(f, "driverctl", "exit 0");
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
        struct fixture *f = *state;
        struct onepci_context *ctx = context(f->dir);
        _cleanup_free_ char *msg = NULL;
        assert_int_equal(driverctl_install(ctx, &msg), -EPERM);
        assert_non_null(strstr(msg, "--root"));
        onepci_context_free(ctx);
}

static void test_install_refused_with_no_install(void **state) {
        struct onepci_context *ctx = context("/");
        ctx->no_install = true;
        _cleanup_free_ char *msg = NULL;
        assert_int_equal(driverctl_install(ctx, &msg), -EPERM);
        assert_non_null(strstr(msg, "--no-install"));
        assert_non_null(strstr(msg, "\"driverctl\""));
        onepci_context_free(ctx);
}

/* A stand-in apt-get first on PATH; the real one is never reached because
 * the stand-in is checked to be executable before every call. */
static char *fake_apt(struct fixture *f, const char *install_result) {
        _cleanup_free_ char *body = NULL;
        assert_true(asprintf(&body,
                             "echo \"$DEBIAN_FRONTEND $*\" >> '%s/apt.log'\n"
                             "case \"$1\" in update) exit 0;; esac\n"
                             "%s",
                             f->dir, install_result) > 0);
        char *prog = script(f, "apt-get", body);
        assert_int_equal(access(prog, X_OK), 0);
        setenv("PATH", f->dir, 1);
        return prog;
}

static void test_install_with_apt_failure_names_package(void **state) {
        struct fixture *f = *state;
        _cleanup_free_ char *apt = fake_apt(
                f, "echo 'Reading package lists...' >&2\n"
                   "echo 'E: Unable to locate package driverctl' >&2; exit 100");
        struct onepci_context *ctx = context("/");
        _cleanup_free_ char *msg = NULL;
        assert_int_equal(driverctl_install(ctx, &msg), -EIO);
        assert_non_null(strstr(msg, "E: Unable to locate package driverctl"));
        assert_non_null(strstr(msg, "install the package \"driverctl\" by hand"));
        assert_non_null(strstr(msg, apt));
        onepci_context_free(ctx);

        _cleanup_free_ char *log_path = NULL;
        assert_true(asprintf(&log_path, "%s/apt.log", f->dir) > 0);
        _cleanup_free_ char *log = slurp(log_path);
        /* Tried, refreshed the package lists, tried again: non-interactively. */
        assert_string_equal(log,
                            "noninteractive install -y -q --no-install-recommends driverctl\n"
                            "noninteractive update -q\n"
                            "noninteractive install -y -q --no-install-recommends driverctl\n");
}

static void test_install_apt_environment_wins(void **state) {
        struct fixture *f = *state;
        _cleanup_free_ char *apt = fake_apt(f, "exit 1");
        setenv("DEBIAN_FRONTEND", "readline", 1);
        struct onepci_context *ctx = context("/");
        _cleanup_free_ char *msg = NULL;
        assert_int_equal(driverctl_install(ctx, &msg), -EIO);
        unsetenv("DEBIAN_FRONTEND");
        onepci_context_free(ctx);

        _cleanup_free_ char *log_path = NULL;
        assert_true(asprintf(&log_path, "%s/apt.log", f->dir) > 0);
        _cleanup_free_ char *log = slurp(log_path);
        assert_true(strncmp(log, "noninteractive install", 22) == 0);
}

static void test_install_with_apt_success(void **state) {
        struct fixture *f = *state;
        _cleanup_free_ char *apt = fake_apt(f, "exit 0");
        struct onepci_context *ctx = context("/");
        char *msg = (char *)"unset";
        assert_int_equal(driverctl_install(ctx, &msg), 0);
        assert_null(msg);
        onepci_context_free(ctx);
}

int main(void) {
        /* A killed child must not take the test down with SIGPIPE. */
        signal(SIGPIPE, SIG_IGN);
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_run_success, setup, teardown),
                cmocka_unit_test_setup_teardown(test_run_failure_captures_stderr, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_run_null_stderr, setup, teardown),
                cmocka_unit_test_setup_teardown(test_set_override_args, setup, teardown),
                cmocka_unit_test_setup_teardown(test_run_no_shell, setup, teardown),
                cmocka_unit_test_setup_teardown(test_run_stdin_is_dev_null, setup, teardown),
                cmocka_unit_test_setup_teardown(test_run_inherits_environment, setup, teardown),
                cmocka_unit_test_setup_teardown(test_run_timeout_kills_process_group, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_run_closed_stderr_still_waits_for_exit,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(test_run_killed_by_signal, setup, teardown),
                cmocka_unit_test_setup_teardown(test_run_stderr_is_bounded, setup, teardown),
                cmocka_unit_test_setup_teardown(test_run_missing_program, setup, teardown),
                cmocka_unit_test_setup_teardown(test_run_bad_timeout, setup, teardown),
                cmocka_unit_test_setup_teardown(test_locate_explicit, setup, teardown),
                cmocka_unit_test_setup_teardown(test_locate_path_only_on_live_root, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_install_refused_under_root, setup, teardown),
                cmocka_unit_test_setup_teardown(test_install_refused_with_no_install, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_install_with_apt_failure_names_package,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(test_install_apt_environment_wins, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_install_with_apt_success, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
