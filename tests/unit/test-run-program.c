/* SPDX-License-Identifier: Apache-2.0 */
/* lib/run-program.c: running a program without a shell, with a timeout and
 * its stderr captured, against small scripts in a temporary directory. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
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

#include "clock.h"
#include "macros.h"
#include "run-program.h"
#include "test-scratch.h"

static void test_run_success(void **state) {
        _cleanup_free_ char *prog = scratch_script(*state, "ok", "echo 'to stdout'; exit 0");
        _cleanup_free_ char *err = NULL;
        assert_int_equal(run_program(prog, NULL, NULL, 5000, &err), 0);
        /* stdout is discarded, not mixed into the message. */
        assert_string_equal(err, "");
}

static void test_run_failure_captures_stderr(void **state) {
        _cleanup_free_ char *prog = scratch_script(*state, "fail",
                                           "echo noise; echo 'driverctl: no such device' >&2; "
                                           "exit 1");
        _cleanup_free_ char *err = NULL;
        assert_int_equal(run_program(prog, NULL, NULL, 5000, &err), -EIO);
        assert_string_equal(err, "driverctl: no such device");
}

static void test_run_null_stderr(void **state) {
        _cleanup_free_ char *prog = scratch_script(*state, "fail", "echo x >&2; exit 2");
        assert_int_equal(run_program(prog, NULL, NULL, 5000, NULL), -EIO);
}

static void test_run_no_shell(void **state) {
        /* An argument with shell syntax arrives verbatim. */
        struct scratch *f = *state;
        _cleanup_free_ char *out = NULL;
        assert_true(asprintf(&out, "%s/args", f->dir) > 0);
        _cleanup_free_ char *body = NULL;
        assert_true(asprintf(&body, "printf '%%s' \"$1\" > '%s'", out) > 0);
        _cleanup_free_ char *prog = scratch_script(f, "args", body);
        const char *args[] = { "$(touch pwned); `id` > x", NULL };
        assert_int_equal(run_program(prog, args, NULL, 5000, NULL), 0);
        _cleanup_free_ char *got = scratch_slurp(out);
        assert_string_equal(got, args[0]);
}

static void test_run_stdin_is_dev_null(void **state) {
        _cleanup_free_ char *prog = scratch_script(*state, "stdin",
                                           "[ \"$(readlink /proc/self/fd/0)\" = /dev/null ]");
        assert_int_equal(run_program(prog, NULL, NULL, 5000, NULL), 0);
}

static void test_run_inherits_environment(void **state) {
        _cleanup_free_ char *prog = scratch_script(*state, "env",
                                           "[ \"$ONEPCI_TEST_VALUE\" = 'x y' ] || exit 1");
        unsetenv("ONEPCI_TEST_VALUE");
        assert_int_equal(run_program(prog, NULL, NULL, 5000, NULL), -EIO);
        setenv("ONEPCI_TEST_VALUE", "x y", 1);
        assert_int_equal(run_program(prog, NULL, NULL, 5000, NULL), 0);
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
        struct scratch *f = *state;
        _cleanup_free_ char *pidfile = NULL;
        assert_true(asprintf(&pidfile, "%s/pid", f->dir) > 0);
        _cleanup_free_ char *body = NULL;
        /* A grandchild holding stderr open must not keep us waiting. */
        assert_true(asprintf(&body, "echo 'partial output' >&2; sleep 30 & echo $! > '%s'; wait",
                             pidfile) > 0);
        _cleanup_free_ char *prog = scratch_script(f, "slow", body);

        _cleanup_free_ char *err = NULL;
        int64_t start = monotonic_ms();
        assert_int_equal(run_program(prog, NULL, NULL, 300, &err), -ETIMEDOUT);
        int64_t took = monotonic_ms() - start;
        assert_true(took >= 300);
        assert_true(took < 5000);
        assert_string_equal(err, "partial output");

        _cleanup_free_ char *pid = scratch_slurp(pidfile);
        assert_true(process_gone((pid_t)atoi(pid)));
}

static void test_run_closed_stderr_still_waits_for_exit(void **state) {
        _cleanup_free_ char *prog = scratch_script(*state, "late", "exec 2>&-; sleep 0.3; exit 4");
        assert_int_equal(run_program(prog, NULL, NULL, 5000, NULL), -EIO);
        _cleanup_free_ char *ok = scratch_script(*state, "late-ok", "exec 2>&-; sleep 0.3; exit 0");
        assert_int_equal(run_program(ok, NULL, NULL, 5000, NULL), 0);
        _cleanup_free_ char *slow = scratch_script(*state, "late-slow", "exec 2>&-; sleep 30");
        assert_int_equal(run_program(slow, NULL, NULL, 300, NULL), -ETIMEDOUT);
}

static void test_run_killed_by_signal(void **state) {
        _cleanup_free_ char *prog = scratch_script(*state, "killed", "kill -9 $$");
        assert_int_equal(run_program(prog, NULL, NULL, 5000, NULL), -EIO);
}

static void test_run_stderr_is_bounded(void **state) {
        _cleanup_free_ char *prog = scratch_script(*state, "chatty",
                                           "head -c 200000 /dev/zero | tr '\\0' e >&2; exit 0");
        _cleanup_free_ char *err = NULL;
        assert_int_equal(run_program(prog, NULL, NULL, 10000, &err), 0);
        assert_int_equal(strlen(err), RUN_PROGRAM_STDERR_MAX);
        assert_int_equal(err[0], 'e');
}

static void test_run_missing_program(void **state) {
        struct scratch *f = *state;
        _cleanup_free_ char *missing = NULL;
        assert_true(asprintf(&missing, "%s/does-not-exist", f->dir) > 0);
        assert_int_equal(run_program(missing, NULL, NULL, 5000, NULL), -ENOENT);
}

static void test_run_bad_timeout(void **state) {
        _cleanup_free_ char *prog = scratch_script(*state, "ok", "exit 0");
        assert_int_equal(run_program(prog, NULL, NULL, 0, NULL), -EINVAL);
}


static void test_run_env_extra_replaces(void **state) {
        _cleanup_free_ char *prog = scratch_script(*state, "env",
                                                   "[ \"$ONEPCI_TEST_VALUE\" = new ] || exit 1\n"
                                                   "[ \"$ONEPCI_TEST_OTHER\" = kept ] || exit 2");
        setenv("ONEPCI_TEST_VALUE", "old", 1);
        setenv("ONEPCI_TEST_OTHER", "kept", 1);
        assert_int_equal(run_program(prog, NULL, NULL, 5000, NULL), -EIO);
        assert_int_equal(run_program(prog, NULL, "ONEPCI_TEST_VALUE=new", 5000, NULL), 0);
        /* The caller's environment is left as it was. */
        assert_string_equal(getenv("ONEPCI_TEST_VALUE"), "old");
        unsetenv("ONEPCI_TEST_VALUE");
        assert_int_equal(run_program(prog, NULL, "ONEPCI_TEST_VALUE=new", 5000, NULL), 0);
        unsetenv("ONEPCI_TEST_OTHER");
}

static void test_check_executable(void **state) {
        struct scratch *f = *state;
        _cleanup_free_ char *prog = scratch_script(f, "tool", "exit 0");
        assert_int_equal(program_check_executable(prog), 0);
        assert_int_equal(chmod(prog, 0644), 0);
        assert_int_equal(program_check_executable(prog), -EACCES);
        assert_int_equal(program_check_executable(f->dir), -EACCES);
        _cleanup_free_ char *missing = NULL;
        assert_true(asprintf(&missing, "%s/missing", f->dir) > 0);
        assert_int_equal(program_check_executable(missing), -ENOENT);
}

static void test_find_on_path(void **state) {
        struct scratch *f = *state;
        _cleanup_free_ char *prog = scratch_script(f, "onepci-test-tool", "exit 0");
        _cleanup_free_ char *found = NULL, *none = NULL;
        /* A relative entry is skipped; the absolute one after it is used. */
        _cleanup_free_ char *path = NULL;
        assert_true(asprintf(&path, "relative:%s", f->dir) > 0);
        setenv("PATH", path, 1);
        assert_int_equal(program_find("onepci-test-tool", &found), 0);
        assert_string_equal(found, prog);
        assert_int_equal(program_find("onepci-no-such-tool", &none), -ENOENT);
        assert_null(none);
}

int main(void) {
        /* A killed child must not take the test down with SIGPIPE. */
        signal(SIGPIPE, SIG_IGN);
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_run_success, scratch_setup, scratch_teardown),
                cmocka_unit_test_setup_teardown(test_run_failure_captures_stderr, scratch_setup,
                                                scratch_teardown),
                cmocka_unit_test_setup_teardown(test_run_null_stderr, scratch_setup,
                                                scratch_teardown),
                cmocka_unit_test_setup_teardown(test_run_no_shell, scratch_setup, scratch_teardown),
                cmocka_unit_test_setup_teardown(test_run_stdin_is_dev_null, scratch_setup,
                                                scratch_teardown),
                cmocka_unit_test_setup_teardown(test_run_inherits_environment, scratch_setup,
                                                scratch_teardown),
                cmocka_unit_test_setup_teardown(test_run_timeout_kills_process_group, scratch_setup,
                                                scratch_teardown),
                cmocka_unit_test_setup_teardown(test_run_closed_stderr_still_waits_for_exit,
                                                scratch_setup, scratch_teardown),
                cmocka_unit_test_setup_teardown(test_run_killed_by_signal, scratch_setup,
                                                scratch_teardown),
                cmocka_unit_test_setup_teardown(test_run_stderr_is_bounded, scratch_setup,
                                                scratch_teardown),
                cmocka_unit_test_setup_teardown(test_run_missing_program, scratch_setup,
                                                scratch_teardown),
                cmocka_unit_test_setup_teardown(test_run_bad_timeout, scratch_setup,
                                                scratch_teardown),
                cmocka_unit_test_setup_teardown(test_run_env_extra_replaces, scratch_setup,
                                                scratch_teardown),
                cmocka_unit_test_setup_teardown(test_check_executable, scratch_setup,
                                                scratch_teardown),
                cmocka_unit_test_setup_teardown(test_find_on_path, scratch_setup, scratch_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
