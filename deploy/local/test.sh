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
corral_require_packages gcc libc6-dev
# The engine's tests fetch real guests (busybox-static, the Debian cloud kernel) with apt-get download, which needs
# the package lists.
if ! apt-cache show busybox-static linux-image-cloud-amd64 >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
    else
        echo "corral: the package lists are missing; run: sudo apt-get update" >&2
        exit 1
    fi
fi
exec ./mvnw -B verify "$@"
