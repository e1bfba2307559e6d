/* SPDX-License-Identifier: Apache-2.0 */
/* Per-host locks: one host serialised, different hosts concurrent, entries
 * freed when unused. */

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <unistd.h>

#include <cmocka.h>

#include "host-lock.h"

struct job {
        struct host_locks *l;
        const char *name;
        int *inside, *max_inside;
        pthread_mutex_t *mu;
};

static void *worker(void *userdata) {
        struct job *j = userdata;

        for (int i = 0; i < 20; i++) {
                struct host_lock *h = host_lock_acquire(j->l, j->name);
                pthread_mutex_lock(j->mu);
                (*j->inside)++;
                if (*j->inside > *j->max_inside)
                        *j->max_inside = *j->inside;
                pthread_mutex_unlock(j->mu);
                usleep(500);
                pthread_mutex_lock(j->mu);
                (*j->inside)--;
                pthread_mutex_unlock(j->mu);
                host_lock_release(j->l, h);
        }
        return NULL;
}

static int run(const char *const *names, int n) {
        struct host_locks *l = host_locks_new();
        pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
        int inside = 0, max_inside = 0;
        pthread_t t[8];
        struct job jobs[8];

        assert_non_null(l);
        for (int i = 0; i < n; i++) {
                jobs[i] = (struct job){l, names[i], &inside, &max_inside, &mu};
                assert_int_equal(pthread_create(&t[i], NULL, worker, &jobs[i]), 0);
        }
        for (int i = 0; i < n; i++)
                pthread_join(t[i], NULL);
        assert_int_equal(host_locks_in_use(l), 0);
        host_locks_free(l);
        return max_inside;
}

static void test_same_host_serialised(void **state) {
        static const char *const same[] = {"h1", "h1", "h1", "h1"};

        assert_int_equal(run(same, 4), 1);
}

static void test_different_hosts_concurrent(void **state) {
        static const char *const diff[] = {"h1", "h2", "h3", "h4"};

        /* With 4 hosts and sleeps inside, more than one is inside at some point. */
        assert_true(run(diff, 4) > 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_same_host_serialised),
                cmocka_unit_test(test_different_hosts_concurrent),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
