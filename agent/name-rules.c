/* SPDX-License-Identifier: Apache-2.0 */
#include "name-rules.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "macros.h"

int name_rules_render(const struct name_rule *rules, size_t n, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        fputs("# Written by onepci-agent from pci_devices' set_name (see onepci-agent(8)).\n"
              "# Local edits are overwritten.\n",
              f);
        for (size_t i = 0; i < n; i++) {
                const struct name_rule *r = &rules[i];
                fprintf(f, "# %s <- %s\n", r->address, r->name);
                if (r->vfio)
                        fprintf(f, "SUBSYSTEM==\"vfio\", ACTION!=\"remove\", PROGRAM=\"/usr/bin/test "
                                   "/sys/bus/pci/devices/%s/iommu_group -ef "
                                   "/sys/kernel/iommu_groups/%%k\", SYMLINK+=\"vfio/by-tag/%s\"\n",
                                r->address, r->name);
                else
                        fprintf(f, "SUBSYSTEM==\"net\", ACTION==\"add\", SUBSYSTEMS==\"pci\", "
                                   "KERNELS==\"%s\", NAME=\"%s\"\n",
                                r->address, r->name);
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}
