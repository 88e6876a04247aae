# Sourced by the launcher and the scripts: sets JAVA_HOME and JAVA to a JDK >= 25.
# Order: $JAVA_HOME if it is new enough, then /usr/lib/jvm/*, then `java` on PATH.
java_major() { "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -1; }
find_jdk() {
  local candidates=()
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  for d in /usr/lib/jvm/* /opt/java/* /opt/jdk*; do [ -d "$d" ] && candidates+=("$d"); done
  if command -v java >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  local c v
  for c in "${candidates[@]}"; do
    [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ] || continue
    v="$(java_major "$c/bin/java")"
    if [ -n "$v" ] && [ "${v%%.*}" -ge 25 ] 2>/dev/null; then echo "$c"; return 0; fi
  done
  return 1
}
if ! JAVA_HOME="$(find_jdk)"; then
  echo "hyenac: needs a JDK 25 or newer; none found in \$JAVA_HOME, /usr/lib/jvm or on PATH." >&2
  echo "        Install one (e.g. Temurin 25) and set JAVA_HOME to it." >&2
  exit 2
fi
export JAVA_HOME
JAVA="$JAVA_HOME/bin/java"
export JAVA
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"

# The JVM options the launcher runs with: -Xmx from the memory free now, so a big model can use the machine (the
# JVM's own default is a quarter of RAM), then $HYENAC_JAVA_OPTS, whose -Xmx (or -XX:MaxRAM…) replaces ours.
# Ours: 85% of MemAvailable (MemTotal on kernels without it), under a cgroup memory limit when one is set, at
# least 512 MiB; none where /proc/meminfo cannot be read (the JVM's default then). Arguments, for tests: the
# meminfo and cgroup files to read.
heap_options() {
  local meminfo="${1:-/proc/meminfo}" cgroup="${2:-/sys/fs/cgroup/memory.max}" kb limit mib
  local -a user=()
  read -r -a user <<< "${HYENAC_JAVA_OPTS:-}"
  case " ${HYENAC_JAVA_OPTS:-} " in
    *" -Xmx"* | *"-XX:MaxRAM"*) ;;
    *)
      kb="$(awk '$1 == "MemAvailable:" { print $2; exit }' "$meminfo" 2>/dev/null || true)"
      [ -n "$kb" ] || kb="$(awk '$1 == "MemTotal:" { print $2; exit }' "$meminfo" 2>/dev/null || true)"
      if [ -n "$kb" ]; then
        limit="$(cat "$cgroup" 2>/dev/null || true)"
        if [[ "$limit" =~ ^[0-9]+$ ]] && [ $((limit / 1024)) -lt "$kb" ]; then kb=$((limit / 1024)); fi
        mib=$((kb * 85 / 100 / 1024))
        [ "$mib" -ge 512 ] || mib=512
        echo "-Xmx${mib}m"
      fi ;;
  esac
  [ ${#user[@]} -eq 0 ] || printf '%s\n' "${user[@]}"
}
