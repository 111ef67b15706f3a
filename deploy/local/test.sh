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
exec ./mvnw -B verify "$@"
