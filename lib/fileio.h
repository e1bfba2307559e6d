/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Opens path for reading only if it is a regular file, without ever
 * blocking on a FIFO with no writer (or a device): opened O_NONBLOCK,
 * checked with fstat, then set blocking again.  Returns the descriptor
 * (O_CLOEXEC) or a negative errno, -EISDIR for a directory and -EINVAL for
 * any other file that is not a regular one; ret_st (optional) gets its stat. */
int open_regular_file(const char *path, struct stat *ret_st);

/* Reads at most max bytes of a file into a NUL-terminated buffer.
 * -EFBIG when the file is larger than max.  Never waits for a writer: a
 * FIFO with none reads as empty, one with a slow writer fails (-EAGAIN). */
int read_file_bounded(const char *path, size_t max, char **ret_data, size_t *ret_len);

/* The same for a regular file only (open_regular_file()): -EINVAL for a
 * FIFO, device or socket, -EISDIR for a directory, never waiting. */
int read_regular_file_bounded(const char *path, size_t max, char **ret_data, size_t *ret_len);

/* What a person reads for an error of the readers above: "not a regular
 * file ..." for -EINVAL, the size limit for -EFBIG, else strerror(). */
const char *read_error_text(int r);

/* Reads a small text attribute (sysfs style) into buf, stripping one
 * trailing newline.  -ENOBUFS when it does not fit. */
int read_attr(const char *path, char *buf, size_t size);

/* Writes data to path atomically: a temporary file in the same directory,
 * fsync, chmod to mode, rename over path, fsync of the directory.  Never
 * leaves a partial file behind. */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* Like write_file_atomic but only when the content differs from what is
 * there; *ret_changed tells whether anything was written. */
int write_file_if_changed(const char *path, const void *data, size_t len, mode_t mode,
                          bool *ret_changed);

/* Creates a directory and its parents (mode for the new ones). */
int mkdir_parents(const char *path, mode_t mode);

/* Joins root and a relative path ("sys/bus/pci"), avoiding a double slash.
 * Returns a newly allocated string or NULL on allocation failure. */
char *path_join(const char *root, const char *rel);

/* Resolves the basename of a symlink's target ("../../drivers/e1000e" ->
 * "e1000e") into buf.  -ENOENT when the link does not exist. */
int read_link_basename(const char *path, char *buf, size_t size);

bool path_exists(const char *path);
