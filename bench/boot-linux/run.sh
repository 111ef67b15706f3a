#!/usr/bin/env bash
# bench/boot-linux: Debian's cloud kernel and the linux guest's busybox initramfs, booted to its init marker with the
# same command line on Corral's software CPU and on QEMU's TCG (qemu-system-x86_64 -accel tcg), 1 and 2 vCPUs, in one
# run, and the software CPU's interpreter alone beside its translator (1 vCPU). Ratios last. Usage: bench/boot-linux/run.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
source deploy/lib/java.sh
source deploy/lib/prerequisites.sh
corral_require_packages qemu-system-x86 gzip
corral_require_package_lists
./mvnw -B -q -pl hypervisor-engine -am -DskipTests compile
guest="$root/hypervisor-engine/target/guests/linux"
bash deploy/guests/linux/build.sh "$guest"
# The interpreter-only figure first, in a JVM of its own (the tier is chosen per JVM), then the main run; both with the
# node agent's JVM options, since the agent is the JVM that boots VMs.
interpreter="$(mktemp)"
trap 'rm -f "$interpreter"' EXIT
java @node-agent/jvm.options -Dcorral.cpu.translate=off -cp hypervisor-engine/target/classes \
    bench/boot-linux/BootLinuxBench.java "$guest/vmlinuz" "$guest/initramfs.cpio" --interpreter-only "$interpreter"
java @node-agent/jvm.options -cp hypervisor-engine/target/classes bench/boot-linux/BootLinuxBench.java \
    "$guest/vmlinuz" "$guest/initramfs.cpio" --interpreter-result "$interpreter"
