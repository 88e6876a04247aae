// Starting the server and talking to it with vscode-languageserver-protocol.
'use strict';

const cp = require('child_process');
const path = require('path');
const { createProtocolConnection, StreamMessageReader, StreamMessageWriter } = require('vscode-languageserver-protocol/node');

const root = path.resolve(__dirname, '..', '..', '..');

function sample(name) {
  return path.join(root, 'samples', name);
}

function serverCommand() {
  const jar = process.env.HYENAC_JAR || path.join(root, 'app', 'target', 'hyenac.jar');
  const java = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  return { java, args: ['-Xss16m', '-XX:+UseSerialGC', '-jar', jar, 'lsp', '--debounce-ms', '0'] };
}

/** Spawns `hyenac lsp`; diagnostics(uri, version) resolves with that version's published diagnostics. */
function spawnServer() {
  const { java, args } = serverCommand();
  const child = cp.spawn(java, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const connection = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  const published = [];
  const waiters = [];
  connection.onNotification('textDocument/publishDiagnostics', (p) => {
    published.push(p);
    for (const w of waiters.splice(0)) w();
  });
  connection.listen();
  let gone = null;
  const exited = new Promise((resolve) => child.on('exit', (code) => {
    gone = new Error(`the server exited with code ${code}`);
    for (const w of waiters.splice(0)) w();
    resolve(code);
  }));
  function diagnostics(uri, version, timeoutMs = 30000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no diagnostics for ${uri} v${version}`)), timeoutMs);
      const check = () => {
        const hit = published.find((p) => p.uri === uri && p.version === version);
        if (hit) {
          clearTimeout(timer);
          resolve(hit.diagnostics);
        } else if (gone) {
          clearTimeout(timer);
          reject(gone);
        } else {
          waiters.push(check);
        }
      };
      check();
    });
  }
  return { connection, diagnostics, exited, kill: () => { connection.dispose(); child.kill(); } };
}

/** The LSP position (UTF-16 units, as JS strings count) of the first occurrence of a needle. */
function positionOf(text, needle) {
  const i = text.indexOf(needle);
  if (i < 0) throw new Error(`not found: ${needle}`);
  const before = text.slice(0, i);
  const line = before.split('\n').length - 1;
  return { line, character: i - (before.lastIndexOf('\n') + 1) };
}

module.exports = { root, sample, spawnServer, positionOf };
