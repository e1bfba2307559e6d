#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Every pci_devices example of one-deploy's role READMEs (helper/pci and
# pci/node, as ../shared/one-deploy/od-readme-* holds them, read in place)
# parses and plans on the SR-IOV fixture root, except the helper README's own
# format error (host p8, "{0{2}}"), which is refused with its file:line.
. "$(dirname "$0")/lib.sh"

OD=$(realpath -m -- "$FIXTURES/../../../shared/one-deploy")
if [ ! -d "$OD/od-readme-helper-pci" ]; then
        echo "skip: no $OD (CI has shared/ beside the checkout)"
        exit 77
fi
use_root sriov-node
HELPER=$OD/od-readme-helper-pci/inventory.yml
NODE=$OD/od-readme-pci-node/inventory.yml

# plans INVENTORY HOST: the plan ran (not a configuration error) and says
# which entry decided each device it lists.
plans() {
        agent --inventory "$1" --host "$2" plan
        [ "$RC" -ne 3 ] || fail "$2: exit 3 (configuration error)"
        expect_output "onepci-agent plan: host $2"
        local devices decided
        devices=$(grep -cE '^  [0-9a-f]{4}:' "$WORK/out" || true)
        decided=$(grep -c '^ *decided by ' "$WORK/out" || true)
        # A missing exact address has no device, hence no "decided by" line.
        missing=$(grep -cE '^  [0-9a-f:.]+  \?\?\?\?' "$WORK/out" || true)
        [ "$devices" -eq $((decided + missing)) ] ||
                fail "$2: $devices devices, $decided say which entry decided them"
}

for h in p1 p2 p3 p4 p5 p6 p7; do
        step "helper/pci README, play $h"
        plans "$HELPER" "$h"
done
step "pci/node README, play p1"
plans "$NODE" p1

step "the last matching entry wins whole (p2: 03:00.0 by its set_numvfs entry, line 19)"
agent --inventory "$HELPER" --host p2 --json plan
python3 - "$WORK/out" "$HELPER" <<'PY' || fail "p2's plan"
import json, sys
plan = {i["address"]: i for i in json.load(open(sys.argv[1]))["items"]}
pf = plan["0000:03:00.0"]
assert pf["action"] == "vfs" and pf["numvfs"] == 2, pf
assert pf["entry"] == sys.argv[2] + ":19 (pci_devices[2])", pf["entry"]
assert "name" not in pf, pf                  # the winning entry has no set_name
# 03:00.1 is decided by the glob of line 17 (with its set_name).
assert plan["0000:03:00.1"]["entry"].endswith(":17 (pci_devices[1])"), plan["0000:03:00.1"]
assert plan["0000:03:00.1"]["name"] == "asd3vf", plan["0000:03:00.1"]
PY

step "set_numvfs max and a name from {0[n]} (p5), switchdev (p7)"
agent --inventory "$HELPER" --host p5 plan
expect_output "SR-IOV PF: 8 VFs wanted, 0 now; stays on mlx5_core"
expect_output "name pf0c000"
agent --inventory "$HELPER" --host p7 plan
expect_output "eswitch switchdev"

step "the README's own format error (p8) is refused with file:line"
agent --inventory "$HELPER" --host p8 plan
expect_rc 3 "p8"
line=$(grep -n '{0{2}}' "$HELPER" | head -n 1 | cut -d: -f1)
expect_output "$HELPER:$line:"
expect_output "unexpected '{' in field name"
expect_no_output "onepci-agent plan: host p8"

step "p5 applies: the ConnectX PF gets its 8 VFs and its interface name"
agent --inventory "$HELPER" --host p5 apply
expect_rc 0 "p5 apply"
[ "$(cat "$DEVICES/0000:0c:00.0/sriov_numvfs")" = 8 ] || fail "no VFs"
grep -qF 'KERNELS=="0000:0c:00.0", NAME="pf0c000"' "$ROOT/etc/udev/rules.d/99-onepci-names.rules" ||
        fail "no name rule"
echo "ok"
