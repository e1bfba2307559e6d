#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The demo inventory's other hosts: n3 has passthrough off, n2 binds one GPU.
# shellcheck source=tests/integration/lib.sh
. "$(dirname -- "$0")/lib.sh"

step "n3: nothing to do, nothing touched"
before=$(root_listing)
for cmd in plan apply check; do
        agent --host n3 "$cmd"
        expect_rc 0 "n3 $cmd"
        expect_output "nothing to do"
done
[ "$(root_listing)" = "$before" ] || fail "n3 changed the root"

step "n2: plan changes nothing"
agent --host n2 plan
expect_rc 0 "n2 plan"
expect_output "would bind"
agent --host n2 --json plan
expect_rc 0 "n2 plan --json"
python3 - "$WORK/out" <<'PY' || fail "n2 plan --json"
import json, sys
o = json.load(open(sys.argv[1]))
items = {i["address"]: i["action"] for i in o["items"]}
assert items == {"0000:09:00.0": "bind"}, items
assert o["host"] == "n2", o
PY
[ "$(root_listing)" = "$before" ] || fail "n2 plan changed the root"

step "n2: apply binds only 0000:09:00.0"
agent --host n2 apply
expect_rc 0 "n2 apply"
expect_bound_to_vfio 0000:09:00.0
expect_driver 0000:0a:00.0 nvidia
[ ! -e "$ROOT/etc/driverctl.d/pci-0000:0a:00.0" ] || fail "0a:00.0 saved"
[ "$(log_lines)" -eq 1 ] || fail "$(log_lines) driverctl runs, expected 1"

step "n2: --json apply again parses and reports no change"
agent --host n2 --json apply
expect_rc 0 "n2 second apply"
python3 - "$WORK/out" <<'PY' || fail "n2 apply --json"
import json, sys
o = json.load(open(sys.argv[1]))
assert o["changed"] is False, o
assert o["exit_code"] == 0, o
PY
[ "$(log_lines)" -eq 1 ] || fail "the second apply ran driverctl"

step "n1 on the same node then binds the second GPU only"
agent --host n1 apply
expect_rc 0 "n1 after n2"
expect_bound_to_vfio 0000:0a:00.0
[ "$(log_lines)" -eq 2 ] || fail "$(log_lines) driverctl runs, expected 2"
echo "ok"
