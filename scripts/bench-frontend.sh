#!/usr/bin/env bash
# Benchmarks check + explain on the Evo 2 40B sample (warm JVM and cold process); writes JSON to
# bench/results/frontend-<host>.json. Usage: scripts/bench-frontend.sh [SPEC]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/java-env.sh"
cd "$root"
spec="${1:-samples/evo2-40b.hyena}"
mvn -q -B -ntp -pl app,bench -am package -DskipTests
# The shaded CLI jar carries the front end and Gson; the harness classes sit beside it.
"$JAVA" -cp "bench/target/classes:app/target/hyenac.jar" hyenac.bench.FrontendBench "$spec" app/target/hyenac.jar "bench/results/frontend-$(hostname).json"
