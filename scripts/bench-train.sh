#!/usr/bin/env bash
# The architecture-design table: multi-query associative recall trained on the CPU at one time budget for three designs,
# the small StripedHyena 2 (bench/specs/mqar-sh2.hyena), it with its Hyena layers replaced by attention
# (mqar-attention.hyena) and with Hyena-SE only (mqar-se.hyena); one after another, each a fresh `hyenac train`.
# Writes bench/results/train-mqar-cpu.json (the machine named) and prints the README's table.
# Usage: scripts/bench-train.sh [--minutes M (10)] [--runs DIR (a temporary one)]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/java-env.sh"
cd "$root"
minutes=10
runs=""
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    *) echo "bench-train: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$runs" ] || runs="$(mktemp -d)"
mkdir -p "$runs"
mvn -q -B -ntp -pl app,bench -am package -DskipTests
# MQAR with 64 keys and values, 8 pairs then 8 queries per sequence of 32 (every place used); the step count is what the
# StripedHyena 2 finishes inside the budget on a 2-core machine; slower designs stop at the budget (--max-minutes).
settings=(--task mqar --task-keys 64 --task-pairs 8 --seq-len 32 --batch 32 --steps 3000 --lr 3e-3 --warmup 100
          --eval-every 100 --eval-samples 512 --seed 0 --max-minutes "$minutes")
designs=()
for design in sh2 attention se; do
  rm -rf "${runs:?}/$design"
  cut -d' ' -f1 /proc/loadavg > "$runs/$design.load" # other work on a shared machine slows a run: say how much there was
  start=$(date +%s.%N)
  ./hyenac train "bench/specs/mqar-$design.hyena" "${settings[@]}" --out "$runs/$design" 2> "$runs/$design.stderr"
  awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN { print a - b }' > "$runs/$design.wall"
  cut -d' ' -f1 /proc/loadavg >> "$runs/$design.load"
  tail -n 3 "$runs/$design.stderr" >&2
  designs+=("$design=bench/specs/mqar-$design.hyena")
done
"$JAVA" -cp "bench/target/classes:app/target/hyenac.jar" hyenac.bench.TrainReport bench/results/train-mqar-cpu.json "$runs" \
  "${settings[*]}" "${designs[@]}"
echo "runs (logs, loss.svg, checkpoints): $runs" >&2
