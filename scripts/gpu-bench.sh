#!/usr/bin/env bash
# Run on the GPU machine (no Maven, no Java), after scripts/gpu-pack.sh here: `hyenac bench` for the Evo 2 7B
# sample (bf16, random weights: forward pass at L = 8192, then 64 decode steps after a 1024-token prompt) and for
# the operator points peer_baselines.py covers (copy, se, mr, li, attention at B = 1, D = 4096), then the PyTorch
# peer baselines on the same points and GPU, then our/peer ratios. Everything goes under $OUT (set by the device
# tool; default bench/results/), each step's output in gpu-bench.log. Fits one 10-minute call: every step has a
# time limit, a step that fails or runs out of time does not stop the others, and hyenac bench rewrites its JSON
# after every point, so a step cut short keeps what it measured.
#
# Usage: scripts/gpu-bench.sh [--smoke]    (--smoke: one short shape and few repetitions, to check the plumbing)
# Environment: SHAPES (Hyena operators and copy), ATTENTION_SHAPES, SPEC (defaults below); TARGET=cpu WIDTH=64
# SPEC=samples/sh2-tiny.hyena with --smoke try the plumbing on a machine without a GPU.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-bench/results}"
mkdir -p "$out"
log="$out/gpu-bench.log"
: > "$log"

source scripts/device-jre.sh

spec="${SPEC:-samples/evo2-7b.hyena}"
shapes="${SHAPES:-1x8192,1x16384,1x32768,1x65536}"
attention_shapes="${ATTENTION_SHAPES:-1x8192,1x16384}"
model=(--prefill 8192 --decode 64 --prompt 1024)
quick=()
peer=()
if [ "${1:-}" = "--smoke" ]; then
    shapes=1x2048 attention_shapes=1x2048
    model=(--prefill 512 --decode 8 --prompt 64)
    quick=(--quick --reps 5 --warmup 1)
    peer=(--smoke)
fi
# the 7B's random weights take 13 GB on the host in bf16; room for its activations besides
hyenac=("$jre/jre/bin/java" -Xmx64g -Xss16m --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -cp "$cp" hyenac.cli.Main)
where=(--target "${TARGET:-cuda}" --width "${WIDTH:-4096}")
[ "${TARGET:-cuda}" = cpu ] && where+=(--precision fp32)

# step NAME SECONDS COMMAND...: runs with a time limit, appends to the log, never stops the script
step() {
    local name=$1 limit=$2
    shift 2
    echo "== $name (limit ${limit} s, at ${SECONDS} s)" | tee -a "$log"
    timeout --kill-after=10 "$limit" "$@" 2>&1 | tee -a "$log"
    echo "== $name: exit ${PIPESTATUS[0]} at ${SECONDS} s" | tee -a "$log"
}

{ nvidia-smi || true; } 2>&1 | tee -a "$log"
step "hyenac bench: copy, se, mr, li" 120 "${hyenac[@]}" bench "${where[@]}" --op copy,se,mr,li --shapes "$shapes" --time-budget 90 \
    ${quick[@]+"${quick[@]}"} --json "$out/hyenac-ops.json"
step "hyenac bench: attention" 90 "${hyenac[@]}" bench "${where[@]}" --op attention --shapes "$attention_shapes" --time-budget 40 \
    ${quick[@]+"${quick[@]}"} --json "$out/hyenac-attention.json"
# the peer runs every operator at each shape: the union of ours
peer_shapes=$(echo "$shapes,$attention_shapes" | tr ',' '\n' | awk '!seen[$0]++' | paste -sd, -)
step "peer_baselines.py" 160 python3 bench/peer/peer_baselines.py --ops copy,se,mr,li,attention --shapes "$peer_shapes" \
    --D "${WIDTH:-4096}" --time-budget 110 ${peer[@]+"${peer[@]}"} --json "$out/peer.json" --markdown "$out/peer.md"
ours=()
for f in "$out/hyenac-ops.json" "$out/hyenac-attention.json"; do [ -f "$f" ] && ours+=("$f"); done
if [ ${#ours[@]} -gt 0 ] && [ -f "$out/peer.json" ]; then
    step "our/peer ratios" 60 "${hyenac[@]}" bench compare "${ours[@]}" "$out/peer.json" --markdown "$out/compare.md" \
        --json "$out/compare.json" --cores "$out/conv-cores.json"
else
    echo "== our/peer ratios: skipped (no results from one side)" | tee -a "$log"
fi
# the model last, with what is left of the 10 minutes (making and uploading its weights alone takes a while)
left=$((575 - SECONDS))
step "hyenac bench: $spec" "$((left > 60 ? left : 60))" "${hyenac[@]}" bench "$spec" --target "${TARGET:-cuda}" --precision "$([ "${TARGET:-cuda}" = cpu ] && echo fp32 || echo bf16)" "${model[@]}" \
    --profile ${quick[@]+"${quick[@]}"} --json "$out/hyenac-$(basename "$spec" .hyena).json"
echo "total ${SECONDS} s; results in $out" | tee -a "$log"
