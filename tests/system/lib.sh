# shellcheck shell=bash
# SPDX-License-Identifier: Apache-2.0
#
# Helpers shared by the system suite's guests (run-system-test.sh,
# run-frontend-test.sh); sourced, after `set -uo pipefail`.

skip() { echo "SKIP: $*"; exit 77; }
t0=$(date +%s)
elapsed() { echo "$(( $(date +%s) - t0 )) s"; }

# oned_seed HOST ADDRESS=VENDOR:DEVICE:CLASS...
# shellcheck source-path=SCRIPTDIR source=../oned-double/seed.sh disable=SC2154 # src: the runner's
. "$src/tests/oned-double/seed.sh"
# The two e1000e NICs every guest has (01:00.0 the node's own, 02:00.0
# passed through).
# shellcheck disable=SC2034 # used by the runners
e1000e_pair="0000:01:00.0=8086:10d3:020000 0000:02:00.0=8086:10d3:020000"

# guest_disk ROOT OUT: ROOT's newest kernel and initramfs to OUT/vmlinuz and
# OUT/initrd.img, ROOT itself to the ext4 image OUT/disk.raw (mkfs.ext4 -d:
# no loop mount), then ROOT removed.  Returns 1 when mkfs.ext4 fails.
guest_disk() {
        local root=$1 dir=$2 kernel initrd
        kernel=$(ls "$root"/boot/vmlinuz-* | sort -V | tail -n1)
        initrd=$(ls "$root"/boot/initrd.img-* | sort -V | tail -n1)
        cp "$kernel" "$dir/vmlinuz"
        cp "$initrd" "$dir/initrd.img"
        rm -f "$dir/disk.raw"
        truncate -s 3G "$dir/disk.raw"
        mkfs.ext4 -q -F -L onepci-root -d "$root" "$dir/disk.raw" || return 1
        rm -rf "$root"
}
