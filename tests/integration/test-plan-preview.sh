#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `plan` shows the report registration would send, and where, without sending
# it or changing anything: n2 on the demo root has 0a:00.0 as a twin.
# shellcheck source=tests/integration/lib.sh
. "$(dirname -- "$0")/lib.sh"

step "n2 plan --json carries the report and the registrar URL"
before=$(root_listing)
set +e
${ONEPCI_TEST_WRAPPER:-} "$AGENT" --root "$ROOT" --driverctl "$FAKE" --inventory "$INVENTORY" \
        --host n2 --json plan >"$WORK/out" 2>"$WORK/err"
RC=$?
set -e
expect_rc 0 "n2 plan"
python3 - "$WORK/out" <<'PY' || fail "report preview"
import json, sys
reg = json.load(open(sys.argv[1]))["registration"]
assert reg["attempted"] is False, reg
# No pci_registrar_url in the sample: the first frontend host on port 8474.
assert reg["url"] == "http://192.168.122.2:8474", reg
r = reg["report"]
assert r["inventory_name"] == "n2" and r["host_name"] == "192.168.122.4", r
assert [d["address"] for d in r["devices"]] == ["0000:09:00.0"], r
assert [t["address"] for t in r["twins"]] == ["0000:0a:00.0"], r
PY
[ "$(root_listing)" = "$before" ] || fail "plan changed the root"

step "--no-register plan shows no report"
agent --host n2 --json plan
expect_rc 0
python3 -c 'import json,sys; assert "report" not in json.load(open(sys.argv[1]))["registration"]' \
        "$WORK/out" || fail "report shown with --no-register"
echo "PASS"
