/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The registrar's settings: defaults, the YAML file
 * (/etc/onepci/registrar.yml: a flat mapping whose keys are the long option
 * names, dashes or underscores), then command-line flags. */

#include <stdbool.h>
#include <stddef.h>

#include "error-message.h"
#include "filter.h"

#define REGISTRAR_DEFAULT_CONFIG ONEPCI_SYSCONFDIR "/onepci/registrar.yml"
#define REGISTRAR_DEFAULT_SECRET ONEPCI_SYSCONFDIR "/onepci/registrar.secret"
#define REGISTRAR_DEFAULT_INVENTORY ONEPCI_SYSCONFDIR "/onepci/inventory.yml"

struct registrar_config {
        char *listen; /* ADDR:PORT */
        char *secret_file;
        char *remotes_dir;
        char *sync_command;
        char *tls_cert, *tls_key;
        char *inventory;    /* NULL: none */
        bool inventory_set; /* given explicitly: must exist */
        char *im_mad, *vm_mad;
        int cluster_id;
        enum filter_mode filter_mode;
        bool protect_clusters;
        bool create_hosts;
        unsigned forceupdate_pause_ms;
        unsigned sync_timeout_s;
        unsigned oned_timeout_ms;
        unsigned oned_max_concurrent;
        unsigned threads;
        unsigned max_connections;
        unsigned max_connections_per_ip; /* 0: no limit per client address */
        unsigned connection_timeout_s;
        unsigned auth_window_s;
        unsigned retry_after_s;
        unsigned version_cache_s;
        unsigned health_interval_s; /* the background oned check behind /healthz */
};

int config_init(struct registrar_config *c);
void config_done(struct registrar_config *c);

/* Sets one key ("listen", "filter-mode", "create_hosts"...).  Boolean keys
 * take yes/no/true/false.  -EINVAL / -ENOENT (unknown key) with a message. */
int config_set(struct registrar_config *c, const char *key, const char *value,
               struct error_message *ret_error);

/* Parses a file's text; a message has the file and line (error_set_at())
 * and reads "FILE:LINE: ...". */
int config_parse_buffer(struct registrar_config *c, const char *data, size_t len,
                        const char *filename, struct error_message *ret_error);

/* A missing file means defaults unless must_exist. */
int config_load_file(struct registrar_config *c, const char *path, bool must_exist,
                     struct error_message *ret_error);

/* For a reload (SIGHUP): the settings fixed at start (listening socket, TLS,
 * threads and connection limits, the oned client, the sync runner, the
 * auth window, the health interval) are set in fresh back to their running
 * values.  *ret_changed gets the names of those that differed, comma
 * separated ("" when none); the caller frees it. */
int config_keep_fixed(struct registrar_config *fresh, const struct registrar_config *running,
                      char **ret_changed);

/* Splits "host:port" / "[v6]:port".  -EINVAL with a reason. */
int config_split_listen(const char *listen, char **ret_host, unsigned *ret_port);
