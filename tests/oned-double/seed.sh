# shellcheck shell=bash
# SPDX-License-Identifier: Apache-2.0
#
# Sourced by the guests' runners (tests/system/lib.sh, tests/vm).
#
# oned_seed HOST DEVICE...: the oned double's seed on stdout (README.md,
# "Seed"): cluster 0 "default" and one monitored KVM host named HOST whose
# PCI list is the DEVICEs, each ADDRESS=VENDOR:DEVICE:CLASS, as the guest's
# QEMU command line makes them.
oned_seed() {
        local host=$1 d sep="" addr vendor device class
        shift
        cat <<JSON
{
  "session": "oneadmin:password",
  "version": "7.0.0",
  "clusters": [ { "id": 0, "name": "default" } ],
  "hosts": [
    { "id": 0, "name": "$host", "state": 2, "cluster_id": 0,
      "template": { "ARCH": "x86_64", "HYPERVISOR": "kvm" },
      "pci": [
JSON
        for d in "$@"; do
                addr=${d%%=*}
                IFS=: read -r vendor device class <<<"${d#*=}"
                printf '%s        { "address": "%s", "vendor": "%s", "device": "%s", "class": "%s", "numa_node": -1 }' \
                        "$sep" "$addr" "$vendor" "$device" "$class"
                sep=$',\n'
        done
        printf '\n      ] }\n  ]\n}\n'
}
