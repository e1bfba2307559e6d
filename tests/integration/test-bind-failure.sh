#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# When driverctl fails, or "succeeds" without binding, apply fails with exit 7
# and says why; a missing driverctl is a pre-flight failure.
# shellcheck source=tests/integration/lib.sh
. "$(dirname -- "$0")/lib.sh"

step "a bind that leaves the device on no driver is caught from sysfs"
ONEPCI_FAKE_DRIVERCTL_FAIL=0000:0a:00.0 agent apply
expect_rc 7 "apply with a silent bind failure"
expect_output "0000:0a:00.0 is not on vfio-pci"
expect_output "no driver is bound"
expect_driver 0000:0a:00.0 ""
python3 - "$ROOT/var/lib/onepci/state.json" <<'PY' || fail "state file after a failure"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["result"] == "failed", s
PY
agent check
expect_rc 8 "check after the failed apply"

step "a later apply finishes the job"
agent apply
expect_rc 0 "apply after the failure"
expect_bound_to_vfio 0000:0a:00.0

step "driverctl's own error is shown"
cat > "$WORK/broken-driverctl" <<'EOF2'
#!/bin/sh
echo "driverctl: failed to bind device $2 to driver $3" >&2
exit 1
EOF2
chmod +x "$WORK/broken-driverctl"
use_root gpu-node
agent --driverctl "$WORK/broken-driverctl" apply
expect_rc 7 "apply with a failing driverctl"
expect_output "failed to bind device 0000:09:00.0 to driver vfio-pci"

step "a driverctl that is not there is a pre-flight failure"
use_root gpu-node
before=$(root_listing)
agent --driverctl "$WORK/no-such-driverctl" apply
expect_rc 5 "apply without driverctl"
expect_output "driverctl"
[ "$(root_listing)" = "$before" ] || fail "the root changed"
echo "ok"
