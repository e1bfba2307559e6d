#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The keys of one-deploy's reworked role on the SR-IOV fixture root: MAC
# selectors, unlisted, excluded overriding a later match, virtual, set_driver
# with another driver (through the driverctl stand-in).
. "$(dirname "$0")/lib.sh"
use_root sriov-node

step "a MAC-address glob selects the virtio NIC (52:54:00:12:35:01); unlisted stays out"
inv=$(inventory_for_n1 mac.yml '            - address: "52:54:00:12:35:*"
            - address: "0000:09:00.0"
              unlisted: true
            - address: "0000:0a:00.0"')
agent --inventory "$inv" --json plan
python3 - "$WORK/out" <<'PY' || fail "MAC / unlisted plan"
import json, sys
r = json.load(open(sys.argv[1]))
items = {i["address"]: i for i in r["items"]}
assert items["0000:0d:00.0"]["action"] == "bind", items["0000:0d:00.0"]
assert items["0000:09:00.0"]["action"] == "bind" and items["0000:09:00.0"]["unlisted"], items
# 09 and 0a are identical: 09 is configured but not offered.
assert r["pci_filter"] == "10de:26b9,1af4:1041", r["pci_filter"]
PY
agent --inventory "$inv" apply
expect_rc 0 "apply"
expect_bound_to_vfio 0000:0d:00.0
expect_bound_to_vfio 0000:09:00.0

step "excluded is absolute, and the plan says it overrides a later match"
inv=$(inventory_for_n1 excl.yml '            - address: "0000:0a:00.0"
              excluded: true
            - vendor: "10de"
              device: "26b9"')
agent --inventory "$inv" plan
expect_output "excluded by $inv:"
expect_output "overrides the later match of $inv:"

step "the last matching entry wins whole"
use_root sriov-node # onepci owns nothing here yet: nothing to give back
inv=$(inventory_for_n1 last.yml '            - vendor: "10de"
              device: "26b9"
              set_driver: omit
            - address: "0000:0a:00.0"')
agent --inventory "$inv" --json plan
python3 - "$WORK/out" "$inv" <<'PY' || fail "last wins"
import json, sys
items = {i["address"]: i for i in json.load(open(sys.argv[1]))["items"]}
assert items["0000:0a:00.0"]["entry"].startswith(sys.argv[2] + ":"), items["0000:0a:00.0"]
assert items["0000:0a:00.0"]["entry"].endswith("(pci_devices[1])"), items["0000:0a:00.0"]
assert items["0000:09:00.0"]["action"] == "leave", items["0000:09:00.0"]
PY

step "virtual: an exact address that is not there yet is no error"
inv=$(inventory_for_n1 virt.yml '            - address: "0000:03:02.7"
              virtual: true
            - address: "0000:0a:00.0"')
agent --inventory "$inv" plan
expect_rc 0 "virtual"
inv=$(inventory_for_n1 novirt.yml '            - address: "0000:03:02.7"')
agent --inventory "$inv" plan
expect_rc 5 "not virtual"

step "set_driver with another driver: driverctl set-override ADDR DRIVER"
inv=$(inventory_for_n1 drv.yml '            - address: "0000:0b:00.1"
              set_driver: vfio-pci
            - address: "0000:0b:00.0"
              set_driver: vfio-pci
            - address: "0000:0c:00.0"
              set_driver: i40e')
agent --inventory "$inv" apply
expect_rc 0 "apply with another driver"
grep -qx "set-override 0000:0c:00.0 i40e" "$DRIVERCTL_LOG" || fail "no set-override to i40e"
expect_driver 0000:0c:00.0 i40e
n=$(log_lines)
agent --inventory "$inv" apply
expect_rc 0 "second apply"
[ "$(log_lines)" -eq "$n" ] || fail "the second apply ran driverctl again"
echo "ok"
