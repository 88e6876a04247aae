#!/usr/bin/env bash
# The IDE checks that need Node (CI calls this after scripts/test.sh, which builds the jar):
# builds the .vsix (npm ci + vsce), checks what it holds, then runs the Node tests: the server over
# stdio through vscode-languageserver-protocol, and the TextMate grammar on every sample.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/java-env.sh"
cd "$root"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "ide/test.sh: needs Node 20+ and npm" >&2
  exit 2
fi
if [ ! -f app/target/hyenac.jar ]; then
  mvn -q -B -ntp -pl app -am package -DskipTests
fi
export HYENAC_JAR="$root/app/target/hyenac.jar"

cd ide/vscode
./build.sh
# The package must hold the grammar, the client, its runtime dependency and the instructions for the jar.
node -e '
const fs = require("fs");
const buf = fs.readFileSync("hyena-lang.vsix");
// Entry names from the zip central directory (signature 0x02014b50).
const names = [];
for (let i = buf.length - 22; i >= 0; i--) {
  if (buf.readUInt32LE(i) !== 0x06054b50) continue;
  let p = buf.readUInt32LE(i + 16);
  const n = buf.readUInt16LE(i + 10);
  for (let k = 0; k < n; k++) {
    const len = buf.readUInt16LE(p + 28), extra = buf.readUInt16LE(p + 30), comment = buf.readUInt16LE(p + 32);
    names.push(buf.toString("utf8", p + 46, p + 46 + len));
    p += 46 + len + extra + comment;
  }
  break;
}
const need = ["extension/package.json", "extension/syntaxes/hyena.tmLanguage.json", "extension/language-configuration.json",
  "extension/client/extension.js", "extension/node_modules/vscode-languageclient/package.json", "extension/readme.md"];
const missing = need.filter((n) => !names.some((m) => m.toLowerCase() === n.toLowerCase()));
if (missing.length) { console.error("the .vsix lacks: " + missing.join(", ")); process.exit(1); }
console.log("hyena-lang.vsix: " + names.length + " files, grammar, client and server instructions present");
'
npm test
