/* SPDX-License-Identifier: Apache-2.0 */
/* The order of an SR-IOV change (agent/sriov.h), with its writes and
 * programs recorded instead of done, and the boot rule. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "macros.h"
#include "sriov.h"

struct log {
        char text[1024];
        const char *fail_on; /* a step that fails */
};

static int rec_write(const char *path, const char *value, void *userdata) {
        struct log *l = userdata;
        const char *base = strstr(path, "devices/");
        size_t n = strlen(l->text);
        snprintf(l->text + n, sizeof(l->text) - n, "write %s=%s;", base ? base + 8 : path, value);
        return l->fail_on && strstr(l->text + n, l->fail_on) ? -EBUSY : 0;
}

static int rec_run(const char *program, const char *const *args, char **ret_stderr,
                   void *userdata) {
        struct log *l = userdata;
        size_t n = strlen(l->text);
        n += (size_t)snprintf(l->text + n, sizeof(l->text) - n, "%s", program);
        for (size_t i = 0; args[i]; i++)
                n += (size_t)snprintf(l->text + n, sizeof(l->text) - n, " %s", args[i]);
        snprintf(l->text + n, sizeof(l->text) - n, ";");
        return 0;
}

static void change(const struct sriov_pf_change *c, const char *want) {
        struct onepci_context *ctx = NULL;
        struct log l = { "", NULL };
        struct sriov_io io = { rec_write, rec_run, &l };
        struct error_message err = { 0 };
        assert_int_equal(onepci_context_new("/tmp", &ctx), 0);
        assert_int_equal(sriov_change_pf(ctx, c, "driverctl", "devlink", &io, &err), 0);
        assert_string_equal(l.text, want);
        onepci_context_free(ctx);
}

#define PF "0000:03:00.1"
#define ATTR PF "/sriov_numvfs"

static void test_order(void **state) {
        /* From none: the count only. */
        change(&(struct sriov_pf_change){ .address = PF, .current = 0, .want = 2 }, "write " ATTR "=2;");
        /* A different count: 0 first. */
        change(&(struct sriov_pf_change){ .address = PF, .current = 4, .want = 2 }, "write " ATTR "=0;write " ATTR "=2;");
        /* The PF's own override first, then switchdev while it has no VFs. */
        change(&(struct sriov_pf_change){ .address = PF, .current = 2, .want = 2,
                                          .has_override = true, .switchdev = true },
               "driverctl unset-override " PF ";write " ATTR "=0;"
               "devlink dev eswitch set pci/" PF " mode switchdev;write " ATTR "=2;");
        /* switchdev already set by onepci: nothing to cycle. */
        struct sriov_pf_change done = { .address = PF, .current = 2, .want = 2, .switchdev = true,
                                        .switchdev_done = true };
        assert_false(sriov_change_needed(&done));
        /* Turned off: legacy again, with no VFs. */
        change(&(struct sriov_pf_change){ .address = PF, .current = 2, .want = 2, .legacy = true },
               "write " ATTR "=0;devlink dev eswitch set pci/" PF " mode legacy;write " ATTR "=2;");
}

static void test_failure_stops(void **state) {
        struct onepci_context *ctx = NULL;
        struct log l = { "", "=0" };
        struct sriov_io io = { rec_write, rec_run, &l };
        struct error_message err = { 0 };
        assert_int_equal(onepci_context_new("/tmp", &ctx), 0);
        assert_int_equal(sriov_change_pf(ctx, &(struct sriov_pf_change){ .address = PF, .current = 4, .want = 2 }, "driverctl",
                                         "devlink", &io, &err), -EBUSY);
        assert_string_equal(l.text, "write " ATTR "=0;");
        assert_non_null(strstr(err.text, "cannot write 0"));
        l.text[0] = '\0';
        l.fail_on = NULL;
        assert_int_equal(sriov_release_pf(ctx, PF, true, "devlink", &io, &err), 0);
        assert_string_equal(l.text, "write " ATTR "=0;devlink dev eswitch set pci/" PF " mode legacy;");
        onepci_context_free(ctx);
}

static void test_rule(void **state) {
        struct sriov_rule_pf pfs[] = { { "0000:03:00.1", 2, false }, { "0000:0c:00.0", 8, true } };
        _cleanup_free_ char *text = NULL;
        assert_int_equal(sriov_rule_render(pfs, 2, "/usr/sbin/devlink", &text), 0);
        assert_non_null(strstr(text,
                "ACTION==\"add|bind\", SUBSYSTEM==\"pci\", KERNEL==\"0000:03:00.1\", "
                "DRIVER==\"?*\", DRIVER!=\"vfio-pci\", ATTR{sriov_numvfs}==\"0\", "
                "ATTR{sriov_numvfs}=\"2\"\n"));
        assert_non_null(strstr(text, "RUN+=\"/usr/sbin/devlink dev eswitch set pci/0000:0c:00.0 "
                                     "mode switchdev\", RUN+=\"/bin/sh -c 'echo 8 > "
                                     "/sys%p/sriov_numvfs'\"\n"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_order),
                cmocka_unit_test(test_failure_stops),
                cmocka_unit_test(test_rule),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
