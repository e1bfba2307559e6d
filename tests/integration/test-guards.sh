#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Each guard refuses, names the reason, and the refused run changes nothing.
# shellcheck source=tests/integration/lib.sh
. "$(dirname -- "$0")/lib.sh"

# refused EXIT TEXT ENTRIES...: apply with these pci_devices is refused with
# EXIT, says TEXT, binds nothing and leaves the root as it was.
refused() {
        local code=$1 text=$2 entries=$3 inv before
        inv=$(inventory_for_n1 "inv-$RANDOM.yml" "$entries")
        before=$(root_listing)
        for cmd in plan apply; do
                agent --inventory "$inv" "$cmd"
                expect_rc "$code" "$cmd"
                expect_output "$text"
        done
        agent --inventory "$inv" --json apply
        expect_rc "$code" "apply --json"
        python3 - "$WORK/out" "$code" <<'PY' || fail "apply --json of a refusal"
import json, sys
o = json.load(open(sys.argv[1]))
assert o["exit_code"] == int(sys.argv[2]), o
assert o["result"] == "refused", o
assert any(i["action"].startswith("refuse") for i in o["items"]), o
PY
        [ "$(root_listing)" = "$before" ] || fail "a refused run changed the root"
        [ "$(log_lines)" -eq 0 ] || fail "a refused run ran driverctl"
}

step "the NIC carrying the default route (through br0) is refused"
refused 6 "default route" '            - address: "0000:03:00.0"'

step "the NVMe controller holding / is refused"
refused 6 "0000:04:00.0" '            - address: "0000:04:00.0"'

step "a GPU without the audio function of its IOMMU group is refused"
refused 6 "0000:0b:00.1" '            - address: "0000:0b:00.0"'
expect_output "IOMMU group 15"

step "a refusal among good devices binds none of them"
refused 6 "default route" '            - address: "0000:09:00.0"
            - address: "0000:03:00.0"'
expect_driver 0000:09:00.0 nvidia

step "a PCI bridge is a pre-flight failure"
refused 5 "bridge" '            - address: "0000:00:01.0"'

step "a device that is not there is a pre-flight failure"
refused 5 "0000:0f:00.0" '            - address: "0000:0f:00.0"'

step "a device without an IOMMU group is a pre-flight failure"
refused 5 "no IOMMU group" '            - address: "0000:05:00.0"'

step "the whole IOMMU group together is accepted"
inv=$(inventory_for_n1 group.yml '            - address: "0000:0b:00.0"
            - address: "0000:0b:00.1"')
agent --inventory "$inv" apply
expect_rc 0 "apply of the whole group"
expect_bound_to_vfio 0000:0b:00.0
expect_bound_to_vfio 0000:0b:00.1

step "unguarded: true lets the default-route NIC through"
inv=$(inventory_for_n1 unguarded.yml '            - address: "0000:03:00.0"
              unguarded: true')
agent --inventory "$inv" apply
expect_rc 0 "apply of an unguarded entry"
expect_bound_to_vfio 0000:03:00.0
echo "ok"
