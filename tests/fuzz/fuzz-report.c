/* SPDX-License-Identifier: Apache-2.0 */
/* The registrar's validator of agent reports (untrusted JSON from the network). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "report-validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct pci_report r;
        memset(&r, 0, sizeof(r));
        if (report_parse((const char *)data, size, &r, NULL) == 0)
                report_done(&r);
        return 0;
}
