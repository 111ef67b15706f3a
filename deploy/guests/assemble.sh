#!/bin/sh
# Assembles one of the tiny bare-metal test guests (ticker, smp) into OUT: DIR/NAME.S linked with DIR/NAME.ld into a
# flat bzImage that Corral's LinuxBoot (and QEMU's -kernel) can boot. Each guest's build.sh calls this. Needs GNU
# binutils (as, ld, objcopy) and nothing else.
set -eu
if [ $# -ne 3 ]; then
    echo "usage: assemble.sh DIR NAME OUT" >&2
    exit 2
fi
dir=$1 name=$2 out=$3
for tool in as ld objcopy; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "build.sh: '$tool' not found: the $name guest needs GNU binutils (apt-get install binutils)" >&2
        exit 1
    fi
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
as --64 -o "$work/$name.o" "$dir/$name.S"
ld -nostdlib -static --no-dynamic-linker -z noexecstack -z max-page-size=4096 -T "$dir/$name.ld" -o "$work/$name.elf" "$work/$name.o"
objcopy -O binary "$work/$name.elf" "$work/$name.bin"
mkdir -p "$(dirname "$out")"
mv "$work/$name.bin" "$out"
