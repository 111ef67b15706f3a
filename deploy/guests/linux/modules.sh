# Sourced by build.sh and by the engine's check guests (hypervisor-engine/src/test/guests/with-modules.sh): the order
# to load kernel modules in, taken from the modules themselves. Each module names the modules it needs in its
# .modinfo section ("depends=", written by the kernel's build), so the order follows the kernel at hand: Debian's
# 6.1.0-57 moved a symbol between two virtio modules, and virtio now needs virtio_ring where it was the other way
# round. A module that one of the list needs and the list does not name is added from the kernel's modules.
#
# module_order DIR MODULE...: prints the paths (relative to DIR, the kernel's modules directory) of each MODULE and
# of every module it needs, one a line, each after those it needs; fails, saying why, if one cannot be found.
module_order() {
    _mo_dir=$1
    shift
    _mo_done=" "
    for _mo_module in "$@"; do
        _module_add "$_mo_module" || return 1
    done
}

_module_add() { # _module_add PATH: the modules PATH needs first, then PATH itself, each once
    case "$_mo_done" in *" $1 "*) return 0 ;; esac
    if [ ! -f "$_mo_dir/$1" ]; then
        echo "module_order: no module $1 in $_mo_dir" >&2
        return 1
    fi
    for _mo_dep in $(LC_ALL=C tr '\0' '\n' < "$_mo_dir/$1" | sed -n 's/^depends=//p' | tr ',' ' '); do
        _mo_path=$(_module_find "$_mo_dep") || return 1
        _module_add "$_mo_path" || return 1
    done
    _mo_done="$_mo_done$1 "
    echo "$1"
}

_module_find() { # _module_find NAME: the path of module NAME (its file may spell _ as -)
    _mo_found=$(find "$_mo_dir" \( -name "$1.ko" -o -name "$(echo "$1" | tr _ -).ko" \) -print | head -n 1)
    if [ -z "$_mo_found" ]; then
        echo "module_order: no module $1 (a dependency) in $_mo_dir" >&2
        return 1
    fi
    echo "${_mo_found#"$_mo_dir"/}"
}
