/* SPDX-License-Identifier: Apache-2.0 */
#include "node-key.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "macros.h"

int node_key_load(const char *path, char ret_key_hex[SIGN_KEY_HEX_LEN + 1],
                  struct error_message *ret_error) {
        _cleanup_close_ int fd = -1;
        char buf[SIGN_KEY_HEX_LEN + 3];
        uint8_t raw[32];
        struct stat st;
        ssize_t n;

        if (!path || !ret_key_hex)
                return -EINVAL;
        /* Never blocks: a FIFO with no writer is refused, not waited on. */
        fd = open_regular_file(path, &st);
        if (fd == -EINVAL || fd == -EISDIR) {
                error_set(ret_error, "key file %s is not a regular file", path);
                return -EINVAL;
        }
        if (fd < 0) {
                error_set(ret_error, "cannot open key file %s: %s", path, strerror(-fd));
                return fd;
        }
        /* The key lets anyone register as this node: keep it to its owner
         * (as the registrar keeps its secret). */
        if (st.st_mode & (S_IRWXG | S_IRWXO)) {
                error_set(ret_error,
                          "key file %s is accessible by other users or its group (mode %04o); "
                          "run chmod 0600 on it",
                          path, (unsigned)(st.st_mode & 07777));
                return -EPERM;
        }
        n = read(fd, buf, sizeof buf - 1);
        if (n < 0) {
                int r = -errno;
                error_set(ret_error, "cannot read key file %s: %s", path, strerror(-r));
                return r;
        }
        buf[n] = '\0';
        if (sign_parse_hex_key(buf, raw) < 0) {
                explicit_bzero(buf, sizeof buf);
                error_set(ret_error, "key file %s does not hold a key (64 hex characters, "
                                     "as printed by onepci-registrar node-key)", path);
                return -EINVAL;
        }
        memcpy(ret_key_hex, buf, SIGN_KEY_HEX_LEN);
        ret_key_hex[SIGN_KEY_HEX_LEN] = '\0';
        explicit_bzero(buf, sizeof buf);
        explicit_bzero(raw, sizeof raw);
        return 0;
}

bool node_key_hex_valid(const char *k) {
        if (!k || strlen(k) != SIGN_KEY_HEX_LEN)
                return false;
        for (const char *p = k; *p; p++)
                if (!isxdigit((unsigned char)*p))
                        return false;
        return true;
}
