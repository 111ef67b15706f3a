#!/usr/bin/env bash
# bench/disk-image: 4 KiB requests at queue depth 1 through Corral's qcow2 (Qcow2Image, in the JVM) against QEMU's
# qcow2 driver (qemu-img bench, page cache on both sides), on fresh 64 KiB-cluster images of the same size, same run:
# sequential writes (allocating) and reads, strided "random" writes and reads.
# Usage: bench/disk-image/run.sh [requests, default 65536 = 256 MiB]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
source deploy/lib/java.sh
source deploy/lib/prerequisites.sh
corral_require_packages qemu-utils bc
./mvnw -B -q -pl hypervisor-engine -DskipTests compile
count="${1:-65536}"
size=$((count * 4096))
# 2053 is odd, so i * stride mod size visits every 4 KiB block once, out of order.
stride=$((4096 * 2053))
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

declare -A qemu corral
for pattern in seq rand; do
    image="$work/qemu-$pattern.qcow2"
    qemu-img create -q -f qcow2 "$image" "$size"
    step=4096
    [ "$pattern" = rand ] && step=$stride
    for mode in write read; do
        flag=""
        # Both sides flush once at the end of a write phase, inside the timing.
        [ "$mode" = write ] && flag="-w --flush-interval=$count"
        seconds="$(qemu-img bench $flag -c "$count" -d 1 -s 4096 -S "$step" -t writeback -f qcow2 "$image" \
            | sed -n 's/^Run completed in \([0-9.]*\) seconds.*/\1/p')"
        qemu["$pattern-$mode"]="$seconds"
    done
done
while read -r phase seconds; do
    corral["$phase"]="$seconds"
done < <(java --enable-native-access=ALL-UNNAMED -cp hypervisor-engine/target/classes bench/disk-image/DiskImageBench.java \
    "$work" "$count" "$stride")

echo "cores: $(nproc); $count requests of 4 KiB ($((size >> 20)) MiB) per phase, queue depth 1"
printf '%-11s %12s %12s %8s\n' phase "corral IOPS" "qemu IOPS" ratio
product=1
for phase in seq-write seq-read rand-write rand-read; do
    c=$(echo "$count / ${corral[$phase]}" | bc -l)
    q=$(echo "$count / ${qemu[$phase]}" | bc -l)
    r=$(echo "$c / $q" | bc -l)
    product=$(echo "$product * $r" | bc -l)
    printf '%-11s %12.0f %12.0f %8.2f\n' "$phase" "$c" "$q" "$r"
done
printf 'disk-image corral/qemu-img = %.2f\n' "$(echo "e(l($product) / 4)" | bc -l)"
