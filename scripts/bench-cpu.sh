#!/usr/bin/env bash
# Benchmarks generation on the CPU backend: prefill and decode tokens/s of sh2-tiny and the width-256
# StripedHyena 2 (bench/specs/sh2-d256.hyena) for 256- and 1024-token prompts, 64 decoded tokens,
# medians after warm-up; writes JSON to bench/results/cpu-<host>.json.
# Usage: scripts/bench-cpu.sh [--runs N] [--warmup N] [--decode N] [--prompts 256,1024] [SPEC...]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/java-env.sh"
cd "$root"
mvn -q -B -ntp -pl app,bench -am package -DskipTests
# The full JIT (not the launcher's quick-start C1 setting): this measures the kernels, not start-up.
"$JAVA" -cp "bench/target/classes:app/target/hyenac.jar" hyenac.bench.CpuGenerateBench "bench/results/cpu-$(hostname).json" "$@"
