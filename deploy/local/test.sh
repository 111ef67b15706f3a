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
exec ./mvnw -B verify "$@"
