#!/usr/bin/env bash
# Runs Corral's whole test suite: unit tests, and integration tests (*IT) against a real PostgreSQL server and
# a real Kafka broker that the tests start themselves.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
# shellcheck source=../lib/java.sh
source deploy/lib/java.sh
# shellcheck source=../lib/prerequisites.sh
source deploy/lib/prerequisites.sh
# gcc and the static C library: the software CPU's differential harness and test programs are C built by the tests.
# binutils: the test guests are assembled from source (deploy/guests). QEMU (qemu-system-x86, qemu-utils) is the
# oracle the engine's differential tests compare against and the judge of the disk images Corral writes; iasl
# (acpica-tools) disassembles the ACPI tables Corral generates.
corral_require_packages gcc libc6-dev binutils qemu-system-x86 qemu-utils acpica-tools
# runc and busybox-static: the container tests run busybox containers with real runc (node-agent, e2e-tests).
corral_require_packages runc busybox-static
# The engine's tests fetch real guests (busybox-static, the Debian cloud kernel) with apt-get download.
corral_require_package_lists
exec ./mvnw -B verify "$@"
