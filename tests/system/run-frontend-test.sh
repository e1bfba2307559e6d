#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# The system suite's front-end guest (issue 14, part 1): the packaged
# onepci-registrar.service, as oneadmin under its own sandbox, takes a node
# report through to a completed `onehost sync --force`.
#
# usage: run-frontend-test.sh SRCDIR BUILDDIR
#
#  1. builds the onepci-registrar .deb from the working tree
#     (packaging/build-packages.sh, deb only, without lintian);
#  2. takes the system suite's cached Debian 12 root (build-root.sh,
#     BUILDDIR/system) and the cached front-end layer on it
#     (build-frontend-root.sh: openssh-server, rsync and the .deb's
#     run-time libraries, BUILDDIR/frontend);
#  3. on a copy: dpkg -i the .deb (the unit is enabled the Debian way),
#     oneadmin with home /var/lib/one and an ssh key it may use to log in to
#     this guest, /var/lib/one/remotes with a narrow kvm-probes.d/pci.conf,
#     /run/one/ssh-socks (tmpfiles), the oned double as opennebula.service
#     (one host, "localhost": the guest itself, reached through its sshd),
#     the `onehost` stand-in in its front-end mode (tests/oned-double/onehost:
#     touch remotes/.update, ssh and rsync the remotes to the host, VERSION),
#     and onepci-ftest.service, which sends one signed report and prints the
#     evidence on the serial console;
#  4. boots it once (TCG; no network but loopback) and checks the evidence:
#     answer 200 with probe_widened,
#     pci.conf widened, .update touched by oneadmin, the remotes copied by
#     rsync over ssh as oneadmin (sshd's log), a ControlMaster socket under
#     /run/one/ssh-socks, the host's VERSION rewritten, no failed unit.
#
# Exit 77 (skip) with the reason when a tool, the root or the .deb is missing.
# ONEPCI_FRONTEND_DEB=FILE uses that onepci-registrar .deb instead of
# building one.
set -uo pipefail

src=$(cd "${1:?usage: run-frontend-test.sh SRCDIR BUILDDIR}" && pwd)
build=$(cd "${2:?usage: run-frontend-test.sh SRCDIR BUILDDIR}" && pwd)
here=$src/tests/system
guest_files=$here/frontend
out=$build/frontend
mkdir -p "$out"
boot_timeout=${ONEPCI_SYSTEM_BOOT_TIMEOUT:-900}

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

[ "$(id -u)" = 0 ] || skip "the front-end guest needs root (debootstrap, chroot, dpkg into the guest root)"
for t in debootstrap qemu-system-x86_64 mkfs.ext4 zstd dpkg-buildpackage dpkg-deb chroot python3; do
        command -v "$t" >/dev/null || skip "$t not found (see scripts/packages.txt: debootstrap, qemu-system-x86, e2fsprogs, zstd, dpkg-dev)"
done

# --- 1. the .deb -----------------------------------------------------------------
if [ -n "${ONEPCI_FRONTEND_DEB:-}" ]; then # a .deb already built (re-running by hand)
        deb=$ONEPCI_FRONTEND_DEB
        [ -f "$deb" ] || skip "ONEPCI_FRONTEND_DEB=$deb does not exist"
else
        echo "frontend: building the .debs ($(elapsed))"
        if ! ONEPCI_PACKAGES=deb ONEPCI_NO_LINTIAN=1 "$src/packaging/build-packages.sh" "$src" "$out/packages" \
                >"$out/packages.log" 2>&1; then
                tail -n 15 "$out/packages.log"
                skip "the .debs could not be built (log: $out/packages.log; the packaging suite reports why)"
        fi
        deb=$(ls "$out"/packages/onepci-registrar_*.deb 2>/dev/null | head -n1)
        [ -n "$deb" ] || skip "no onepci-registrar .deb in $out/packages (registrar not enabled?)"
fi

# --- 2. the roots ------------------------------------------------------------------
echo "frontend: Debian root ($(elapsed))"
base=$("$here/build-root.sh" "$build/system") ||
        skip "the Debian root could not be built (debootstrap needs the Debian mirror; log: $build/system/debootstrap.log)"
# The .deb's run-time libraries, names only (versions are bookworm's).
deps=$(dpkg-deb -f "$deb" Depends | tr ',|' '\n\n' | sed -e 's/(.*)//' -e 's/[[:space:]]//g' |
        grep -v -e '^$' -e '^libc6$' | sort -u)
# shellcheck disable=SC2086
froot=$("$here/build-frontend-root.sh" "$out" "$base" $deps) ||
        skip "the front-end root could not be built (apt-get needs the Debian mirror; log: $out/frontend-apt.log)"

# --- 3. the guest's disk -------------------------------------------------------------
g=$out/guest-root
rm -rf "$g"
mkdir -p "$g"
zstd -q -d -c "$froot" | tar --numeric-owner --xattrs -C "$g" -xf - || { echo "FAIL: unpacking $froot"; exit 1; }

# oneadmin as OpenNebula's packages create it: uid/gid 9869, home /var/lib/one.
chroot "$g" groupadd -g 9869 oneadmin &&
        chroot "$g" useradd -u 9869 -g oneadmin -d /var/lib/one -M -s /bin/bash oneadmin ||
        { echo "FAIL: creating oneadmin in the guest root"; exit 1; }
cp "$deb" "$g/tmp/"
if ! chroot "$g" dpkg -i "/tmp/$(basename "$deb")" >"$out/dpkg.log" 2>&1; then
        cat "$out/dpkg.log"
        echo "FAIL: dpkg -i $(basename "$deb") in the guest root"
        exit 1
fi
rm -f "$g/tmp/$(basename "$deb")"
[ -L "$g/etc/systemd/system/multi-user.target.wants/onepci-registrar.service" ] ||
        { echo "FAIL: the package did not enable onepci-registrar.service"; exit 1; }
cp "$g/lib/systemd/system/onepci-registrar.service" "$out/onepci-registrar.service"

one=$g/var/lib/one
install -d -m 0750 "$one"
install -d -m 0700 "$one/.one" "$one/.ssh"
echo oneadmin:password > "$one/.one/one_auth"
echo http://127.0.0.1:2633/RPC2 > "$one/.one/one_endpoint"
chroot "$g" ssh-keygen -q -t ed25519 -N '' -C oneadmin@frontend -f /var/lib/one/.ssh/id_ed25519 ||
        { echo "FAIL: ssh-keygen in the guest root"; exit 1; }
cp "$one/.ssh/id_ed25519.pub" "$one/.ssh/authorized_keys"
install -m 0600 "$guest_files/ssh-config" "$one/.ssh/config"
# The remotes: the version, the probe (copied to the host by the sync) and
# its configuration, narrow as OpenNebula ships it.
mkdir -p "$one/remotes/etc/im/kvm-probes.d" "$one/remotes/etc/im/qemu-probes.d" \
        "$one/remotes/im/kvm-probes.d/host/system"
echo 7.0.0 > "$one/remotes/VERSION"
cp "$src/tests/oned-double/demo-pci.conf" "$one/remotes/etc/im/kvm-probes.d/pci.conf"
cp "$src/tests/oned-double/demo-pci.conf" "$one/remotes/etc/im/qemu-probes.d/pci.conf"
printf '#!/usr/bin/env ruby\n# stand-in for the PCI probe\n' > "$one/remotes/im/kvm-probes.d/host/system/pci.rb"
chmod 0755 "$one/remotes/im/kvm-probes.d/host/system/pci.rb"
chroot "$g" chown -R oneadmin:oneadmin /var/lib/one

# The oned double, its seed and the onehost stand-in.
install -d "$g/usr/local/lib/onepci-test"
install -m 0644 "$src/tests/oned-double/oned_double.py" "$src/tests/e2e/onepci_sign.py" "$g/usr/local/lib/onepci-test/"
install -m 0755 "$src/tests/oned-double/onehost" "$g/usr/local/lib/onepci-test/onehost"
install -m 0755 "$guest_files/onehost" "$g/usr/bin/onehost"
install -d -m 0750 "$g/var/lib/one-double"
# shellcheck disable=SC2086
oned_seed localhost $e1000e_pair > "$g/var/lib/one-double/seed.json"
chroot "$g" chown -R oneadmin:oneadmin /var/lib/one-double
install -m 0644 "$guest_files/tmpfiles-opennebula.conf" "$g/etc/tmpfiles.d/opennebula.conf"
for u in opennebula onepci-ftest; do
        install -m 0644 "$guest_files/$u.service" "$g/etc/systemd/system/$u.service"
        ln -sf "/etc/systemd/system/$u.service" "$g/etc/systemd/system/multi-user.target.wants/$u.service"
done
install -m 0755 "$guest_files/onepci-ftest-run" "$g/usr/local/sbin/onepci-ftest-run"
# A front-end, not a cloud image: no cloud-init, no network but loopback.
touch "$g/etc/cloud/cloud-init.disabled"
echo frontend > "$g/etc/hostname"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\tfrontend\n' > "$g/etc/hosts"

guest_disk "$g" "$out" || { echo "FAIL: mkfs.ext4 -d"; exit 1; }

# --- 4. one boot ---------------------------------------------------------------------------
# TCG, as the system suite: nested KVM is not dependable on CI machines
# (here QEMU aborted setting MSR 0x10a); ONEPCI_SYSTEM_ACCEL=kvm to try it.
accel=${ONEPCI_SYSTEM_ACCEL:-tcg}
log=$out/boot.log
echo "frontend: boot ($(elapsed), accel $accel), console in $log, at most $boot_timeout s"
timeout --kill-after=10 "$boot_timeout" qemu-system-x86_64 \
        -nodefaults -no-reboot -display none -monitor none -serial stdio \
        -machine "q35,accel=$accel" -cpu max -smp 1 -m 1024 -nic none \
        -drive "file=$out/disk.raw,format=raw,if=virtio" \
        -kernel "$out/vmlinuz" -initrd "$out/initrd.img" \
        -append "root=LABEL=onepci-root rw console=ttyS0 panic=-1" \
        </dev/null >"$log" 2>&1
rc=$?
tr -d '\r' < "$log" | grep '^ONEPCI-FE ' > "$out/markers"
echo "frontend: boot ended (qemu $rc) after $(elapsed)"

fail=()
m() { grep -E "^ONEPCI-FE $1" "$out/markers"; }
if ! m END >/dev/null; then
        fail+=("no END marker (guest hung or crashed; see $log)")
else
        m "UNIT onepci-registrar active" >/dev/null || fail+=("onepci-registrar.service: $(m 'UNIT onepci-registrar')")
        m "RUNAS oneadmin$" >/dev/null || fail+=("the registrar does not run as oneadmin: $(m RUNAS)")
        m 'MONITOR-SSH rc=0$' >/dev/null || fail+=("oneadmin cannot ssh to the guest at all: $(m MONITOR-SSH)")
        m 'HTTP 200 .*"probe_widened": ?true' >/dev/null ||
                fail+=("the report did not go through with the probe widened: $(m HTTP)")
        m "FILTER :filter: '\\*:\\*'" >/dev/null || fail+=("pci.conf not widened: $(m 'FILTER')")
        t_start=$(m UPDATE | sed -n 's/.* since=\([0-9]*\)$/\1/p')
        t_upd=$(m UPDATE | awk '{print $4}')
        if ! m 'UPDATE oneadmin [0-9]+ since=' >/dev/null || [ "${t_upd:-0}" -lt "${t_start:-1}" ]; then
                fail+=("remotes/.update not touched by the sync: $(m UPDATE)")
        fi
        m "REMOTE-FILTER oneadmin :filter: '\\*:\\*'" >/dev/null ||
                fail+=("the widened pci.conf did not reach the host: $(m REMOTE-FILTER)")
        m "REMOTE-PROBE oneadmin$" >/dev/null || fail+=("the probe was not copied to the host: $(m REMOTE-PROBE)")
        m "REMOTE-VERSION 7.0.0$" >/dev/null || fail+=("remotes VERSION not on the host: $(m REMOTE-VERSION)")
        m "SOCKS oneadmin:ctl-M-" >/dev/null || fail+=("no ControlMaster socket under /run/one/ssh-socks: $(m SOCKS)")
        # One login is the monitoring ssh; the sync's ssh opens the master
        # that its rsync then shares.
        [ "$(m 'SSHD Accepted publickey for oneadmin' | wc -l)" -ge 2 ] ||
                fail+=("sshd saw no login of the sync's ssh as oneadmin: $(m SSHD | wc -l) logins in all")
        m 'ONED localhost VERSION=7.0.0 PCI_FILTER=8086:10d3 ONEPCI_STATUS=SUCCEEDED' >/dev/null ||
                fail+=("the host's template after the sync: $(m ONED)")
        ! m FAILED >/dev/null || fail+=("failed units: $(m FAILED | tr '\n' ' ')")
        # The sandbox: writable exactly where the unit says, read-only beside.
        for f in /var/lib/one/remotes/etc/im /var/lib/one/remotes/etc/im/kvm-probes.d \
                 /var/lib/one/remotes/.update /run/one/ssh-socks /var/tmp; do
                m "NS rw $f$" >/dev/null || fail+=("not writable in the daemon's namespace: $(m "NS .* $f$")")
        done
        for f in /var/lib/one/remotes /var/lib/one/remotes/VERSION /var/lib/one/remotes/im/kvm-probes.d/host/system \
                 /var/lib/one /var/lib/one/.ssh /var/lib/one/.ssh/known_hosts /var/lib/one/.one /run/one \
                 /run/lock /run /etc/onepci /etc; do
                m "NS ro $f$" >/dev/null || fail+=("writable in the daemon's namespace: $(m "NS .* $f$")")
        done
fi

grep -E '^ONEPCI-FE (BEGIN|UNIT|RUNAS|PROP|NS|MONITOR|HTTP|FILTER|UPDATE|REMOTE|SOCKS|SSHD|ONED|FAILED|END)' "$out/markers"
if [ ${#fail[@]} -gt 0 ]; then
        m JOURNAL | tail -n 25
        printf 'FAIL: %s\n' "${fail[@]}"
        echo "(unit under test: $out/onepci-registrar.service; console: $log; total $(elapsed))"
        exit 1
fi
echo "ok: a node report went through the packaged unit to a completed sync in $(elapsed)"
