#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# set_name / set_counter: a NIC renamed by a udev rule keyed on its PCI
# address, a vfio device's /dev/vfio/by-tag/NAME, names checked on the node,
# and a name no longer asked for removed.
. "$(dirname "$0")/lib.sh"
use_root sriov-node
RULES=$ROOT/etc/udev/rules.d/99-onepci-names.rules

step "an interface name and a by-tag link, numbered by set_counter"
inv=$(inventory_for_n1 names.yml '            - address: "52:54:00:12:35:*"
              set_driver: omit
              set_name: "lan{0[1]}"
            - address: "0000:0[9a]:00.0"
              set_counter: 3
              set_name: "gpu{3:02d}"')
agent --inventory "$inv" plan
expect_output "name lan0d"
expect_output "name gpu03"
expect_output "name gpu04"
agent --inventory "$inv" apply
expect_rc 0 "apply"
expect_driver 0000:0d:00.0 virtio-pci
grep -qxF 'SUBSYSTEM=="net", ACTION=="add", SUBSYSTEMS=="pci", KERNELS=="0000:0d:00.0", NAME="lan0d"' "$RULES" ||
        fail "no interface rule"
grep -qF '/sys/bus/pci/devices/0000:09:00.0/iommu_group -ef /sys/kernel/iommu_groups/%k", SYMLINK+="vfio/by-tag/gpu03"' "$RULES" ||
        fail "no by-tag rule for 09:00.0"
grep -qF 'SYMLINK+="vfio/by-tag/gpu04"' "$RULES" || fail "no by-tag rule for 0a:00.0"
expect_output "0000:0d:00.0 will be named lan0d when it is added again"

step "a second apply changes nothing; check agrees"
agent --inventory "$inv" apply
expect_rc 0 "again"
expect_output "already configured, nothing changed"
agent --inventory "$inv" check
expect_rc 0 "check"

step "names are checked: too long for an interface, taken twice"
long=$(inventory_for_n1 long.yml '            - address: "0000:0d:00.0"
              set_driver: omit
              set_name: "averyveryverylongname"')
agent --inventory "$long" plan
expect_rc 5 "long"
expect_output "longer than the 15 bytes"
twice=$(inventory_for_n1 twice.yml '            - address: "0000:0[9a]:00.0"
              set_name: "gpu"')
agent --inventory "$twice" plan
expect_rc 5 "twice"
expect_output "is also the name of 0000:09:00.0"

step "a name no longer asked for goes; check reports it first"
inv=$(inventory_for_n1 nonames.yml '            - address: "0000:09:00.0"
            - address: "0000:0a:00.0"')
agent --inventory "$inv" check
expect_rc 8 "check"
expect_output "99-onepci-names.rules is missing or differs"
agent --inventory "$inv" apply
expect_rc 0 "apply without names"
[ ! -e "$RULES" ] || fail "the names rule stays"
echo "ok"
