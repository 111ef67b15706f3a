#!/usr/bin/env bash
# bench/vmm-start: VM start (to the ticker guest's first console line) and host memory per idle VM, for Corral under
# KVM and on its software CPU, against QEMU -M microvm with the same guest, in one run. Ratios last.
# Usage: bench/vmm-start/run.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
source deploy/lib/java.sh
source deploy/lib/prerequisites.sh
corral_require_packages qemu-system-x86 binutils
./mvnw -B -q -pl hypervisor-engine -DskipTests package
guests="$root/hypervisor-engine/target/guests"
sh deploy/guests/ticker/build.sh "$guests/ticker/ticker"
java --enable-native-access=ALL-UNNAMED -cp hypervisor-engine/target/classes bench/vmm-start/VmmStartBench.java \
    "$guests/ticker/ticker" hypervisor-engine/bin/corral-vmm
