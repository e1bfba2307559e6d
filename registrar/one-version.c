/* SPDX-License-Identifier: Apache-2.0 */
/* Version strings as oned answers one.system.version. */

#include <errno.h>
#include <stdlib.h>

#include "one-version.h"

int one_version_at_least(const char *version, int major, int minor, bool *ret) {
        char *end = NULL;
        long ma, mi;

        if (!version || version[0] < '0' || version[0] > '9')
                return -EINVAL;
        errno = 0;
        ma = strtol(version, &end, 10);
        if (errno != 0 || *end != '.' || end[1] < '0' || end[1] > '9')
                return -EINVAL;
        mi = strtol(end + 1, &end, 10);
        if (errno != 0 || (*end != '\0' && *end != '.' && *end != '-'))
                return -EINVAL;
        *ret = ma > major || (ma == major && mi >= minor);
        return 0;
}
