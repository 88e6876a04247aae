#!/usr/bin/env bash
# Builds the VS Code extension: ide/vscode/hyena-lang.vsix (grammar, language configuration, client).
# With --with-server the server jar (app/target/hyenac.jar, built first if missing) goes inside it too,
# so the extension needs only a JDK 25. Without it, the extension finds the jar as its README says.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"
rm -rf server
if [ "${1:-}" = "--with-server" ]; then
  if [ ! -f "$root/app/target/hyenac.jar" ]; then
    source "$root/scripts/java-env.sh"
    (cd "$root" && mvn -q -B -ntp -pl app -am package -DskipTests)
  fi
  mkdir -p server
  cp "$root/app/target/hyenac.jar" server/hyenac.jar
fi
npm ci --no-audit --no-fund --loglevel=error
npx vsce package --skip-license --allow-missing-repository -o hyena-lang.vsix
echo "built $here/hyena-lang.vsix"
