#!/bin/sh
# Builds the smp test guest into OUT, a bzImage that Corral's LinuxBoot loads for its 64-bit entry.
# Needs GNU binutils (as, ld, objcopy) and nothing else.
set -eu
if [ $# -ne 1 ]; then
    echo "usage: build.sh OUT" >&2
    exit 2
fi
out=$1
for tool in as ld objcopy; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "build.sh: '$tool' not found: the smp guest needs GNU binutils (apt-get install binutils)" >&2
        exit 1
    fi
done
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
as --64 -o "$work/smp.o" "$here/smp.S"
ld -nostdlib -static --no-dynamic-linker -z noexecstack -z max-page-size=4096 -T "$here/smp.ld" -o "$work/smp.elf" "$work/smp.o"
objcopy -O binary "$work/smp.elf" "$work/smp.bin"
mkdir -p "$(dirname "$out")"
mv "$work/smp.bin" "$out"
