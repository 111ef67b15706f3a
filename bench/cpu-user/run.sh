#!/usr/bin/env bash
# bench/cpu-user: Corral's software CPU against qemu-x86_64 (user mode) and the native CPU, same binaries,
# same run. Workloads: our CPU-bound checksum program (gcc -O2 -static) and a busybox-static shell pipeline.
# Usage: bench/cpu-user/run.sh [MiB for the checksum, default 32]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
source deploy/lib/java.sh
source deploy/lib/prerequisites.sh
corral_require_packages qemu-user gcc libc6-dev
./mvnw -B -q -pl hypervisor-engine -DskipTests compile
guests="$root/hypervisor-engine/target/guests"
mkdir -p "$guests/download"
if [ ! -x "$guests/busybox-static/bin/busybox" ]; then
    (cd "$guests/download" && apt-get download busybox-static >/dev/null)
    dpkg-deb -x "$guests"/download/busybox-static_*.deb "$guests/busybox-static"
fi
gcc -O2 -static -o "$guests/checksum" hypervisor-engine/src/test/c/checksum.c
java -cp hypervisor-engine/target/classes bench/cpu-user/CpuUserBench.java \
    "$guests/checksum" "$guests/busybox-static/bin/busybox" "${1:-32}"
