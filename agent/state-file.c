/* SPDX-License-Identifier: Apache-2.0 */
#include "state-file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "macros.h"

/* The state file lists a node's devices: far below this. */
#define STATE_FILE_MAX (1024 * 1024)

int state_file_write(const struct onepci_context *ctx, struct json_object *state) {
        if (!state || !json_object_is_type(state, json_type_object))
                return -EINVAL;

        _cleanup_free_ char *path = ctx_path(ctx, STATE_FILE_PATH);
        _cleanup_free_ char *dir = path ? strdup(path) : NULL;
        if (!dir)
                return -ENOMEM;
        int r = mkdir_parents(dirname(dir), 0755);
        if (r < 0)
                return r;

        int flags = JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                    JSON_C_TO_STRING_NOSLASHESCAPE;
        const char *json = json_object_to_json_string_ext(state, flags);
        if (!json)
                return -ENOMEM;
        _cleanup_free_ char *text = NULL;
        if (asprintf(&text, "%s\n", json) < 0)
                return -ENOMEM;
        return write_file_atomic(path, text, strlen(text), 0644);
}

int state_file_read(const struct onepci_context *ctx, struct json_object **ret) {
        _cleanup_free_ char *path = ctx_path(ctx, STATE_FILE_PATH);
        if (!path)
                return -ENOMEM;
        _cleanup_free_ char *data = NULL;
        size_t len;
        int r = read_file_bounded(path, STATE_FILE_MAX, &data, &len);
        if (r < 0)
                return r;

        struct json_tokener *tok = json_tokener_new();
        if (!tok)
                return -ENOMEM;
        struct json_object *obj = json_tokener_parse_ex(tok, data, (int)len);
        enum json_tokener_error err = json_tokener_get_error(tok);
        /* Trailing bytes after the object mean the file is not what we wrote. */
        bool trailing = false;
        if (obj && err == json_tokener_success) {
                for (size_t i = json_tokener_get_parse_end(tok); i < len; i++)
                        if (data[i] != ' ' && data[i] != '\n' && data[i] != '\t' &&
                            data[i] != '\r')
                                trailing = true;
        }
        json_tokener_free(tok);
        if (!obj || err != json_tokener_success || trailing ||
            !json_object_is_type(obj, json_type_object)) {
                json_object_put(obj);
                return -EBADMSG;
        }
        *ret = obj;
        return 0;
}

int file_sha256_hex(const char *path, char ret_hex[65]) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;

        EVP_MD_CTX *md = EVP_MD_CTX_new();
        if (!md)
                return -ENOMEM;
        int r = 0;
        if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
                r = -EIO;
                goto out;
        }
        for (;;) {
                char buf[65536];
                ssize_t n = read(fd, buf, sizeof(buf));
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        goto out;
                }
                if (n == 0)
                        break;
                if (EVP_DigestUpdate(md, buf, (size_t)n) != 1) {
                        r = -EIO;
                        goto out;
                }
        }
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned int dlen = 0;
        if (EVP_DigestFinal_ex(md, digest, &dlen) != 1 || dlen != 32) {
                r = -EIO;
                goto out;
        }
        for (unsigned int i = 0; i < dlen; i++)
                snprintf(ret_hex + 2 * i, 3, "%02x", digest[i]);
        ret_hex[64] = '\0';
out:
        EVP_MD_CTX_free(md);
        return r;
}
