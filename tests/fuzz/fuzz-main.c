/* SPDX-License-Identifier: Apache-2.0 */
/* Replays files (or every file of directories) through a libFuzzer target, for
 * builds without libFuzzer: the seed corpora and the crash regressions run as
 * ordinary tests. */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path) {
        char *data = NULL;
        size_t len = 0;
        int r = read_file_bounded(path, 1 << 20, &data, &len);
        if (r < 0) {
                fprintf(stderr, "%s: cannot read: %s\n", path, strerror(-r));
                return 1;
        }
        LLVMFuzzerTestOneInput((const uint8_t *)data, len);
        free(data);
        return 0;
}

int main(int argc, char **argv) {
        int failures = 0, n = 0;
        for (int i = 1; i < argc; i++) {
                struct stat st;
                if (stat(argv[i], &st) < 0) {
                        fprintf(stderr, "%s: missing\n", argv[i]);
                        return 1;
                }
                if (!S_ISDIR(st.st_mode)) {
                        failures += replay_file(argv[i]);
                        n++;
                        continue;
                }
                DIR *d = opendir(argv[i]);
                struct dirent *de;
                while (d && (de = readdir(d))) {
                        if (de->d_name[0] == '.')
                                continue;
                        char path[4096];
                        snprintf(path, sizeof(path), "%s/%s", argv[i], de->d_name);
                        failures += replay_file(path);
                        n++;
                }
                if (d)
                        closedir(d);
        }
        printf("%d passed, %d failed\n", n - failures, failures);
        return failures ? 1 : 0;
}
