// The TextMate grammar against the real lexer on every sample: the server's semantic tokens say where
// each keyword, comment, string, number and declared name is; from them this writes a
// vscode-tmgrammar-test file per sample (the sample plus assertion lines) and runs the tool on those
// and on the hand-written test/grammar/*.hyena.
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const cp = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { pathToFileURL } = require('url');
const { root, spawnServer } = require('./support');

const KEYWORD_SCOPES = {
  import: 'keyword.control.import.hyena',
  op: 'storage.type.op.hyena',
  block: 'storage.type.block.hyena',
  model: 'storage.type.model.hyena',
  let: 'storage.type.let.hyena',
  out: 'keyword.control.out.hyena',
  true: 'constant.language.boolean.hyena',
  false: 'constant.language.boolean.hyena',
};

/** The TextMate scope a semantic token must have, or null where the grammar is not held to one. */
function expectedScope(legend, token, text) {
  const type = legend.tokenTypes[token.type];
  const mods = legend.tokenModifiers.filter((_, i) => token.modifiers & (1 << i));
  switch (type) {
    case 'keyword': return KEYWORD_SCOPES[text] || null;
    case 'comment':
      if (mods.includes('documentation')) return 'comment.line.documentation.hyena';
      return text.startsWith('//') ? 'comment.line.double-slash.hyena' : 'comment.block.hyena';
    case 'string': return 'string.quoted.double.hyena';
    case 'number': return 'constant.numeric.hyena';
    case 'function': return mods.includes('declaration') ? 'entity.name.function.hyena' : null;
    case 'class': return mods.includes('declaration') ? 'entity.name.type.model.hyena' : null;
    default: return null;
  }
}

function decode(data) {
  const out = [];
  let line = 0;
  let char = 0;
  for (let i = 0; i < data.length; i += 5) {
    line += data[i];
    char = data[i] === 0 ? char + data[i + 1] : data[i + 1];
    out.push({ line, char, length: data[i + 2], type: data[i + 3], modifiers: data[i + 4] });
  }
  return out;
}

/** The sample with an assertion line under each source line that has tokens to check. */
function assertionFile(name, text, tokens, legend) {
  const lines = text.split('\n');
  const out = [`// SYNTAX TEST "source.hyena" "${name}: scopes from the hyenac lexer"`];
  let checks = 0;
  lines.forEach((line, n) => {
    out.push(line);
    for (const t of tokens.filter((tok) => tok.line === n)) {
      const scope = expectedScope(legend, t, line.substr(t.char, t.length));
      if (!scope) continue;
      checks++;
      // `^` marks columns from 2 on (the `//` takes 0 and 1); `<-` reaches the first characters.
      if (t.char >= 2) out.push('//' + ' '.repeat(t.char - 2) + '^'.repeat(t.length) + ' ' + scope);
      else if (t.char === 0) out.push('// <' + '-'.repeat(t.length) + ' ' + scope);
    }
  });
  return { text: out.join('\n'), checks };
}

test('the grammar agrees with the lexer on every sample', async (t) => {
  const server = spawnServer();
  t.after(() => server.kill());
  const { connection } = server;
  const init = await connection.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
  const legend = init.capabilities.semanticTokensProvider.legend;
  connection.sendNotification('initialized', {});

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hyena-grammar-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const samples = fs.readdirSync(path.join(root, 'samples')).filter((f) => f.endsWith('.hyena')).sort();
  assert.ok(samples.length > 0);
  for (const name of samples) {
    const file = path.join(root, 'samples', name);
    const text = fs.readFileSync(file, 'utf8');
    const uri = pathToFileURL(file).toString();
    connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'hyena', version: 1, text } });
    const result = await connection.sendRequest('textDocument/semanticTokens/full', { textDocument: { uri } });
    const { text: annotated, checks } = assertionFile(name, text, decode(result.data), legend);
    assert.ok(checks > 10, `${name}: only ${checks} checks`);
    fs.writeFileSync(path.join(dir, name), annotated);
  }
  await connection.sendRequest('shutdown');
  connection.sendNotification('exit');

  const tool = path.join(__dirname, '..', 'node_modules', 'vscode-tmgrammar-test', 'dist', 'unit.js');
  const grammar = path.join(__dirname, '..', 'syntaxes', 'hyena.tmLanguage.json');
  const files = [path.join(dir, '*.hyena'), path.join(__dirname, 'grammar', '*.hyena')];
  const run = cp.spawnSync(process.execPath, [tool, '-g', grammar, ...files], { encoding: 'utf8' });
  assert.strictEqual(run.status, 0, run.stdout + run.stderr);
  for (const name of samples) assert.match(run.stdout, new RegExp(name.replace('.', '\\.') + ' run successfuly'));
});
