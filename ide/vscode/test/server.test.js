// Speaks to `java -jar app/target/hyenac.jar lsp` over stdio with the protocol library VS Code's
// client is built on, and checks diagnostics, completion and hover on a sample.
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const path = require('path');
const { pathToFileURL } = require('url');
const { spawnServer, sample, positionOf } = require('./support');

test('diagnostics, completion and hover over stdio', async (t) => {
  const server = spawnServer();
  t.after(() => server.kill());
  const { connection, diagnostics } = server;

  const init = await connection.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
  assert.strictEqual(init.serverInfo.name, 'hyenac');
  assert.ok(init.capabilities.completionProvider);
  connection.sendNotification('initialized', {});

  const file = sample('evo2-7b.hyena');
  const uri = pathToFileURL(file).toString();
  const good = fs.readFileSync(file, 'utf8');
  const broken = good.replace('groups = g)\n  op mr', 'grops = g)\n  op mr');
  connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'hyena', version: 1, text: broken } });
  const first = await diagnostics(uri, 1);
  const typo = first.find((d) => d.code === 'HY0203');
  assert.ok(typo, JSON.stringify(first));
  assert.strictEqual(typo.source, 'hyenac');
  assert.strictEqual(typo.severity, 1);
  assert.deepStrictEqual(typo.range.start, positionOf(broken, 'grops'));
  assert.match(typo.message, /did you mean `groups`/);

  connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: good }] });
  assert.deepStrictEqual(await diagnostics(uri, 2), []);

  const at = positionOf(good, 'hyena_li(');
  const completion = await connection.sendRequest('textDocument/completion', {
    textDocument: { uri }, position: { line: at.line, character: at.character + 'hyena_li('.length } });
  const items = Array.isArray(completion) ? completion : completion.items;
  const modes = items.find((i) => i.label === 'modes');
  assert.ok(modes, JSON.stringify(items.map((i) => i.label)));
  assert.strictEqual(modes.detail, 'modes: int = 16');

  const hover = await connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: at.line, character: at.character + 2 } });
  assert.match(hover.contents.value, /op hyena_li\(modes: int = 16\) \(x\)/);
  assert.match(hover.contents.value, /\*\*9 layers\*\* of `evo2_7b`/);

  await connection.sendRequest('shutdown');
  connection.sendNotification('exit');
  assert.strictEqual(await server.exited, 0);
});
