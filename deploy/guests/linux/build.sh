#!/bin/sh
# Builds the `linux` guest into OUT: Debian's cloud kernel (OUT/vmlinuz, as Debian ships it), a busybox
# initramfs (OUT/initramfs.cpio) whose init brings up a shell on the serial console and powers off cleanly when
# the ACPI power button is pressed, and a root disk holding the same busybox system (OUT/rootfs.ext4, a raw ext4
# image of 64 MiB made by mkfs.ext4 -d, no root privileges needed) for VMs that keep their files. Nothing is
# installed: the packages are fetched with `apt-get download` into OUT/download (kept as a cache) and unpacked with
# dpkg-deb.
#
# The guest's init reads these words of the kernel command line:
#   corral.init=poweroff   print the marker (through the kernel's log, so that it is out before the power goes),
#                          then power off at once (tests and benchmarks); corral.init=reboot likewise reboots
#   corral.init=shell      (the default) a root shell on the console, respawned when it exits
#   root=/dev/vda          load the virtio modules, mount that disk (ext4) and go on from it
#   ip=ADDR::GW:NETMASK:HOSTNAME:eth0:off   configure eth0 statically (the kernel's own syntax)
# Its marker line, printed once the root file system is up, is
#   corral linux: init after <uptime> s on <nproc> CPUs
set -eu
if [ $# -ne 1 ]; then
    echo "usage: build.sh OUT" >&2
    exit 2
fi
out=$1
PATH=$PATH:/sbin:/usr/sbin
for tool in apt-get apt-cache dpkg-deb mkfs.ext4; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "build.sh: '$tool' not found: the linux guest is built from Debian packages" >&2
        exit 1
    fi
done
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out/download"
out=$(cd "$out" && pwd)
meta=linux-image-cloud-amd64
kernel_pkg=$(apt-cache depends "$meta" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -n 1)
if [ -z "$kernel_pkg" ]; then
    echo "build.sh: apt-cache does not know which kernel $meta depends on (run apt-get update)" >&2
    exit 1
fi

fetch() { # fetch PKG: the .deb of PKG in $out/download, downloaded unless it is there
    deb=$(ls "$out/download/$1"_*.deb 2>/dev/null | tail -n 1 || true)
    if [ -z "$deb" ]; then
        (cd "$out/download" && apt-get download "$1" >/dev/null 2>&1) || {
            echo "build.sh: apt-get download $1 failed" >&2
            exit 1
        }
        deb=$(ls "$out/download/$1"_*.deb | tail -n 1)
    fi
    echo "$deb"
}
kernel_deb=$(fetch "$kernel_pkg")
busybox_deb=$(fetch busybox-static)
stamp="$(basename "$kernel_deb") $(basename "$busybox_deb") $(cat "$here/init" "$here/build.sh" "$here/modules.sh" | cksum)"
if [ -f "$out/vmlinuz" ] && [ -f "$out/initramfs.cpio" ] && [ -f "$out/rootfs.ext4" ] \
        && [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ]; then
    exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$kernel_deb" "$work/kernel"
dpkg-deb -x "$busybox_deb" "$work/busybox"
version=$(ls "$work/kernel/lib/modules" | head -n 1)
modules="$work/kernel/lib/modules/$version/kernel"

root="$work/root"
mkdir -p "$root/bin" "$root/sbin" "$root/etc/acpi/PWRF" "$root/lib/modules" "$root/proc" "$root/sys" "$root/dev" \
    "$root/tmp" "$root/root" "$root/run" "$root/var/log" "$root/newroot"
cp "$work/busybox/bin/busybox" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
    [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
ln -s ../bin/busybox "$root/sbin/init"
cp "$here/init" "$root/init"
chmod 755 "$root/init"
# The modules the init loads: the ACPI power button (a module in Debian's cloud kernel) and the input event interface
# busybox's acpid reads it from; virtio over PCI with its block device (/dev/vda, ...), entropy source (/dev/hwrng,
# which also feeds the kernel's random pool) and network interface (eth0). Those this kernel has (ext4, for one, is
# built in), with what they need, in the order they need (modules.sh). load-order names them in that order.
. "$here/modules.sh"
wanted=""
for module in drivers/acpi/button.ko drivers/input/evdev.ko drivers/virtio/virtio_pci.ko drivers/block/virtio_blk.ko \
    drivers/char/hw_random/virtio-rng.ko drivers/net/virtio_net.ko; do
    if [ -f "$modules/$module" ]; then
        wanted="$wanted $module"
    fi
done
order=$(module_order "$modules" $wanted)
for module in $order; do
    cp "$modules/$module" "$root/lib/modules/"
    basename "$module" >> "$root/lib/modules/load-order"
done
printf '#!/bin/sh\n# The ACPI power button: a clean power-off (busybox init runs its shutdown actions first).\nexec /bin/poweroff\n' \
    > "$root/etc/acpi/PWRF/00000080"
chmod 755 "$root/etc/acpi/PWRF/00000080"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\n' > "$root/etc/group"
printf 'corral\n' > "$root/etc/hostname"
printf 'export PS1='"'"'\\h:\\w# '"'"'\nexport PATH=/bin:/sbin\n' > "$root/etc/profile"

# The kernel opens /dev/console before init runs, so the archive must hold that device node. Making one takes
# root; writing its cpio entry does not. The kernel unpacks concatenated archives: the node comes after /dev.
cpio_entry() { # cpio_entry NAME MODE RDEVMAJOR RDEVMINOR: one newc header for an empty file, and its name
    namesize=$((${#1} + 1))
    printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%s\0' \
        1 "$2" 0 0 1 0 0 0 0 "$3" "$4" "$namesize" 0 "$1"
    pad=$(( (4 - (110 + namesize) % 4) % 4 ))
    [ "$pad" -eq 0 ] || head -c "$pad" /dev/zero
}
{
    (cd "$root" && find . | sort | "$root/bin/busybox" cpio -o -H newc -R 0:0 2>/dev/null)
    cpio_entry dev/console $((0020600)) 5 1
    cpio_entry TRAILER!!! 0 0 0
} > "$work/initramfs.cpio"
# Not compressed: the VMM copies it into guest memory at host speed, and the guest would spend ~47 M instructions
# inflating a gzip'd one (0.1-0.15 s of a boot on the software CPU) to save 1.4 MiB on disk.
# The root disk: the same tree, marked so that its init knows it runs from the disk. Files keep the builder's owner
# (mkfs.ext4 -d copies them as they are): root when run as root, as deploy/local/run.sh usually is.
rmdir "$root/newroot"
touch "$root/etc/corral-rootfs"
mkfs.ext4 -q -F -L corral-root -E root_owner=0:0 -d "$root" "$work/rootfs.ext4" 64M >/dev/null
cp "$work/kernel/boot/vmlinuz-$version" "$work/vmlinuz"
mv "$work/rootfs.ext4" "$out/rootfs.ext4"
mv "$work/vmlinuz" "$out/vmlinuz"
mv "$work/initramfs.cpio" "$out/initramfs.cpio"
echo "$version" > "$out/kernel-version"
echo "$stamp" > "$out/stamp"
