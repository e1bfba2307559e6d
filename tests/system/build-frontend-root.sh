#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# build-frontend-root.sh OUT BASE_TARBALL PACKAGE...
#
# The front-end guest's root: the system suite's cached Debian 12 root
# (build-root.sh) plus the Debian packages a front-end needs for the test
# (openssh-server, rsync, the registrar's run-time libraries), installed with
# apt-get in a chroot.  Cached as OUT/frontend-root-KEY.tar.zst, KEY being a
# digest of this script, the base tarball's name (itself a digest) and the
# package list; prints the tarball's path on stdout.  Needs root and the
# Debian mirror for a cold build only.  Nothing of onepci is in it.
set -euo pipefail

die() { echo "build-frontend-root: $*" >&2; exit 1; }
[ $# -ge 2 ] || die "usage: build-frontend-root.sh OUT BASE_TARBALL PACKAGE..."
out=$1
base=$2
shift 2
mkdir -p "$out"
out=$(cd "$out" && pwd)
[ -f "$base" ] || die "no base root $base"

packages=(openssh-server openssh-client rsync "$@")
key=$( { sha256sum "$0" | cut -d' ' -f1; basename "$base"; printf '%s\n' "${packages[@]}" | sort -u; } |
        sha256sum | cut -c1-16)
tarball=$out/frontend-root-$key.tar.zst
if [ -f "$tarball" ]; then
        echo "$tarball"
        exit 0
fi
[ "$(id -u)" = 0 ] || die "apt-get in a chroot needs root"
for t in zstd tar chroot mount; do
        command -v "$t" >/dev/null || die "$t not found"
done

root=$out/frontend-root.build
mounted=
cleanup() {
        [ -z "$mounted" ] || umount "$root/proc" 2>/dev/null || true
        rm -rf "$root"
}
trap cleanup EXIT
rm -rf "$root"
mkdir -p "$root"
zstd -q -d -c "$base" | tar --numeric-owner --xattrs -C "$root" -xf -
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
mounted=1
# Nothing is started in the chroot.
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
echo "build-frontend-root: apt-get install ${packages[*]} (log: $out/frontend-apt.log)" >&2
if ! { chroot "$root" apt-get update &&
       DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get install -y --no-install-recommends \
               "${packages[@]}"; } >"$out/frontend-apt.log" 2>&1; then
        tail -n 20 "$out/frontend-apt.log" >&2
        die "apt-get in the chroot failed"
fi
chroot "$root" apt-get clean
rm -f "$root/usr/sbin/policy-rc.d"
rm -rf "$root"/var/lib/apt/lists/*
: > "$root/etc/resolv.conf"
umount "$root/proc"
mounted=

echo "build-frontend-root: packing $tarball" >&2
tar --numeric-owner --xattrs -C "$root" -cf - . | zstd -q -T0 -3 -o "$tarball.tmp"
mv "$tarball.tmp" "$tarball"
echo "$tarball"
