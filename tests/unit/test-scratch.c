/* SPDX-License-Identifier: Apache-2.0 */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "fileio.h"
#include "test-scratch.h"

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

int scratch_setup(void **state) {
        struct scratch *f = calloc(1, sizeof(*f));
        assert_non_null(f);
        strcpy(f->dir, "/tmp/test-scratch-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        const char *p = getenv("PATH");
        f->saved_path = strdup(p ? p : "/usr/bin:/bin");
        *state = f;
        return 0;
}

int scratch_teardown(void **state) {
        struct scratch *f = *state;
        setenv("PATH", f->saved_path, 1);
        free(f->saved_path);
        nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(f);
        return 0;
}

/* Writes an executable shell script NAME into the fixture directory. */
char *scratch_script(struct scratch *f, const char *name, const char *body) {
        char *path = NULL;
        assert_true(asprintf(&path, "%s/%s", f->dir, name) > 0);
        FILE *fp = fopen(path, "w");
        assert_non_null(fp);
        fprintf(fp, "#!/bin/sh\n%s\n", body);
        assert_int_equal(fclose(fp), 0);
        assert_int_equal(chmod(path, 0755), 0);
        return path;
}

char *scratch_slurp(const char *path) {
        char *data = NULL;
        assert_int_equal(read_file_bounded(path, 1 << 20, &data, NULL), 0);
        return data;
}

