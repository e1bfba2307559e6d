/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* A scratch directory for tests that run programs: shell scripts written
 * into it, files read back, $PATH restored afterwards.  Every helper fails
 * the running cmocka test on error. */

struct scratch {
        char dir[64];
        char *saved_path;
};

/* cmocka setup / teardown: *state is a struct scratch. */
int scratch_setup(void **state);
int scratch_teardown(void **state);

/* Writes an executable shell script NAME into the directory; returns its
 * path (malloc'ed). */
char *scratch_script(struct scratch *f, const char *name, const char *body);

/* The content of a file (malloc'ed). */
char *scratch_slurp(const char *path);
