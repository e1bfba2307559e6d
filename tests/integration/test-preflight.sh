#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A node whose IOMMU is off refuses before running anything, whether or not
# the firmware offers one; only enabled hosts need the pre-flight checks.
# shellcheck source=tests/integration/lib.sh
. "$(dirname -- "$0")/lib.sh"

for name in no-iommu no-iommu-fw; do
        step "$name: apply is a pre-flight failure that changes nothing"
        use_root "$name"
        before=$(root_listing)
        for cmd in plan apply; do
                agent "$cmd"
                expect_rc 5 "$name $cmd"
                expect_output "IOMMU"
        done
        [ "$(root_listing)" = "$before" ] || fail "$name: the root changed"
        [ "$(log_lines)" -eq 0 ] || fail "$name: driverctl ran"

        step "$name: a host with passthrough off has nothing to do"
        agent --host n3 apply
        expect_rc 0 "$name n3"
        expect_output "nothing to do"
        [ "$(root_listing)" = "$before" ] || fail "$name: n3 changed the root"
done
echo "ok"
