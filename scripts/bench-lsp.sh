#!/usr/bin/env bash
# Benchmarks the language server: didChange -> publishDiagnostics on the Evo 2 40B sample (median of
# RUNS edits over JSON-RPC); writes JSON to bench/results/lsp-<host>.json. Usage: scripts/bench-lsp.sh [SPEC] [RUNS]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/java-env.sh"
cd "$root"
spec="${1:-samples/evo2-40b.hyena}"
runs="${2:-200}"
mvn -q -B -ntp -pl app -am package -DskipTests
# The same JVM flags as the editor extension starts the server with.
"$JAVA" -Xss16m -XX:+UseSerialGC -cp app/target/hyenac.jar hyenac.ide.LspBenchmark "$spec" "$runs" "bench/results/lsp-$(hostname).json"
