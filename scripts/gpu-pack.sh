#!/usr/bin/env bash
# Run HERE (the build machine): builds the jar GpuCheck and `hyenac bench` need and a small JRE into .device/
# (gitignored), for scripts/gpu-check.sh and scripts/gpu-bench.sh to run on a GPU machine that has neither Maven
# nor Java (the reference set and the peer script travel with the working tree). Extra arguments go to mvn (e.g. -Dmaven.repo.local=DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${JAVA_HOME:=/usr/lib/jvm/temurin-25-jdk-amd64}"
export JAVA_HOME MAVEN_OPTS="${MAVEN_OPTS:---sun-misc-unsafe-memory-access=allow}"

# the shaded application jar holds every module and library: GpuCheck (conformance), `hyenac bench` and the
# command line (hyenac.cli.Main, in app) that gpu-bench.sh runs
mvn -q -B -ntp -pl app -am package -DskipTests "$@"
rm -rf .device && mkdir -p .device/lib
cp app/target/hyenac.jar .device/lib/

# the JRE: java.base for the executor and FFM, the Vector API for the CPU reference kernels, java.logging for
# SnakeYAML (the importer, which the vortex checks run)
"$JAVA_HOME/bin/jlink" --add-modules java.base,java.logging,jdk.incubator.vector --strip-debug --no-header-files --no-man-pages \
    --compress=zip-9 --output .device/jre
tar -C .device -cJf .device/jre.tar.xz jre && rm -rf .device/jre

du -sh .device
