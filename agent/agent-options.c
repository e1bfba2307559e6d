/* SPDX-License-Identifier: Apache-2.0 */
#include "agent-options.h"

void agent_options_to_registrar(const struct agent_options *o, const char *url, const char *node,
                                const char *key_hex, struct registrar_client_options *ret) {
        registrar_client_options_init(ret);
        ret->url = url;
        ret->node = node;
        ret->key_hex = key_hex;
        ret->ca_file = o->ca_file;
        if (o->deadline_s >= 0)
                ret->deadline_ms = (int64_t)o->deadline_s * 1000;
}
