#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Builds the VM suite's guest from the host's installed Debian packages:
#   OUT/vmlinuz      the kernel of Debian's linux-image-amd64 (fetched with
#                    apt-get download, unpacked with dpkg-deb)
#   OUT/initrd.img   base.cpio.gz (busybox, bash, kmod, udev, driverctl, the
#                    kernel modules, depmod'ed) + overlay.cpio.gz (the fresh
#                    onepci-agent with its shared libraries and the test init)
#
# The base is cached in OUT and rebuilt only when its inputs change (this
# script, the kernel package, the versions of the packages it copies from);
# the overlay is rebuilt on every run so the guest always runs the agent that
# was just built.  The kernel unpacks concatenated cpio archives in order.
#
# usage: build-guest.sh OUT AGENT INIT [EXTRA_FILE...]
#   EXTRA_FILE files copied into the guest's /onepci-test/ (inventories, ...)
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin" # modinfo, depmod for a non-root user

die() { echo "build-guest: $*" >&2; exit 1; }

[ $# -ge 3 ] || die "usage: build-guest.sh OUT AGENT INIT [EXTRA_FILE...]"
out=$1 agent=$2 init=$3
shift 3
[ -x "$agent" ] || die "agent $agent is not an executable"
[ -r "$init" ] || die "init $init is not readable"
mkdir -p "$out"
out=$(cd "$out" && pwd)

# The modules the scenario needs; their dependencies are added from modinfo.
wanted_modules=(vfio vfio_iommu_type1 vfio-pci-core vfio-pci irqbypass e1000e nvme nvme-core t10-pi)
# Packages whose files go into the base (their versions key the cache).
base_packages=(busybox-static bash kmod udev driverctl libc6)

for tool in apt-cache apt-get dpkg-deb dpkg-query cpio gzip modinfo depmod ldd; do
        command -v "$tool" >/dev/null || die "$tool not found (see scripts/packages.txt)"
done

# --- the kernel package ----------------------------------------------------
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
        sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1)
if [ -z "$kpkg" ]; then
        # apt lists not usable offline: fall back to a package already fetched.
        deb=$(ls "$out"/linux-image-*-amd64_*.deb 2>/dev/null | sort -V | tail -n1 || true)
        [ -n "$deb" ] || die "cannot resolve linux-image-amd64 (apt-cache depends) and no .deb cached in $out"
        kpkg=$(basename "$deb" | sed 's/_.*//')
fi
kver=${kpkg#linux-image-}

deb=$(ls "$out"/"$kpkg"_*.deb 2>/dev/null | sort -V | tail -n1 || true)
if [ -z "$deb" ]; then
        echo "build-guest: apt-get download $kpkg" >&2
        (cd "$out" && apt-get download "$kpkg" >&2) || die "apt-get download $kpkg failed"
        deb=$(ls "$out"/"$kpkg"_*.deb | sort -V | tail -n1)
fi

# --- cache key of the base ---------------------------------------------------
versions=$(dpkg-query -W -f '${Package} ${Version}\n' "${base_packages[@]}" 2>/dev/null) ||
        die "missing one of: ${base_packages[*]} (see scripts/packages.txt)"
key=$( { sha256sum "$0" | cut -d' ' -f1; basename "$deb"; echo "$versions";
         echo "${wanted_modules[*]}"; } | sha256sum | cut -d' ' -f1)

kdir=$out/kernel
if [ ! -f "$out/base.cpio.gz" ] || [ "$(cat "$out/base.key" 2>/dev/null)" != "$key" ]; then
        echo "build-guest: building the base image for $kver" >&2
        rm -rf "$kdir" "$out/base" "$out/base.cpio.gz" "$out/base.key"
        mkdir -p "$kdir"

        # Only the kernel image and the modules needed (and what they depend
        # on) are unpacked: the full package is 400 MB.
        dpkg-deb --fsys-tarfile "$deb" | tar -t > "$kdir/files.txt"
        dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$kdir" \
                "./boot/vmlinuz-$kver" "./lib/modules/$kver/modules.builtin" \
                "./lib/modules/$kver/modules.builtin.modinfo" "./lib/modules/$kver/modules.order"
        modpath() { # module name -> path in the package ('-' and '_' are equal)
                local re=${1//[-_]/[-_]}
                grep -m1 -E "^\./lib/modules/$kver/kernel/.*/$re\.ko(\.xz|\.zst)?$" "$kdir/files.txt"
        }
        # Breadth-first over modinfo's "depends", one tar pass per level.
        declare -A seen=()
        level=("${wanted_modules[@]}")
        while [ ${#level[@]} -gt 0 ]; do
                paths=()
                for m in "${level[@]}"; do
                        n=${m//-/_}
                        [ -z "${seen[$n]:-}" ] || continue
                        seen[$n]=1
                        p=$(modpath "$m")
                        if [ -z "$p" ]; then
                                grep -qE "/${m//[-_]/[-_]}\.ko$" "$kdir/lib/modules/$kver/modules.builtin" &&
                                        continue
                                die "module $m not in $kpkg"
                        fi
                        paths+=("$p")
                done
                level=()
                [ ${#paths[@]} -gt 0 ] || break
                dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$kdir" "${paths[@]}"
                for p in "${paths[@]}"; do
                        case $p in
                        *.xz) xz -d "$kdir/$p"; p=${p%.xz} ;;
                        *.zst) zstd -q --rm -d "$kdir/$p"; p=${p%.zst} ;;
                        esac
                        deps=$(modinfo -F depends "$kdir/$p")
                        for d in ${deps//,/ }; do level+=("$d"); done
                done
        done

        b=$out/base
        mkdir -p "$b"/{usr/bin,usr/sbin,usr/lib/x86_64-linux-gnu,usr/lib64,etc,proc,sys,dev,run,tmp,root,var}
        ln -s usr/bin "$b/bin"; ln -s usr/sbin "$b/sbin"
        ln -s usr/lib "$b/lib"; ln -s usr/lib64 "$b/lib64"

        copy_file() { # host path -> same place in the merged-/usr guest
                local src=$1 rel=${1#/usr}
                mkdir -p "$(dirname "$b/usr$rel")"
                cp -L "$src" "$b/usr$rel"
        }
        copy_elf() { # a program and the libraries ldd finds for it
                copy_file "$1"
                ldd "$1" | awk '/=> \//{print $3} /^\t\/[^ ]*ld-linux/{print $1}' |
                        while read -r lib; do
                                [ -e "$b/usr${lib#/usr}" ] || copy_file "$lib"
                        done
        }

        cp /bin/busybox "$b/usr/bin/busybox"
        for applet in $(/bin/busybox --list); do
                [ -e "$b/usr/bin/$applet" ] || ln -s busybox "$b/usr/bin/$applet"
        done
        copy_elf /usr/bin/bash
        copy_elf /usr/bin/kmod
        for t in modprobe insmod rmmod lsmod depmod modinfo; do
                rm -f "$b/usr/bin/$t" "$b/usr/sbin/$t"
                ln -s ../bin/kmod "$b/usr/sbin/$t"
        done
        copy_elf /lib/systemd/systemd-udevd
        copy_elf /usr/bin/udevadm
        copy_file /usr/sbin/driverctl
        copy_file /lib/udev/vfio_name
        copy_file /lib/udev/rules.d/05-driverctl.rules
        copy_file /lib/udev/rules.d/89-vfio-uio.rules
        [ -e "$b/usr/lib64/ld-linux-x86-64.so.2" ] || die "the dynamic loader was not copied"
        copy_file /lib/x86_64-linux-gnu/libnss_files.so.2
        mkdir -p "$b/etc/driverctl.d" "$b/etc/udev/rules.d" "$b/etc/onepci"
        printf 'root:x:0:0:root:/root:/bin/bash\n' > "$b/etc/passwd"
        printf 'root:x:0:\ntty:x:5:\ndisk:x:6:\nkvm:x:104:\n' > "$b/etc/group"
        printf 'passwd: files\ngroup: files\nhosts: files\n' > "$b/etc/nsswitch.conf"
        printf '127.0.0.1 localhost\n' > "$b/etc/hosts"
        printf 'vmnode\n' > "$b/etc/hostname"

        mkdir -p "$b/usr/lib/modules"
        cp -a "$kdir/lib/modules/$kver" "$b/usr/lib/modules/"
        depmod -b "$b" "$kver" || die "depmod failed"

        (cd "$b" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
                gzip -1 > "$out/base.cpio.gz.tmp"
        mv "$out/base.cpio.gz.tmp" "$out/base.cpio.gz"
        cp "$kdir/boot/vmlinuz-$kver" "$out/vmlinuz"
        echo "$key" > "$out/base.key"
fi

# --- the overlay: always fresh ------------------------------------------------
o=$out/overlay
rm -rf "$o"
mkdir -p "$o/usr/sbin" "$o/onepci-test"
cp "$agent" "$o/usr/sbin/onepci-agent"
# One library into the overlay, where the base does not have it already.
copy_lib() {
        local rel=${1#/usr}
        [ -e "$out/base/usr$rel" ] || [ -e "$o/usr$rel" ] && return 0
        mkdir -p "$(dirname "$o/usr$rel")"
        cp -L "$1" "$o/usr$rel"
}
# The libraries ldd finds for an ELF program that the base does not have.
copy_libs_of() {
        [ "$(head -c4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ] || return 0
        local libs lib
        libs=$(ldd "$1") || die "ldd $1 failed"
        if grep -q 'not found' <<<"$libs"; then
                die "the libraries of $1 are not all found: $(grep 'not found' <<<"$libs")"
        fi
        for lib in $(awk '/=> \//{print $3}' <<<"$libs"); do
                copy_lib "$lib"
        done
}
# (A script stands in for the agent in the suite's own self-tests.)
copy_libs_of "$agent"
# The agent loads libcurl with dlopen() when it registers (agent/curl-api.h),
# so ldd does not list it: it and its libraries are copied by name.
if [ "$(head -c4 "$agent" | od -An -c | tr -d ' ')" = '177ELF' ]; then
        ldconfig=$(command -v ldconfig || echo /sbin/ldconfig)
        # awk reads to the end: quitting at the match would kill ldconfig with
        # SIGPIPE, which pipefail turns into a silent failure (seen 2 in 5).
        curl=$("$ldconfig" -p | awk '/libcurl\.so\.4 / && !found { print $NF; found = 1 }')
        [ -n "$curl" ] || die "libcurl.so.4 not found (ldconfig -p): the agent needs it to register"
        copy_lib "$curl"
        copy_libs_of "$curl"
fi
install -m 0755 "$init" "$o/init"
for f in "$@"; do # extra files (the node key; lspci for the benchmark)
        cp "$f" "$o/onepci-test/"
        copy_libs_of "$f"
done
(cd "$o" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
        gzip -1 > "$out/overlay.cpio.gz"
cat "$out/base.cpio.gz" "$out/overlay.cpio.gz" > "$out/initrd.img.tmp"
mv "$out/initrd.img.tmp" "$out/initrd.img"
echo "build-guest: $out/vmlinuz $out/initrd.img (kernel $kver)" >&2
