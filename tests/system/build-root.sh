#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# build-root.sh OUT
#
# Builds the system suite's Debian 12 root with debootstrap (Debian's
# packages only) and caches it as OUT/rootfs-KEY.tar.zst, KEY being a digest
# of this script (package list, mirror, settings).  Prints the tarball's
# path on stdout.  Downloaded .debs are kept in OUT/debs for the next cold
# build.  Nothing of onepci is in it: the test installs the fresh .deb on a
# copy, so the cache survives every change to onepci.
set -euo pipefail

die() { echo "build-root: $*" >&2; exit 1; }
[ $# -eq 1 ] || die "usage: build-root.sh OUT"
out=$1
mkdir -p "$out"
out=$(cd "$out" && pwd)

suite=bookworm
mirror=${ONEPCI_DEBIAN_MIRROR:-http://deb.debian.org/debian}
packages=(
        systemd systemd-sysv udev kmod dbus
        cloud-init ifupdown isc-dhcp-client iproute2
        # debootstrap does not resolve virtual packages: python3-cryptography
        # (for cloud-init) needs the provider of python3-cffi-backend-api-*
        python3-cffi-backend
        driverctl pciutils
        linux-image-amd64 initramfs-tools e2fsprogs
        # onepci-agent's run-time libraries, so its .deb installs offline
        libpci3 libyaml-0-2 libcurl4 libjson-c5 libssl3 libudev1
)

key=$( { sha256sum "$0" | cut -d' ' -f1; echo "$suite $mirror"; } | sha256sum | cut -c1-16)
tarball=$out/rootfs-$key.tar.zst
if [ -f "$tarball" ]; then
        echo "$tarball"
        exit 0
fi

for t in debootstrap zstd tar chroot; do
        command -v "$t" >/dev/null || die "$t not found (see scripts/packages.txt)"
done
[ "$(id -u)" = 0 ] || die "debootstrap needs root"

root=$out/rootfs.build
rm -rf "$root"
mkdir -p "$out/debs"
include=$(printf '%s\n' "${packages[@]}" | grep -v '^#' | paste -sd, -)
echo "build-root: debootstrap $suite (log: $out/debootstrap.log)" >&2
if ! debootstrap --variant=minbase --cache-dir="$out/debs" --include="$include" \
        "$suite" "$root" "$mirror" >"$out/debootstrap.log" 2>&1; then
        tail -n 20 "$out/debootstrap.log" >&2
        die "debootstrap failed"
fi

# debootstrap can leave the chroot's /proc (and /sys) mounted: never pack them.
for m in proc sys; do
        if mountpoint -q "$root/$m"; then
                umount "$root/$m" || die "cannot unmount $root/$m"
        fi
done

# A cloud image's generic settings (nothing onepci-specific):
# - the root file system by label (the disk is made by mkfs.ext4 -L);
# - NoCloud only, so cloud-init does not wait for metadata services that a
#   restricted user-mode network cannot reach;
# - no machine-id: the first boot is a first boot;
# - no package caches.
cat > "$root/etc/fstab" <<'FSTAB'
LABEL=onepci-root / ext4 errors=remount-ro 0 1
FSTAB
cat > "$root/etc/cloud/cloud.cfg.d/90-onepci-systest.cfg" <<'CFG'
datasource_list: [ NoCloud, None ]
CFG
echo localhost > "$root/etc/hostname"
: > "$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/log/*.log
ls "$root"/boot/vmlinuz-* "$root"/boot/initrd.img-* >/dev/null ||
        die "no kernel or initramfs in the root"

echo "build-root: packing $tarball" >&2
tar --numeric-owner --xattrs -C "$root" -cf - . | zstd -q -T0 -3 -o "$tarball.tmp"
mv "$tarball.tmp" "$tarball"
rm -rf "$root"
echo "$tarball"
