/* SPDX-License-Identifier: Apache-2.0 */
/* onepci-registrar: the command line over the registrar library. */

#include <errno.h>
#include <malloc.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include <openssl/crypto.h>

#include "apply-report.h"
#include "auth.h"
#include "cloud-config.h"
#include "config.h"
#include "fileio.h"
#include "error-message.h"
#include "inventory.h"
#include "log.h"
#include "macros.h"
#include "one-client.h"
#include "registrar-config.h"
#include "registrar.h"
#include "server.h"
#include "sign.h"

#define ONEADMIN_HOME "/var/lib/one"

static const char usage[] =
        "Usage:\n"
        "  onepci-registrar serve [OPTIONS]\n"
        "  onepci-registrar keygen [--secret-file FILE]\n"
        "  onepci-registrar node-key [--secret-file FILE] NAME\n"
        "  onepci-registrar cloud-config [--inventory FILE] [--secret-file FILE] [--url URL] NAME\n"
        "  onepci-registrar --help | --version\n"
        "\n"
        "Receives signed PCI reports from onepci-agent on OpenNebula nodes and sets each\n"
        "host's PCI_FILTER (and PCI_SHORT_ADDRESS) through oned's XML-RPC API, after\n"
        "widening the PCI monitoring probe to '*:*' and running one `onehost sync`.\n"
        "\n"
        "serve options (each also settable in the config file under its long name):\n"
        "  --config FILE            settings file (default " REGISTRAR_DEFAULT_CONFIG ";\n"
        "                           missing = defaults)\n"
        "  --listen ADDR:PORT       address to listen on (default 0.0.0.0:8474)\n"
        "  --secret-file FILE       registrar secret, created 0600 when missing\n"
        "                           (default " REGISTRAR_DEFAULT_SECRET ")\n"
        "  --remotes-dir DIR        IM remotes holding kvm-probes.d/pci.conf\n"
        "                           (default /var/lib/one/remotes/etc/im)\n"
        "  --sync-command CMD       run after pci.conf changed, split into words, no shell\n"
        "                           (default \"onehost sync --force\")\n"
        "  --sync-timeout SECONDS   kill the sync command after this long (default 300)\n"
        "  --filter-mode MODE       ids: PCI_FILTER vendor:device only; addresses: also\n"
        "                           PCI_SHORT_ADDRESS; auto (default): addresses when the\n"
        "                           node has twins (identical devices it keeps); a host\n"
        "                           that has PCI_SHORT_ADDRESS keeps getting it\n"
        "  --protect-clusters yes|no  set PCI_FILTER=\"0:0\" on clusters without one before\n"
        "                           widening the probe (default yes)\n"
        "  --create-hosts           allocate unknown hosts instead of answering 409\n"
        "  --im-mad NAME            IM driver for created hosts (default kvm)\n"
        "  --vm-mad NAME            VM driver for created hosts (default kvm)\n"
        "  --cluster-id ID          cluster for created hosts (default -1: oned's default)\n"
        "  --tls-cert FILE --tls-key FILE   serve HTTPS\n"
        "  --inventory FILE         check host names against this inventory (default\n"
        "                           " REGISTRAR_DEFAULT_INVENTORY " when it exists)\n"
        "  --forceupdate-pause-ms N pause between OFFLINE and back (default 500)\n"
        "  --oned-timeout-ms N      per-call timeout for oned (default 30000)\n"
        "  --oned-max-concurrent N  oned calls at once (default 8)\n"
        "  --threads N              worker threads (default 16)\n"
        "  --max-connections N      open connections at once (default 1024)\n"
        "  --max-connections-per-ip N  of those, from one client address (default 64,\n"
        "                           0: no limit)\n"
        "  --connection-timeout S   idle connection timeout (default 30)\n"
        "  --auth-window S          accepted clock difference (default 300)\n"
        "  --retry-after S          Retry-After on 409 and 503 (default 10)\n"
        "  --version-cache S        how long oned's version is cached (default 60)\n"
        "  --health-interval S      how often oned is checked for /healthz (default 5)\n"
        "  -v, --verbose            log every request\n"
        "\n"
        "oned is found as OpenNebula's tools find it: ONE_XMLRPC, "
        "~/.one/one_endpoint,\n" ONEADMIN_HOME
        "/.one/one_endpoint, http://localhost:2633/RPC2; the session from\n"
        "the file named by ONE_AUTH, ~/.one/one_auth, " ONEADMIN_HOME "/.one/one_auth.\n"
        "\n"
        "keygen creates the secret (refuses to overwrite one).  node-key prints NAME's\n"
        "key on one line, for the node's " ONEPCI_SYSCONFDIR "/onepci/node.key.  cloud-config\n"
        "prints #cloud-config user-data with NAME's key and only NAME's part of the\n"
        "inventory.\n";

enum {
        OPT_CONFIG = 0x100,
        OPT_URL,
        OPT_SETTING, /* every other long option: a registrar_config key */
};

static const struct option serve_options[] = {
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"verbose", no_argument, NULL, 'v'},
        {"config", required_argument, NULL, OPT_CONFIG},
        {"url", required_argument, NULL, OPT_URL},
        {"create-hosts", no_argument, NULL, OPT_SETTING},
        {"listen", required_argument, NULL, OPT_SETTING},
        {"secret-file", required_argument, NULL, OPT_SETTING},
        {"remotes-dir", required_argument, NULL, OPT_SETTING},
        {"sync-command", required_argument, NULL, OPT_SETTING},
        {"sync-timeout", required_argument, NULL, OPT_SETTING},
        {"filter-mode", required_argument, NULL, OPT_SETTING},
        {"protect-clusters", required_argument, NULL, OPT_SETTING},
        {"im-mad", required_argument, NULL, OPT_SETTING},
        {"vm-mad", required_argument, NULL, OPT_SETTING},
        {"cluster-id", required_argument, NULL, OPT_SETTING},
        {"tls-cert", required_argument, NULL, OPT_SETTING},
        {"tls-key", required_argument, NULL, OPT_SETTING},
        {"inventory", required_argument, NULL, OPT_SETTING},
        {"forceupdate-pause-ms", required_argument, NULL, OPT_SETTING},
        {"oned-timeout-ms", required_argument, NULL, OPT_SETTING},
        {"oned-max-concurrent", required_argument, NULL, OPT_SETTING},
        {"threads", required_argument, NULL, OPT_SETTING},
        {"max-connections", required_argument, NULL, OPT_SETTING},
        {"max-connections-per-ip", required_argument, NULL, OPT_SETTING},
        {"connection-timeout", required_argument, NULL, OPT_SETTING},
        {"auth-window", required_argument, NULL, OPT_SETTING},
        {"retry-after", required_argument, NULL, OPT_SETTING},
        {"version-cache", required_argument, NULL, OPT_SETTING},
        {"health-interval", required_argument, NULL, OPT_SETTING},
        {}};

struct cli {
        int argc;
        char **argv;
        const char *command;
        const char *config;
        const char *url;
        bool verbose;
        char **positional;
        int n_positional;
};

/* Two passes over argv: the first finds --config, the second applies every
 * flag on top of the file, so the command line wins. */
static int parse_args(int argc, char **argv, struct cli *cli, struct registrar_config *cfg,
                      bool apply) {
        int c, idx;

        optind = 2;
        opterr = apply;
        while ((c = getopt_long(argc, argv, "hVv", serve_options, &idx)) >= 0) {
                switch (c) {
                case 'h':
                        fputs(usage, stdout);
                        exit(EXIT_SUCCESS);
                case 'V':
                        printf("onepci-registrar %s\n", ONEPCI_VERSION);
                        exit(EXIT_SUCCESS);
                case 'v':
                        cli->verbose = true;
                        break;
                case OPT_CONFIG:
                        cli->config = optarg;
                        break;
                case OPT_URL:
                        cli->url = optarg;
                        break;
                case OPT_SETTING:
                        if (apply) {
                                struct error_message err = {};
                                const char *name = serve_options[idx].name;
                                if (config_set(cfg, name, optarg ? optarg : "yes", &err) < 0) {
                                        log_error("--%s", err.text);
                                        return -EINVAL;
                                }
                        }
                        break;
                default:
                        if (apply)
                                fprintf(stderr, "Try 'onepci-registrar --help'.\n");
                        return -EINVAL;
                }
        }
        cli->positional = argv + optind;
        cli->n_positional = argc - optind;
        return 0;
}

/* Logs a message handed back by the library, after prefix, with its place
 * in a file when it has one. */
static void log_message(const char *prefix, const struct error_message *e) {
        if (e->file[0] && e->line > 0)
                log_error("%s%s:%u: %s", prefix, e->file, e->line, e->text);
        else
                log_error("%s%s", prefix, e->text);
}

static int load_inventory(const struct registrar_config *cfg, struct inventory **ret) {
        struct error_message err = {};
        const char *path = cfg->inventory;
        int r;

        *ret = NULL;
        if (!path || !*path) {
                if (!path_exists(REGISTRAR_DEFAULT_INVENTORY))
                        return 0;
                path = REGISTRAR_DEFAULT_INVENTORY;
        }
        r = inventory_load(path, NULL, ret, &err);
        if (r < 0) {
                /* err.file: a host_vars file may be the one at fault. */
                char line[ERROR_MESSAGE_FORMAT_MAX];
                log_error("%s", error_message_format(&err, path, strerror(-r), line, sizeof(line)));
        }
        return r;
}

static volatile sig_atomic_t dummy;

/* SIGHUP: the config file and flags read again, then the secret and the
 * inventory; the registrar switches to them at once (a node removed from
 * the inventory is refused from its next request on).  On any error
 * nothing changes. */
static int reload(struct registrar *reg, const struct cli *cli) {
        struct registrar_config *cfg = calloc(1, sizeof(*cfg));
        _cleanup_free_ char *fixed = NULL;
        uint8_t secret[AUTH_SECRET_LEN];
        struct inventory *inv = NULL;
        struct cli scratch = *cli;
        struct error_message err = {};
        int r;

        if (!cfg || config_init(cfg) < 0) {
                free(cfg);
                log_error("reload: out of memory; running on as before");
                return -ENOMEM;
        }
        r = config_load_file(cfg, cli->config ? cli->config : REGISTRAR_DEFAULT_CONFIG,
                             cli->config != NULL, &err);
        if (r < 0)
                log_message("reload: ", &err);
        if (r >= 0)
                r = parse_args(cli->argc, cli->argv, &scratch, cfg, true);
        if (r >= 0) {
                r = auth_secret_load(cfg->secret_file, false, secret, &err);
                if (r < 0)
                        log_message("reload: ", &err);
        }
        if (r >= 0)
                r = load_inventory(cfg, &inv);
        if (r >= 0)
                r = config_keep_fixed(cfg, reg->cfg, &fixed);
        if (r >= 0)
                r = registrar_reload(reg, cfg, secret, inv);
        OPENSSL_cleanse(secret, sizeof(secret));
        if (r < 0) {
                if (inv)
                        inventory_free(inv);
                config_done(cfg);
                free(cfg);
                log_error("reload failed: running on with the settings, secret and inventory "
                          "as they were");
                return r;
        }
        one_client_reload_session(reg->one);
        log_info("reloaded %s, the secret and %s",
                 cli->config ? cli->config : REGISTRAR_DEFAULT_CONFIG,
                 inv ? "the inventory" : "no inventory (host names trusted as sent)");
        if (fixed && *fixed)
                log_warning("reload: these settings only change with a restart and were kept: "
                            "%s",
                            fixed);
        return 0;
}

static int cmd_serve(struct registrar_config *cfg, const struct cli *cli) {
        _cleanup_free_ char *endpoint = NULL, *session = NULL;
        uint8_t secret[AUTH_SECRET_LEN];
        struct inventory *inv = NULL;
        struct one_client *one = NULL;
        struct registrar *reg = NULL;
        struct server *srv = NULL;
        struct error_message err = {};
        sigset_t mask;
        int r, sig;

        if (cli->n_positional > 0) {
                log_error("serve takes no arguments (\"%s\")", cli->positional[0]);
                return -EINVAL;
        }
        /* glibc gives each contending thread its own malloc arena (up to 8 per
         * core) and keeps an arena's freed pages: with 24 threads the
         * registrar's memory grew with every arena it touched (soak: 25 ->
         * 49 MB in 10,000 reports).  A few arenas are plenty at this load;
         * an environment's MALLOC_ARENA_MAX still wins. */
        if (!getenv("MALLOC_ARENA_MAX"))
                (void)mallopt(M_ARENA_MAX, 4);
        r = auth_secret_load(cfg->secret_file, true, secret, &err);
        if (r < 0) {
                log_message("", &err);
                return r;
        }
        r = load_inventory(cfg, &inv);
        if (r < 0)
                goto out;

        r = one_resolve_endpoint(getenv("ONE_XMLRPC"), getenv("HOME"), ONEADMIN_HOME, &endpoint);
        if (r >= 0)
                r = one_resolve_session(getenv("ONE_AUTH"), getenv("HOME"), ONEADMIN_HOME, &session,
                                        &err);
        if (r < 0) {
                log_error("%s", error_is_set(&err) ? err.text : strerror(-r));
                goto out;
        }

        /* Signals are taken by sigwait below; block them before any thread starts. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGHUP);
        pthread_sigmask(SIG_BLOCK, &mask, NULL);
        signal(SIGPIPE, SIG_IGN);

        r = one_client_global_init();
        if (r < 0) {
                log_error("xmlrpc-c initialisation failed");
                goto out;
        }
        r = one_client_new(endpoint, session, cfg->oned_max_concurrent, cfg->oned_timeout_ms, &one);
        explicit_bzero(session, strlen(session));
        if (r >= 0) {
                r = one_client_set_session_source(one, getenv("ONE_AUTH"), getenv("HOME"),
                                                  ONEADMIN_HOME);
                if (r < 0)
                        one_client_free(one);
        }
        if (r < 0)
                goto out_global;
        r = registrar_new(cfg, one, secret, inv, &reg);
        if (r < 0) {
                one_client_free(one);
                log_error("cannot start: %s (is --sync-command free of quotes?)", strerror(-r));
                goto out_global;
        }
        inv = NULL; /* the registrar owns them now */
        r = registrar_start_health_check(reg);
        if (r < 0) {
                log_error("cannot start the oned check: %s", strerror(-r));
                goto out_reg;
        }
        r = server_start(reg, &srv, &err);
        if (r < 0) {
                log_message("", &err);
                goto out_reg;
        }
        if (cli->verbose)
                log_set_level(LOG_LVL_DEBUG);
        log_info("listening on %s (port %u), oned at %s, remotes %s, filter mode %s%s%s",
                 cfg->listen, server_port(srv), endpoint, cfg->remotes_dir,
                 filter_mode_to_string(cfg->filter_mode),
                 reg->inventory ? ", host names checked against the inventory" : "",
                 cfg->tls_cert ? ", TLS" : "");
#ifdef HAVE_LIBSYSTEMD
        sd_notify(0, "READY=1");
#endif
        /* Forced updates a registrar left half done: finished in the
         * background, tried again (with back-off) until oned lets it. */
        r = registrar_start_pending_scan(reg, PENDING_SCAN_FIRST_MS, PENDING_SCAN_MAX_MS);
        if (r < 0)
                log_warning("cannot start the scan for pending forced updates: %s", strerror(-r));
        for (;;) {
                if (sigwait(&mask, &sig) != 0 || sig != SIGHUP)
                        break;
#ifdef HAVE_LIBSYSTEMD
                sd_notify(0, "RELOADING=1");
#endif
                (void)reload(reg, cli);
#ifdef HAVE_LIBSYSTEMD
                sd_notify(0, "READY=1");
#endif
        }
        log_info("stopping (signal %d)", sig);
#ifdef HAVE_LIBSYSTEMD
        sd_notify(0, "STOPPING=1");
#endif
        server_stop(srv);
        r = 0;
out_reg:
        registrar_free(reg);
out_global:
        one_client_global_done();
out:
        if (inv)
                inventory_free(inv);
        OPENSSL_cleanse(secret, sizeof(secret));
        return r;
}

static int cmd_keygen(const struct registrar_config *cfg, const struct cli *cli) {
        struct error_message err = {};
        int r;

        if (cli->n_positional > 0) {
                log_error("keygen takes no arguments");
                return -EINVAL;
        }
        r = auth_secret_create(cfg->secret_file, &err);
        if (r < 0) {
                log_message("", &err);
                return r;
        }
        fprintf(stderr, "created %s (mode 0600)\n", cfg->secret_file);
        return 0;
}

static int node_key(const struct registrar_config *cfg, const char *name,
                    char key[SIGN_KEY_HEX_LEN + 1]) {
        uint8_t secret[AUTH_SECRET_LEN];
        struct error_message err = {};
        int r;

        if (!sign_node_name_valid(name)) {
                log_error("\"%s\" is not a node name ([A-Za-z0-9][A-Za-z0-9._-]{0,63})", name);
                return -EINVAL;
        }
        r = auth_secret_load(cfg->secret_file, false, secret, &err);
        if (r < 0) {
                log_error("%s%s", err.text,
                          r == -ENOENT ? " (create it with onepci-registrar keygen)" : "");
                return r;
        }
        r = sign_derive_node_key(secret, sizeof(secret), name, key);
        OPENSSL_cleanse(secret, sizeof(secret));
        return r;
}

static int cmd_node_key(const struct registrar_config *cfg, const struct cli *cli) {
        char key[SIGN_KEY_HEX_LEN + 1];
        int r;

        if (cli->n_positional != 1) {
                log_error("node-key takes exactly one NAME");
                return -EINVAL;
        }
        r = node_key(cfg, cli->positional[0], key);
        if (r < 0)
                return r;
        printf("%s\n", key);
        OPENSSL_cleanse(key, sizeof(key));
        return fflush(stdout) == 0 ? 0 : -EIO;
}

static int cmd_cloud_config(const struct registrar_config *cfg, const struct cli *cli) {
        char key[SIGN_KEY_HEX_LEN + 1];
        struct inventory *inv = NULL;
        _cleanup_free_ char *text = NULL;
        struct error_message err = {};
        int r;

        if (cli->n_positional != 1) {
                log_error("cloud-config takes exactly one NAME");
                return -EINVAL;
        }
        r = load_inventory(cfg, &inv);
        if (r < 0)
                return r;
        if (!inv) {
                log_error("no inventory: give --inventory FILE");
                return -ENOENT;
        }
        r = node_key(cfg, cli->positional[0], key);
        if (r >= 0)
                r = cloud_config_render(inv, cli->positional[0], key, cli->url, &text, &err);
        OPENSSL_cleanse(key, sizeof(key));
        inventory_free(inv);
        if (r < 0) {
                if (error_is_set(&err))
                        log_error("%s", err.text);
                return r;
        }
        fputs(text, stdout);
        explicit_bzero(text, strlen(text));
        return fflush(stdout) == 0 ? 0 : -EIO;
}

int main(int argc, char **argv) {
        struct registrar_config cfg;
        struct cli cli = {};
        struct error_message err = {};
        int r;

        log_set_program("onepci-registrar");
        (void)dummy;
        if (argc < 2) {
                fputs(usage, stderr);
                return 2;
        }
        if (STREQ(argv[1], "--help") || STREQ(argv[1], "-h")) {
                fputs(usage, stdout);
                return 0;
        }
        if (STREQ(argv[1], "--version") || STREQ(argv[1], "-V")) {
                printf("onepci-registrar %s\n", ONEPCI_VERSION);
                return 0;
        }
        cli.argc = argc;
        cli.argv = argv;
        cli.command = argv[1];
        if (!STREQ(cli.command, "serve") && !STREQ(cli.command, "keygen") &&
            !STREQ(cli.command, "node-key") && !STREQ(cli.command, "cloud-config")) {
                log_error("unknown command \"%s\"; try --help", cli.command);
                return 2;
        }
        if (config_init(&cfg) < 0)
                return 1;

        if (parse_args(argc, argv, &cli, &cfg, false) < 0) {
                parse_args(argc, argv, &cli, &cfg, true);
                config_done(&cfg);
                return 2;
        }
        r = config_load_file(&cfg, cli.config ? cli.config : REGISTRAR_DEFAULT_CONFIG,
                             cli.config != NULL, &err);
        if (r < 0) {
                log_message("", &err);
                config_done(&cfg);
                return 2;
        }
        if (parse_args(argc, argv, &cli, &cfg, true) < 0) {
                config_done(&cfg);
                return 2;
        }

        if (STREQ(cli.command, "serve"))
                r = cmd_serve(&cfg, &cli);
        else if (STREQ(cli.command, "keygen"))
                r = cmd_keygen(&cfg, &cli);
        else if (STREQ(cli.command, "node-key"))
                r = cmd_node_key(&cfg, &cli);
        else
                r = cmd_cloud_config(&cfg, &cli);
        config_done(&cfg);
        return r < 0 ? (r == -EINVAL ? 2 : 1) : 0;
}
