// The VS Code side: starts `java -jar hyenac.jar lsp` and connects VS Code's language client to it.
'use strict';

const fs = require('fs');
const path = require('path');
const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client;

/** The java executable: the setting, then $JAVA_HOME, then `java` on PATH. */
function javaExecutable(config) {
  const exe = process.platform === 'win32' ? 'java.exe' : 'java';
  const home = config.get('server.javaHome') || process.env.JAVA_HOME;
  return home ? path.join(home, 'bin', exe) : exe;
}

/** hyenac.jar: the setting, then a copy inside the extension, then a build in an open workspace folder. */
function serverJar(config, context) {
  const candidates = [];
  const configured = config.get('server.jar');
  if (configured) candidates.push(configured);
  candidates.push(context.asAbsolutePath(path.join('server', 'hyenac.jar')));
  for (const folder of vscode.workspace.workspaceFolders || []) {
    candidates.push(path.join(folder.uri.fsPath, 'app', 'target', 'hyenac.jar'));
  }
  return candidates.find((c) => fs.existsSync(c));
}

async function start(context) {
  const config = vscode.workspace.getConfiguration('hyena');
  const jar = serverJar(config, context);
  if (!jar) {
    vscode.window.showErrorMessage(
      'Hyena: cannot find hyenac.jar. Build it with `mvn -pl app -am package -DskipTests` ' +
        'in the hyenac checkout, or set `hyena.server.jar`.');
    return;
  }
  const args = [...config.get('server.vmArgs', []), '-jar', jar, 'lsp',
    '--debounce-ms', String(config.get('server.debounceMs', 150))];
  const run = { command: javaExecutable(config), args, transport: TransportKind.stdio };
  client = new LanguageClient('hyena', 'Hyena', { run, debug: run }, {
    documentSelector: [{ language: 'hyena' }],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher('**/*.hyena') },
  });
  await client.start();
}

async function activate(context) {
  context.subscriptions.push(vscode.commands.registerCommand('hyena.restartServer', async () => {
    if (client) await client.stop();
    client = undefined;
    await start(context);
  }));
  context.subscriptions.push(vscode.workspace.onDidChangeConfiguration(async (e) => {
    if (e.affectsConfiguration('hyena.server')) await vscode.commands.executeCommand('hyena.restartServer');
  }));
  await start(context);
}

async function deactivate() {
  if (client) await client.stop();
}

module.exports = { activate, deactivate };
