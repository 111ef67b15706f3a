#!/bin/sh
# Builds the virtio-net check guest into OUT (see ../with-modules.sh): the `linux` guest with the kernel's virtio and
# virtio-net modules and this directory's `init`, which brings eth0 up with the address the kernel command line gives
# and pings the host and a peer. Dependency order: virtio_pci needs virtio, virtio_ring and both PCI transport
# libraries; virtio_net needs net_failover, which needs failover.
set -eu
if [ $# -ne 1 ]; then
    echo "usage: build.sh OUT" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
exec sh "$here/../with-modules.sh" "$1" "$here/init" drivers/virtio/virtio.ko drivers/virtio/virtio_ring.ko \
    drivers/virtio/virtio_pci_modern_dev.ko drivers/virtio/virtio_pci_legacy_dev.ko drivers/virtio/virtio_pci.ko \
    net/core/failover.ko drivers/net/net_failover.ko drivers/net/virtio_net.ko
