/* SPDX-License-Identifier: Apache-2.0 */
/* The pci.conf editor: whatever it writes must read as wide, and widening
 * its own output must change nothing. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe-conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *out = NULL;
        bool changed = false;
        /* The invariants below read text with strlen: a NUL byte ends a
         * configuration file for every reader of it, so none are fed here. */
        if (memchr(data, 0, size))
                return 0;
        if (probe_conf_widen((const char *)data, size, &out, &changed, NULL) < 0)
                return 0;
        if (!out) {
                /* Unchanged: only right when the input already was wide. */
                if (changed || !probe_conf_is_wide((const char *)data, size))
                        abort();
                return 0;
        }
        if (!probe_conf_is_wide(out, strlen(out)))
                abort();
        char *again = NULL;
        bool changed_again = true;
        if (probe_conf_widen(out, strlen(out), &again, &changed_again, NULL) < 0 || changed_again ||
            again)
                abort();
        free(again);
        free(out);
        return 0;
}
