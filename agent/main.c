/* SPDX-License-Identifier: Apache-2.0 */
/* onepci-agent: binds this node's inventory-listed PCI devices to vfio-pci.
 * Only the command line lives here: the options, then one table of commands
 * (kmod's shape); the work is in agent-run.c and fetch-inventory.c. */

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent-run.h"
#include "config.h"
#include "exit-codes.h"
#include "fetch-inventory.h"
#include "inventory-dump.h"
#include "log.h"
#include "macros.h"
#include "node-key.h"

struct command {
        const char *name;
        int (*run)(const struct agent_options *o);
        const char *help;
};

static const struct command commands[] = {
        { "plan", agent_plan, "show what apply would do; change nothing" },
        { "apply", agent_apply, "bind, write the udev rule, record the state, register" },
        { "check", agent_check, "exit 8 when the node drifted from the inventory" },
        { "register", agent_register, "send the node's current state to the registrar" },
        { "fetch-inventory", agent_fetch_inventory,
          "get this node's part of the inventory from the registrar\n"
          "                   (needs --registrar; written to --output or --inventory)" },
        { "inventory", agent_inventory_dump,
          "print the variables onepci reads, per host (or --host), as JSON" },
};

static void usage(FILE *f) {
        fputs("Usage: onepci-agent [OPTIONS] COMMAND\n"
              "\n"
              "Binds this node's PCI devices listed in the Ansible inventory to vfio-pci\n"
              "(through driverctl), installs the udev rule for /dev/vfio/N and registers the\n"
              "node with onepci-registrar.\n"
              "\n"
              "Commands:\n", f);
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                fprintf(f, "  %-16s %s\n", commands[i].name, commands[i].help);
        fputs("\n"
              "Options:\n"
              "  --inventory FILE   inventory (default /etc/onepci/inventory.yml)\n"
              "  --host NAME        this node's inventory name (default: found from cloud-init,\n"
              "                     the hostname or ansible_host)\n"
              "  --root DIR         root for /sys, /proc, /etc, /run, /var/lib (default /);\n"
              "                     with another root the running system is never touched\n"
              "  --driverctl PATH   the driverctl program to run\n"
              "  --no-install       do not install driverctl when it is missing\n"
              "  --no-register      do not register after apply (image builds)\n"
              "  --devlink PROGRAM  devlink (iproute2) for set_switchdev (default: search PATH;\n"
              "                     required with --root)\n"
              "  --force            apply: give a device back even while a process holds\n"
              "                     its /dev/vfio/N\n"
              "  --registrar URL    registrar (default: pci_registrar_url, else the first\n"
              "                     frontend host on port 8474)\n"
              "  --key-file FILE    node key (default /etc/onepci/node.key)\n"
              "  --ca-file FILE     CA certificates for an https registrar\n"
              "  --deadline SECONDS give up registering after this long (default 300;\n"
              "                     0 tries once)\n"
              "  --udev-timeout MS  wait this long for /dev/vfio/N (default 10000)\n"
              "  --output FILE      fetch-inventory: where to write (default: --inventory)\n"
              "  --json             machine-readable output (see onepci-agent(8))\n"
              "  -v, --verbose      more messages\n"
              "  -h, --help         this text\n"
              "  --version          the version\n"
              "\n"
              "Exit codes: 0 ok, 2 usage, 3 inventory, 4 identity, 5 pre-flight, 6 guard refusal,\n"
              "7 apply failure, 8 drift (check), 9 registration failed.\n",
              f);
}

static int parse_int(const char *s, long min, long max, int *ret) {
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < min || v > max)
                return -EINVAL;
        *ret = (int)v;
        return 0;
}

int main(int argc, char **argv) {
        enum {
                OPT_INVENTORY = 0x100, OPT_HOST, OPT_ROOT, OPT_DRIVERCTL, OPT_NO_INSTALL,
                OPT_NO_REGISTER, OPT_REGISTRAR, OPT_KEY_FILE, OPT_CA_FILE, OPT_DEADLINE,
                OPT_UDEV_TIMEOUT, OPT_JSON, OPT_VERSION, OPT_OUTPUT, OPT_FORCE, OPT_DEVLINK,
        };
        static const struct option options[] = {
                { "inventory", required_argument, NULL, OPT_INVENTORY },
                { "host", required_argument, NULL, OPT_HOST },
                { "root", required_argument, NULL, OPT_ROOT },
                { "driverctl", required_argument, NULL, OPT_DRIVERCTL },
                { "no-install", no_argument, NULL, OPT_NO_INSTALL },
                { "no-register", no_argument, NULL, OPT_NO_REGISTER },
                { "force", no_argument, NULL, OPT_FORCE },
                { "devlink", required_argument, NULL, OPT_DEVLINK },
                { "registrar", required_argument, NULL, OPT_REGISTRAR },
                { "key-file", required_argument, NULL, OPT_KEY_FILE },
                { "ca-file", required_argument, NULL, OPT_CA_FILE },
                { "deadline", required_argument, NULL, OPT_DEADLINE },
                { "udev-timeout", required_argument, NULL, OPT_UDEV_TIMEOUT },
                { "json", no_argument, NULL, OPT_JSON },
                { "output", required_argument, NULL, OPT_OUTPUT },
                { "verbose", no_argument, NULL, 'v' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, OPT_VERSION },
                {},
        };
        struct agent_options o = {
                .root = "/",
                .inventory = ONEPCI_SYSCONFDIR "/onepci/inventory.yml",
                .udev_timeout_ms = 10000,
                .key_file = NODE_KEY_DEFAULT_PATH,
                .deadline_s = -1, /* the client's default */
        };
        log_set_program("onepci-agent");

        int c;
        while ((c = getopt_long(argc, argv, "vh", options, NULL)) >= 0) {
                switch (c) {
                case OPT_INVENTORY: o.inventory = optarg; break;
                case OPT_HOST: o.host = optarg; break;
                case OPT_ROOT: o.root = optarg; break;
                case OPT_DRIVERCTL: o.driverctl = optarg; break;
                case OPT_NO_INSTALL: o.no_install = true; break;
                case OPT_NO_REGISTER: o.no_register = true; break;
                case OPT_FORCE: o.force = true; break;
                case OPT_DEVLINK: o.devlink = optarg; break;
                case OPT_REGISTRAR: o.registrar_url = optarg; break;
                case OPT_KEY_FILE: o.key_file = optarg; break;
                case OPT_CA_FILE: o.ca_file = optarg; break;
                case OPT_JSON: o.json = true; break;
                case OPT_OUTPUT: o.output = optarg; break;
                case 'v': log_set_level(LOG_LVL_DEBUG); break;
                case OPT_DEADLINE:
                        if (parse_int(optarg, 0, 86400, &o.deadline_s) < 0) {
                                log_error("--deadline: \"%s\" is not a number of seconds (0-86400)", optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case OPT_UDEV_TIMEOUT:
                        if (parse_int(optarg, 0, 600000, &o.udev_timeout_ms) < 0) {
                                log_error("--udev-timeout: \"%s\" is not a number of milliseconds", optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case 'h': usage(stdout); return EXIT_OK;
                case OPT_VERSION: puts("onepci-agent " ONEPCI_VERSION); return EXIT_OK;
                default: usage(stderr); return EXIT_USAGE;
                }
        }
        if (optind != argc - 1) {
                log_error("expected exactly one command (see --help)");
                usage(stderr);
                return EXIT_USAGE;
        }
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (STREQ(argv[optind], commands[i].name))
                        return commands[i].run(&o);
        log_error("unknown command \"%s\" (see --help)", argv[optind]);
        return EXIT_USAGE;
}
