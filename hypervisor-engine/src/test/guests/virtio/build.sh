#!/bin/sh
# Builds the virtio check guest into OUT (see ../with-modules.sh): the `linux` guest with the kernel's virtio modules
# and this directory's `init`, which loads them, exercises /dev/vda and /dev/hwrng and powers off.
# Dependency order, from each module's depends= (modinfo): virtio_pci needs virtio, virtio_ring and both PCI
# transport libraries; virtio_blk and virtio-rng need virtio and virtio_ring. The hwrng core is built in.
set -eu
if [ $# -ne 1 ]; then
    echo "usage: build.sh OUT" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
exec sh "$here/../with-modules.sh" "$1" "$here/init" drivers/virtio/virtio.ko drivers/virtio/virtio_ring.ko \
    drivers/virtio/virtio_pci_modern_dev.ko drivers/virtio/virtio_pci_legacy_dev.ko drivers/virtio/virtio_pci.ko \
    drivers/block/virtio_blk.ko drivers/char/hw_random/virtio-rng.ko
