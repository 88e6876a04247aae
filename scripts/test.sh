#!/usr/bin/env bash
# Runs the whole test suite from a fresh checkout: finds JDK 25, builds every module, runs all tests.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/java-env.sh"
cd "$root"
mvn -B -ntp verify "$@"
