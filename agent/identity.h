/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Which inventory host is this machine?
 *
 * Candidates, in order of trust; the first source that matches exactly one
 * inventory host decides, later sources are not consulted:
 *   1. --host NAME (when given, the only candidate)
 *   2. cloud-init's ROOT/run/cloud-init/instance-data.json v1.local_hostname
 *      (as written, and its first label when it has dots)
 *   3. the full and the short hostname (gethostname() on a live root,
 *      ROOT/etc/hostname otherwise)
 *   4. the machine's addresses (getifaddrs() on a live root, none otherwise)
 *      compared with each host's ansible_host
 * A name written exactly as an inventory host (byte for byte) chooses it:
 * hosts that differ only in case are different hosts for Ansible.  Failing
 * that, names compare case-insensitively (they are DNS names).  Addresses
 * compare exactly.
 *
 * Use:
 *   identity_collect(ctx, host_flag, &facts);
 *   inventory_load(path, &(struct inventory_load_options){
 *           .keep_host = identity_keep_host, .userdata = facts }, &inv, &err);
 *   identity_resolve(facts, inv, &name, &why);  // why: for the person */

#include <stdbool.h>
#include <stddef.h>

#include "context.h"
#include "inventory.h"

enum identity_source {
        IDENTITY_GIVEN,      /* --host */
        IDENTITY_CLOUD_INIT, /* instance-data.json v1.local_hostname */
        IDENTITY_HOSTNAME,   /* short and full hostname */
        IDENTITY_ADDRESS,    /* an address of this machine = ansible_host */
        _IDENTITY_SOURCE_MAX,
};

struct identity_candidate {
        enum identity_source source;
        char *value;
};

struct identity_facts {
        struct identity_candidate *candidates; /* in order of trust */
        size_t n_candidates, cap_candidates;
};

/* Collects this machine's candidates below ctx->root.  host may be NULL.
 * Missing or unreadable sources are skipped, never an error. */
int identity_collect(const struct onepci_context *ctx, const char *host,
                     struct identity_facts **ret);
void identity_facts_free(struct identity_facts *facts);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct identity_facts *, identity_facts_free)

/* Adds a candidate (duplicates within a source are ignored); for callers
 * and tests that know more about the machine than identity_collect. */
int identity_add(struct identity_facts *facts, enum identity_source source, const char *value);

/* An inventory_load keep_host callback; userdata is the struct identity_facts.
 * Keeps every host some candidate could match, so that only their
 * variables are read. */
bool identity_keep_host(const char *name, const char *ansible_host, void *userdata);

/* The one inventory host this machine is.  -ENOENT when none matches,
 * -ENOTUNIQ when one source matches two or more; then *ret_message (always
 * set on failure, may be NULL on -ENOMEM) lists the candidates tried and
 * the hosts found. */
int identity_resolve(const struct identity_facts *facts, const struct inventory *inv,
                     char **ret_name, char **ret_message);

const char *identity_source_name(enum identity_source source);
