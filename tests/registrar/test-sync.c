/* SPDX-License-Identifier: Apache-2.0 */
/* The sync runner: words without a shell, singleflight, timeout, failure
 * reasons, the flock between instances. */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <cmocka.h>

#include "fileio.h"
#include "macros.h"
#include "sync.h"

static char dir[] = "/tmp/test-sync-XXXXXX";
static char script[256], count_file[256];

static int setup(void **state) {
        char text[512];

        assert_non_null(mkdtemp(dir));
        snprintf(script, sizeof(script), "%s/fake-sync", dir);
        snprintf(count_file, sizeof(count_file), "%s/count", dir);
        /* Appends a line per run, sleeps $1 seconds, fails when $2 is given. */
        snprintf(text, sizeof(text),
                 "#!/bin/sh\necho run >> %s\nsleep \"$1\"\n"
                 "if [ -n \"$2\" ]; then echo \"oneadmin: $2\" >&2; exit 3; fi\n",
                 count_file);
        assert_int_equal(write_file_atomic(script, text, strlen(text), 0755), 0);
        return 0;
}

static int teardown(void **state) {
        char p[300];

        unlink(script);
        unlink(count_file);
        snprintf(p, sizeof(p), "%s/.onepci-sync.lock", dir);
        unlink(p);
        rmdir(dir);
        return 0;
}

static unsigned runs_in_file(void) {
        char *data = NULL;
        size_t len;
        unsigned n = 0;

        if (read_file_bounded(count_file, 1 << 16, &data, &len) < 0)
                return 0;
        for (size_t i = 0; i < len; i++)
                n += data[i] == '\n';
        free(data);
        return n;
}

static void test_split(void **state) {
        char **argv = NULL;

        assert_int_equal(sync_split_command("onehost  sync --force", &argv), 0);
        assert_string_equal(argv[0], "onehost");
        assert_string_equal(argv[1], "sync");
        assert_string_equal(argv[2], "--force");
        assert_null(argv[3]);
        strv_free(argv);
        assert_int_equal(sync_split_command("", &argv), -EINVAL);
        assert_int_equal(sync_split_command("   ", &argv), -EINVAL);
        /* no shell: shell syntax is refused rather than passed on literally */
        assert_int_equal(sync_split_command("onehost sync; rm -rf /", &argv), -EINVAL);
        assert_int_equal(sync_split_command("onehost 'sync'", &argv), -EINVAL);
        assert_int_equal(sync_split_command("onehost $(x)", &argv), -EINVAL);
}

struct job {
        struct sync_runner *s;
        int result;
};

static void *run_thread(void *userdata) {
        struct job *j = userdata;
        char reason[256];

        j->result = sync_run(j->s, reason, sizeof(reason));
        return NULL;
}

static void test_singleflight(void **state) {
        struct sync_runner *s = NULL;
        char cmd[300];
        pthread_t t[8];
        struct job jobs[8];

        unlink(count_file);
        snprintf(cmd, sizeof(cmd), "%s 1", script);
        assert_int_equal(sync_runner_new(cmd, dir, 30, &s), 0);
        jobs[0] = (struct job){.s = s, .result = 1};
        assert_int_equal(pthread_create(&t[0], NULL, run_thread, &jobs[0]), 0);
        /* Wait until the first run is going: its caller's edit is in it. */
        while (runs_in_file() == 0)
                usleep(10 * 1000);
        /* Everyone arriving now needs a run that starts later: they share one. */
        for (int i = 1; i < 8; i++) {
                jobs[i] = (struct job){.s = s, .result = 1};
                assert_int_equal(pthread_create(&t[i], NULL, run_thread, &jobs[i]), 0);
        }
        for (int i = 0; i < 8; i++) {
                pthread_join(t[i], NULL);
                assert_int_equal(jobs[i].result, 0);
        }
        assert_int_equal(sync_runs(s), 2);
        assert_int_equal(runs_in_file(), 2);

        /* A later caller gets a run of its own. */
        char reason[256];
        assert_int_equal(sync_run(s, reason, sizeof(reason)), 0);
        assert_int_equal(runs_in_file(), sync_runs(s));
        sync_runner_free(s);
}

static void test_failure_and_timeout(void **state) {
        struct sync_runner *s = NULL;
        char cmd[300], reason[256] = "";

        snprintf(cmd, sizeof(cmd), "%s 0 refused", script);
        assert_int_equal(sync_runner_new(cmd, dir, 10, &s), 0);
        assert_int_equal(sync_run(s, reason, sizeof(reason)), -EIO);
        assert_non_null(strstr(reason, "exited with 3"));
        assert_non_null(strstr(reason, "oneadmin: refused"));
        sync_runner_free(s);

        snprintf(cmd, sizeof(cmd), "%s 5", script);
        assert_int_equal(sync_runner_new(cmd, dir, 1, &s), 0);
        assert_int_equal(sync_run(s, reason, sizeof(reason)), -ETIMEDOUT);
        assert_non_null(strstr(reason, "timed out"));
        sync_runner_free(s);

        assert_int_equal(sync_runner_new("/nonexistent/onehost sync", dir, 1, &s), 0);
        assert_true(sync_run(s, reason, sizeof(reason)) < 0);
        sync_runner_free(s);
}

static void test_flock_between_instances(void **state) {
        struct sync_runner *s = NULL;
        char cmd[300], lock[300], reason[256] = "";
        int fd;

        snprintf(lock, sizeof(lock), "%s/.onepci-sync.lock", dir);
        fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(flock(fd, LOCK_EX), 0);
        /* Another instance holds the lock: this one waits, then gives up. */
        snprintf(cmd, sizeof(cmd), "%s 0", script);
        assert_int_equal(sync_runner_new(cmd, dir, 1, &s), 0);
        assert_int_equal(sync_run(s, reason, sizeof(reason)), -ETIMEDOUT);
        assert_non_null(strstr(reason, "another sync"));
        close(fd);
        assert_int_equal(sync_run(s, reason, sizeof(reason)), 0);
        sync_runner_free(s);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_split),
                cmocka_unit_test(test_singleflight),
                cmocka_unit_test(test_failure_and_timeout),
                cmocka_unit_test(test_flock_between_instances),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
