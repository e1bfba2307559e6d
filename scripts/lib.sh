# Sourced by scripts/test and scripts/demo: installs what is missing.
# shellcheck shell=bash

repo_root() { cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd; }

# Installs every package of scripts/packages.txt not yet installed (apt-get).
install_missing_packages() {
    local list="$1" missing=() p
    while read -r p; do
        p=${p%%#*}; p=${p// /}
        [ -n "$p" ] || continue
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
    done < "$list"
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "missing packages: ${missing[*]} (run as root, or install them)" >&2
        return 1
    fi
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null || return 1
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null || return 1
}

# meson setup (or reconfigure) a build directory with extra options.
setup_build() {
    local dir="$1"; shift
    if [ -f "$dir/build.ninja" ]; then
        meson configure "$dir" "$@" >/dev/null
    else
        meson setup "$dir" "$@" >/dev/null
    fi
}
