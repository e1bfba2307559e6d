/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Scratch roots for unit tests: writable copies of the committed fixture
 * roots, or empty ones, with helpers to put files and links in them.  Every
 * helper fails the running cmocka test on error. */

/* A new temporary directory holding a copy of fixture (cp -a). */
char *test_root_copy(const char *fixture);
/* A new empty temporary directory. */
char *test_root_new(void);
/* Removes the directory tree and frees the string. */
void test_root_remove(char *root);
/* Writes content to ROOT/rel, creating parent directories. */
void test_root_put(const char *root, const char *rel, const char *content);
/* Makes ROOT/rel a symlink to target, replacing what is there. */
void test_root_link(const char *root, const char *rel, const char *target);
