#!/usr/bin/env bash
# bench/disk-net: disk and network throughput measured inside the guest, Corral's software CPU against QEMU TCG, in one
# run, with the same kernel, initramfs, fresh raw data disk and virtio devices (virtio-blk-pci, virtio-net-pci, modern
# only). Two VMs per side on a bridge this script creates (one tap each): VM A sends to VM B, then pings the host and
# measures its data disk. Ratios last. Usage: bench/disk-net/run.sh   (root: it creates a bridge and taps)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
if [ "$(id -u)" -ne 0 ]; then
    echo "bench/disk-net: run it as root (it creates a bridge and two taps)" >&2
    exit 1
fi
source deploy/lib/java.sh
source deploy/lib/prerequisites.sh
corral_require_packages qemu-system-x86 gzip gcc libc6-dev iproute2
corral_require_package_lists
./mvnw -B -q -pl hypervisor-engine -am -DskipTests compile
guest="$root/hypervisor-engine/target/guests/linux"
bash deploy/guests/linux/build.sh "$guest"

# Names unique to this run, at most 15 bytes; the subnet is a TEST-NET-like private one the host does not route.
id=$$
bridge="cdnbr$id"
tap_a="cdna$id"
tap_b="cdnb$id"
work="$(mktemp -d)"
cleanup() {
    status=$?
    ip link del "$tap_a" 2>/dev/null || true
    ip link del "$tap_b" 2>/dev/null || true
    ip link del "$bridge" 2>/dev/null || true
    rm -rf "$work"
    exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The guest: the linux guest's initramfs with a second archive appended (the kernel unpacks both, the later /init
# wins) holding bench/disk-net/init, rand4k and tcpstream, built here and never committed.
mkdir -p "$work/extra/bin"
gcc -static -O2 -Wall -o "$work/extra/bin/rand4k" bench/disk-net/rand4k.c
gcc -static -O2 -Wall -o "$work/extra/bin/tcpstream" bench/disk-net/tcpstream.c
cp bench/disk-net/init "$work/extra/init"
chmod 755 "$work/extra/init"
dpkg-deb -x "$(ls "$guest"/download/busybox-static_*.deb | tail -n 1)" "$work/busybox"
(cd "$work/extra" && find . | sort | "$work/busybox/bin/busybox" cpio -o -H newc -R 0:0 2>/dev/null) | gzip -9 > "$work/extra.cpio.gz"
cat "$guest/initramfs.cpio" "$work/extra.cpio.gz" > "$work/initramfs.cpio"

# The network: a bridge with an address for the guests' ping, and one persistent tap per VM in it. QEMU and Corral
# attach to the same taps in turn (their carrier is down until a VM opens them).
ip link add name "$bridge" type bridge
ip addr add 10.213.77.1/24 dev "$bridge"
ip link set "$bridge" up
for tap in "$tap_a" "$tap_b"; do
    ip tuntap add dev "$tap" mode tap
    ip link set "$tap" master "$bridge" up
done

java --enable-native-access=ALL-UNNAMED -cp hypervisor-engine/target/classes bench/disk-net/DiskNetBench.java \
    "$guest/vmlinuz" "$work/initramfs.cpio" "$work" "$bridge" "$tap_a" "$tap_b"
