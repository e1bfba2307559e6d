/* SPDX-License-Identifier: Apache-2.0 */
#include "fetch-inventory.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "context.h"
#include "exit-codes.h"
#include "fileio.h"
#include "identity.h"
#include "error-message.h"
#include "inventory.h"
#include "log.h"
#include "macros.h"
#include "node-key.h"
#include "registrar-client.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct inventory *, inventory_free)

/* Without an inventory there is nothing to match against: the most trusted
 * name this machine has (--host, cloud-init, the hostname) is the node. */
static int node_name(const struct agent_options *o, char **ret) {
        _cleanup_(onepci_context_freep) struct onepci_context *ctx = NULL;
        _cleanup_(identity_facts_freep) struct identity_facts *facts = NULL;
        int r = onepci_context_new(o->root, &ctx);
        if (r < 0)
                return r;
        r = identity_collect(ctx, o->host, &facts);
        if (r < 0)
                return r;
        for (size_t i = 0; i < facts->n_candidates; i++)
                if (facts->candidates[i].source != IDENTITY_ADDRESS &&
                    sign_node_name_valid(facts->candidates[i].value)) {
                        *ret = strdup(facts->candidates[i].value);
                        return *ret ? 0 : -ENOMEM;
                }
        return -ENOENT;
}

/* The answer must be an inventory that has this node, before it replaces a file. */
static int check_answer(const char *yaml, const char *node, const char *output) {
        _cleanup_(inventory_freep) struct inventory *inv = NULL;
        struct error_message err = { 0 };
        int r = inventory_load_buffer(yaml, strlen(yaml), output, NULL, &inv, &err);
        if (r < 0) {
                /* The message may quote the answer: escaped for the journal. */
                char why[ERROR_MESSAGE_FORMAT_MAX];
                log_error("the registrar's answer is not an inventory: %s",
                          error_message_format(&err, output, NULL, why, sizeof(why)));
                return r;
        }
        for (size_t i = 0; i < inventory_n_hosts(inv); i++)
                if (STREQ(inventory_host_name(inv, i), node))
                        return 0;
        log_error("the registrar's inventory does not name node %s", node);
        return -ENOENT;
}

int agent_fetch_inventory(const struct agent_options *o) {
        const char *output = o->output ? o->output : o->inventory;
        _cleanup_free_ char *node = NULL;
        struct error_message err = { 0 };
        char key[SIGN_KEY_HEX_LEN + 1];

        if (!o->registrar_url) {
                log_error("fetch-inventory needs --registrar URL (there is no inventory to read it from)");
                return EXIT_USAGE;
        }
        int r = node_name(o, &node);
        if (r < 0) {
                log_error("cannot tell this node's name: give --host NAME");
                return EXIT_IDENTITY;
        }
        r = node_key_load(o->key_file, key, &err);
        if (r < 0) {
                log_error("%s", error_is_set(&err) ? err.text : strerror(-r));
                return EXIT_REGISTER;
        }

        struct registrar_client_options ro;
        agent_options_to_registrar(o, o->registrar_url, node, key, &ro);
        struct registrar_client_result res = { 0 };
        r = registrar_client_fetch_inventory(&ro, &res);
        explicit_bzero(key, sizeof(key));
        if (r < 0 || !res.body) {
                log_error("fetching the inventory of %s from %s failed: %s", node, o->registrar_url,
                          error_is_set(&res.error) ? res.error.text : strerror(r < 0 ? -r : EPROTO));
                registrar_client_result_clear(&res);
                return EXIT_REGISTER;
        }
        r = check_answer(res.body, node, output);
        if (r == 0) {
                _cleanup_free_ char *dir = strdup(output);
                char *slash = dir ? strrchr(dir, '/') : NULL;
                if (slash && slash != dir) {
                        *slash = '\0';
                        (void)mkdir_parents(dir, 0755);
                }
                bool changed = false;
                /* Only root reads it: it may hold what the operator gave this node
                 * alone (issue 12 item 5); a 0644 copy from before is tightened. */
                r = write_file_if_changed(output, res.body, strlen(res.body), 0600, &changed);
                if (r < 0)
                        log_error("cannot write %s: %s", output, strerror(-r));
                else
                        printf("onepci-agent fetch-inventory: node %s's inventory from %s %s %s\n",
                               node, o->registrar_url, changed ? "written to" : "unchanged in",
                               output);
        }
        registrar_client_result_clear(&res);
        return r < 0 ? EXIT_CONFIG : EXIT_OK;
}
