#!/bin/sh
# Builds a check guest into OUT: the `linux` guest (deploy/guests/linux/build.sh, built into OUT/linux and used as it
# is) plus a second initramfs archive, appended to the first, that adds the named kernel modules (paths below the
# kernel's modules directory) and those they need, their names in /lib/modules/virtio/load-order each after those it
# needs (deploy/guests/linux/modules.sh)
# and replaces /init with INIT. The kernel unpacks concatenated archives in order, so the later /init wins. Nothing in
# deploy/ is changed. The check guests' build.sh scripts call this with their own init and modules.
#
# Outputs: OUT/vmlinuz, OUT/initramfs.cpio (the linux guest's archive, then a gzip'd one with the modules and init). Debian packages come from OUT/linux/download (apt-get download).
set -eu
if [ $# -lt 2 ]; then
    echo "usage: with-modules.sh OUT INIT [MODULE...]" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../../.." && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
init=$2
shift 2
sh "$repo/deploy/guests/linux/build.sh" "$out/linux"
kernel_deb=$(ls "$out/linux/download"/linux-image-*.deb | tail -n 1)
busybox_deb=$(ls "$out/linux/download"/busybox-static_*.deb | tail -n 1)
stamp="$(cat "$out/linux/stamp") $(cat "$init" "$here/with-modules.sh" "$repo/deploy/guests/linux/modules.sh" | cksum) $*"
if [ -f "$out/initramfs.cpio" ] && [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ]; then
    exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$kernel_deb" "$work/kernel"
dpkg-deb -x "$busybox_deb" "$work/busybox"
version=$(cat "$out/linux/kernel-version")
modules="$work/kernel/lib/modules/$version/kernel"
root="$work/root"
mkdir -p "$root/lib/modules/virtio"
. "$repo/deploy/guests/linux/modules.sh"
order=$(module_order "$modules" "$@")
for module in $order; do
    cp "$modules/$module" "$root/lib/modules/virtio/"
    basename "$module" >> "$root/lib/modules/virtio/load-order"
done
cp "$init" "$root/init"
chmod 755 "$root/init"
(cd "$root" && find . | sort | "$work/busybox/bin/busybox" cpio -o -H newc -R 0:0 2>/dev/null) | gzip -9 > "$work/extra.cpio.gz"
cat "$out/linux/initramfs.cpio" "$work/extra.cpio.gz" > "$out/initramfs.cpio"
cp "$out/linux/vmlinuz" "$out/vmlinuz"
echo "$stamp" > "$out/stamp"
