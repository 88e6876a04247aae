#!/usr/bin/env bash
# Run HERE (the build machine): builds the jars GpuCheck and `hyenac bench` need and a small JRE into .device/
# (gitignored), for scripts/gpu-check.sh and scripts/gpu-bench.sh to run on a GPU machine that has neither Maven
# nor Java (the reference set and the peer script travel with the working tree). Extra arguments go to mvn (e.g. -Dmaven.repo.local=DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${JAVA_HOME:=/usr/lib/jvm/temurin-25-jdk-amd64}"
export JAVA_HOME MAVEN_OPTS="${MAVEN_OPTS:---sun-misc-unsafe-memory-access=allow}"

# package the reactor modules and list the class path (siblings resolve to their target/ jars, the rest to ~/.m2)
mvn -q -B -ntp -pl conformance,bench -am package -DskipTests dependency:build-classpath \
    -Dmdep.outputFile=target/gpu-classpath.txt -Dmdep.includeScope=runtime "$@"
rm -rf .device && mkdir -p .device/lib
cp conformance/target/hyenac-conformance-*.jar bench/target/hyenac-bench-*.jar .device/lib/
# each list is one line of colon-separated paths without a final newline
{ tr ':' '\n' < conformance/target/gpu-classpath.txt; echo; tr ':' '\n' < bench/target/gpu-classpath.txt; echo; } | sort -u \
    | grep -v -e junit -e opentest4j -e apiguardian | while read -r jar; do
    [ -n "$jar" ] && cp "$jar" .device/lib/
done

# the JRE: java.base for the executor and FFM, the Vector API for the CPU reference kernels
"$JAVA_HOME/bin/jlink" --add-modules java.base,jdk.incubator.vector --strip-debug --no-header-files --no-man-pages \
    --compress=zip-9 --output .device/jre
tar -C .device -cJf .device/jre.tar.xz jre && rm -rf .device/jre

du -sh .device
