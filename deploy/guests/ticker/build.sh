#!/bin/sh
# Builds the ticker test guest into OUT, a bzImage that Corral's LinuxBoot (and QEMU's -kernel) can boot.
# Needs GNU binutils (as, ld, objcopy) and nothing else; ../assemble.sh does the work.
set -eu
if [ $# -ne 1 ]; then
    echo "usage: build.sh OUT" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
exec sh "$here/../assemble.sh" "$here" ticker "$1"
