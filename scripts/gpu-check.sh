#!/usr/bin/env bash
# Run on the GPU machine (no Maven, no Java): unpacks the JRE that scripts/gpu-pack.sh put in .device/ and
# runs hyenac.conformance.GpuCheck (CUDA executor vs the CPU executor, then the vortex set on cuda).
# Extra arguments go to GpuCheck (--samples DIR, --vortex DIR, --precision fp32|bf16|both, --only score: just the checks of
# hyenac score and embed); $HYENAC_JAVA_OPTS to the JVM, e.g. HYENAC_JAVA_OPTS=-Dhyenac.algorithm=scan to check the modal
# scan wherever it is offered.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/device-jre.sh
read -r -a options <<< "${HYENAC_JAVA_OPTS:-}"
exec "$jre/jre/bin/java" -Xss8m --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector ${options[@]+"${options[@]}"} \
    -cp "$cp" hyenac.conformance.GpuCheck "$@"
