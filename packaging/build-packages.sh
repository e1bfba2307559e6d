#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# build-packages.sh [SRCDIR [OUTDIR]]
#
# Builds onepci's Debian and RPM packages from a clean copy of the source
# tree (the files git knows about, committed or not, never build*/), and
# checks them:
#   - Debian: packaging/debian is put at the copy's top, `dpkg-buildpackage
#     -us -uc -b`, then lintian must report no error, and each package must
#     hold the files the units and scripts name;
#   - RPM: packaging/rpm/onepci.spec, `rpmspec -P`, `rpmbuild -bs` and, with
#     the build dependencies unchecked (Debian's libraries), `rpmbuild -bb
#     --nodeps`.
# Results go to OUTDIR (default SRCDIR/build-packages): *.deb, *.rpm, logs.
# Exit 77 (skip) when neither dpkg-buildpackage nor rpmbuild exists.
# ONEPCI_PACKAGES=deb or =rpm builds only one kind; ONEPCI_NO_LINTIAN=1
# skips lintian (the system suite, which only needs the .deb).
set -eu

src=$(cd "${1:-$(dirname "$0")/..}" && pwd)
out=${2:-$src/build-packages}
kinds=${ONEPCI_PACKAGES:-deb rpm}

have() { command -v "$1" >/dev/null 2>&1; }
fail() { echo "FAIL: $*"; exit 1; }

if ! have dpkg-buildpackage && ! have rpmbuild; then
    echo "SKIP: neither dpkg-buildpackage nor rpmbuild is installed"
    exit 77
fi

version=$(sed -n "s/^ *version: *'\([^']*\)'.*/\1/p" "$src/meson.build" | head -n1)
[ -n "$version" ] || fail "no version in $src/meson.build"
deb_version=$(sed -n '1s/^onepci (\([^)]*\)).*/\1/p' "$src/packaging/debian/changelog")
rpm_version=$(sed -n 's/^Version: *//p' "$src/packaging/rpm/onepci.spec")
[ "$deb_version" = "$version" ] ||
    fail "packaging/debian/changelog says $deb_version, meson.build says $version"
[ "$rpm_version" = "$version" ] ||
    fail "packaging/rpm/onepci.spec says $rpm_version, meson.build says $version"

rm -rf "$out"
mkdir -p "$out"
work=$out/work
tree=$work/onepci-$version
mkdir -p "$tree"

# A clean copy: what git tracks or would track, never build directories.
if have git && git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git -C "$src" ls-files --cached --others --exclude-standard |
        while IFS= read -r f; do [ -f "$src/$f" ] && printf '%s\n' "$f"; done |
        grep -v '^build' |
        tar -C "$src" -cf - -T - | tar -C "$tree" -xf -
else
    tar -C "$src" --exclude='./build*' --exclude='./.git' -cf - . | tar -C "$tree" -xf -
fi
echo "source: $(find "$tree" -type f | wc -l) files copied to $tree"

status=0

build_deb() {
    if ! have dpkg-buildpackage; then
        echo "SKIP deb: dpkg-buildpackage not installed"
        return 0
    fi
    rm -rf "$tree/debian"
    cp -a "$tree/packaging/debian" "$tree/debian"
    echo "deb: dpkg-buildpackage -us -uc -b (log: $out/deb-build.log)"
    if ! (cd "$tree" && DEB_BUILD_OPTIONS="nocheck ${DEB_BUILD_OPTIONS:-}" \
            dpkg-buildpackage -us -uc -b) >"$out/deb-build.log" 2>&1; then
        tail -n 40 "$out/deb-build.log"
        echo "FAIL: dpkg-buildpackage"
        return 1
    fi
    rm -rf "$tree/debian"
    mv "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$out"/ 2>/dev/null || true
    ls "$out"/onepci-agent_*.deb "$out"/onepci-registrar_*.deb >/dev/null ||
        { echo "FAIL: missing .deb"; return 1; }

    rc=0
    for p in onepci-agent onepci-registrar; do
        deb=$(ls "$out/${p}_${version}"_*.deb)
        dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's|^\./|/|' >"$out/$p.files"
        echo "deb: $(basename "$deb"): $(wc -l <"$out/$p.files") entries"
    done
    for f in /usr/sbin/onepci-agent /lib/systemd/system/onepci-agent-apply.service \
             /lib/systemd/system/onepci-agent-register.service \
             /etc/cloud/clean.d/50-onepci /etc/default/onepci-agent; do
        grep -qx "$f" "$out/onepci-agent.files" || { echo "FAIL: onepci-agent lacks $f"; rc=1; }
    done
    for f in /usr/sbin/onepci-registrar /lib/systemd/system/onepci-registrar.service \
             /usr/libexec/onepci/registrar-prepare /etc/onepci/registrar.yml; do
        grep -qx "$f" "$out/onepci-registrar.files" || { echo "FAIL: onepci-registrar lacks $f"; rc=1; }
    done
    # cloud-init's run-parts only runs executable hooks.
    dpkg-deb -c "$(ls "$out/onepci-agent_${version}"_*.deb)" |
        grep -q '^-rwxr-xr-x .*/etc/cloud/clean.d/50-onepci$' ||
        { echo "FAIL: /etc/cloud/clean.d/50-onepci is not executable in the package"; rc=1; }
    # Configuration is kept on upgrade: every file under /etc is a conffile.
    for p in onepci-agent onepci-registrar; do
        deb=$(ls "$out/${p}_${version}"_*.deb)
        dpkg-deb -e "$deb" "$work/ctrl-$p"
        for f in $(grep '^/etc/.*[^/]$' "$out/$p.files"); do
            grep -qx "$f" "$work/ctrl-$p/conffiles" || { echo "FAIL: $p: $f is not a conffile"; rc=1; }
        done
        # Units enabled the Debian way (deb-systemd-helper in postinst).
        grep -q 'deb-systemd-helper' "$work/ctrl-$p/postinst" ||
            { echo "FAIL: $p: postinst does not enable its units"; rc=1; }
    done
    grep -q 'Depends:.*driverctl' "$work/ctrl-onepci-agent/control" &&
        grep -q 'Depends:.*udev' "$work/ctrl-onepci-agent/control" ||
        { echo "FAIL: onepci-agent does not depend on driverctl and udev"; rc=1; }
    # libcurl is dlopen()ed (agent/curl-api.h), so shlibs cannot see it.
    grep -q 'Depends:.*libcurl4' "$work/ctrl-onepci-agent/control" ||
        { echo "FAIL: onepci-agent does not depend on libcurl4"; rc=1; }

    if [ -n "${ONEPCI_NO_LINTIAN:-}" ]; then
        echo "note: lintian not run (ONEPCI_NO_LINTIAN)"
    elif have lintian; then
        echo "deb: lintian (log: $out/lintian.log)"
        lintian --fail-on error --suppress-tags-from-file /dev/null \
            "$out"/*.changes >"$out/lintian.log" 2>&1 || {
            cat "$out/lintian.log"
            echo "FAIL: lintian reports errors"
            rc=1
        }
        grep -E '^[EW]:' "$out/lintian.log" || true
    else
        echo "note: lintian not installed, not run"
    fi
    return $rc
}

build_rpm() {
    if ! have rpmbuild; then
        echo "SKIP rpm: rpmbuild not installed"
        return 0
    fi
    top=$work/rpmbuild
    mkdir -p "$top/SOURCES" "$top/SPECS"
    tar -C "$work" --exclude="onepci-$version/debian" -czf "$top/SOURCES/onepci-$version.tar.gz" "onepci-$version"
    cp "$tree/packaging/rpm/onepci.spec" "$top/SPECS/"
    set -- --define "_topdir $top"
    # Debian's rpm has no Fedora build macros (%meson, %_unitdir,
    # %systemd_post ...): define what the spec uses when missing, as
    # redhat-rpm-config and systemd-rpm-macros do on EL9/Fedora.
    if [ "$(rpm --eval '%{?meson:yes}')" != yes ]; then
        set -- "$@" --define "_vpath_builddir redhat-linux-build" \
            --define "meson meson setup --buildtype=plain --prefix=%{_prefix} --libdir=%{_libdir} --libexecdir=%{_libexecdir} --bindir=%{_bindir} --sbindir=%{_sbindir} --sysconfdir=%{_sysconfdir} --localstatedir=%{_localstatedir} --datadir=%{_datadir} --mandir=%{_mandir} %{_vpath_builddir}" \
            --define "meson_build meson compile -C %{_vpath_builddir}" \
            --define "meson_install DESTDIR=%{buildroot} meson install -C %{_vpath_builddir} --no-rebuild" \
            --define "meson_test meson test -C %{_vpath_builddir}"
    fi
    if [ "$(rpm --eval '%{?_unitdir:yes}')" != yes ]; then
        set -- "$@" --define "_unitdir /usr/lib/systemd/system"
    fi
    for m in systemd_post systemd_preun systemd_postun systemd_postun_with_restart; do
        if [ "$(rpm --eval "%{?$m:yes}")" != yes ]; then
            set -- "$@" --define "$m() :"
        fi
    done
    # Debian's rpm does not build debuginfo the Fedora way.
    set -- "$@" --define "debug_package %{nil}"

    echo "rpm: rpmspec -P"
    rpmspec "$@" -P "$top/SPECS/onepci.spec" >"$out/onepci.spec.parsed" 2>"$out/rpmspec.log" ||
        { cat "$out/rpmspec.log"; echo "FAIL: rpmspec -P"; return 1; }
    echo "rpm: rpmbuild -bs"
    rpmbuild "$@" -bs "$top/SPECS/onepci.spec" >"$out/rpm-srpm.log" 2>&1 ||
        { tail -n 30 "$out/rpm-srpm.log"; echo "FAIL: rpmbuild -bs"; return 1; }
    echo "rpm: rpmbuild -bb --nodeps (log: $out/rpm-build.log)"
    rpmbuild "$@" -bb --nodeps "$top/SPECS/onepci.spec" >"$out/rpm-build.log" 2>&1 ||
        { tail -n 40 "$out/rpm-build.log"; echo "FAIL: rpmbuild -bb --nodeps"; return 1; }
    find "$top/SRPMS" "$top/RPMS" -name '*.rpm' -exec cp {} "$out"/ \;
    rc=0
    for p in onepci-agent onepci-registrar; do
        rpmf=$(ls "$out/$p-$version"-*.rpm 2>/dev/null | grep -v '\.src\.rpm$' | head -n1)
        [ -n "$rpmf" ] || { echo "FAIL: no $p rpm"; rc=1; continue; }
        rpm -qlp "$rpmf" >"$out/$p.rpm-files" 2>/dev/null
        echo "rpm: $(basename "$rpmf"): $(wc -l <"$out/$p.rpm-files") files"
    done
    for f in /usr/sbin/onepci-agent /usr/lib/systemd/system/onepci-agent-apply.service \
             /etc/sysconfig/onepci-agent; do
        grep -qx "$f" "$out/onepci-agent.rpm-files" || { echo "FAIL: onepci-agent rpm lacks $f"; rc=1; }
    done
    for f in /usr/sbin/onepci-registrar /usr/lib/systemd/system/onepci-registrar.service \
             /etc/onepci/registrar.yml; do
        grep -qx "$f" "$out/onepci-registrar.rpm-files" || { echo "FAIL: onepci-registrar rpm lacks $f"; rc=1; }
    done
    return $rc
}

for k in $kinds; do
    case $k in
    deb) build_deb || status=1 ;;
    rpm) build_rpm || status=1 ;;
    *) fail "unknown package kind $k" ;;
    esac
done

ls -l "$out"/*.deb "$out"/*.rpm 2>/dev/null || true
[ $status -eq 0 ] && echo "ok: packages built and checked in $out"
exit $status
