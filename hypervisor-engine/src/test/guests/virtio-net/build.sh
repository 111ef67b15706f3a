#!/bin/sh
# Builds the virtio-net check guest into OUT: the `linux` guest (deploy/guests/linux/build.sh, built into OUT/linux and
# used as it is) plus a second initramfs archive, appended to the first, that adds the kernel's virtio and virtio-net
# modules and replaces /init with this directory's `init`, which brings eth0 up with the address the kernel command
# line gives and pings the host and a peer. The kernel unpacks concatenated archives in order, so the later /init wins.
# Nothing in deploy/ is changed.
#
# Outputs: OUT/vmlinuz, OUT/initramfs.cpio.gz. Debian packages come from OUT/linux/download (apt-get download).
set -eu
if [ $# -ne 1 ]; then
    echo "usage: build.sh OUT" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../../../.." && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
sh "$repo/deploy/guests/linux/build.sh" "$out/linux"
kernel_deb=$(ls "$out/linux/download"/linux-image-*.deb | tail -n 1)
busybox_deb=$(ls "$out/linux/download"/busybox-static_*.deb | tail -n 1)
stamp="$(cat "$out/linux/stamp") $(cat "$here/init" "$here/build.sh" | cksum)"
if [ -f "$out/initramfs.cpio.gz" ] && [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ]; then
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
# Dependency order, from each module's depends= (modinfo): virtio_pci needs virtio, virtio_ring and both PCI
# transport libraries; virtio_net needs net_failover, which needs failover.
for module in drivers/virtio/virtio.ko drivers/virtio/virtio_ring.ko drivers/virtio/virtio_pci_modern_dev.ko \
        drivers/virtio/virtio_pci_legacy_dev.ko drivers/virtio/virtio_pci.ko net/core/failover.ko \
        drivers/net/net_failover.ko drivers/net/virtio_net.ko; do
    cp "$modules/$module" "$root/lib/modules/virtio/"
    basename "$module" >> "$root/lib/modules/virtio/load-order"
done
cp "$here/init" "$root/init"
chmod 755 "$root/init"
(cd "$root" && find . | sort | "$work/busybox/bin/busybox" cpio -o -H newc -R 0:0 2>/dev/null) | gzip -9 > "$work/net.cpio.gz"
cat "$out/linux/initramfs.cpio.gz" "$work/net.cpio.gz" > "$out/initramfs.cpio.gz"
cp "$out/linux/vmlinuz" "$out/vmlinuz"
echo "$stamp" > "$out/stamp"
