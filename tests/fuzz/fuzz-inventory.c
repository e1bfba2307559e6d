/* SPDX-License-Identifier: Apache-2.0 */
/* The inventory reader and the agent's host configuration on arbitrary YAML. */
#include <stddef.h>
#include <stdint.h>

#include "error-message.h"
#include "host-config.h"
#include "inventory.h"
#include "macros.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct inventory *inv = NULL;
        struct error_message err = { 0 };
        struct inventory_load_options o = { .max_alias_nodes = 10000 };

        if (inventory_load_buffer((const char *)data, size, "fuzz.yml", &o, &inv, &err) < 0)
                return 0;
        for (size_t i = 0; i < inventory_n_hosts(inv); i++) {
                struct inv_value *vars = NULL;
                const char *name = inventory_host_name(inv, i);
                if (inventory_host_vars(inv, name, &vars) < 0)
                        continue;
                char **groups = NULL;
                if (inventory_host_groups(inv, name, &groups) == 0)
                        strv_free(groups);
                struct host_config *cfg = NULL;
                if (host_config_from_vars(name, vars, &cfg, &err) == 0)
                        host_config_free(cfg);
                inv_value_unref(vars);
        }
        inventory_free(inv);
        return 0;
}
