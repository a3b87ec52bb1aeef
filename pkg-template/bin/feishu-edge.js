#!/usr/bin/env node
// The package's command: `feishu-edge dev --forward <url>` (the local bridge, bin/dev.js) and
// `feishu-edge emulator` (the loopback Open Platform as a process, bin/emulator.js).
const USAGE = `usage: feishu-edge <command>

  dev --forward <url> [--card <url>]   forward your app's events and card callbacks from the
                                       long connection to a local server (feishu-edge dev --help)
  emulator [--port <n>] …              run the loopback Open Platform emulator for tests and
                                       manual runs (feishu-edge emulator --help)`;

const command = process.argv[2];
if (command === 'dev') await import('./dev.js');
else if (command === 'emulator') await import('./emulator.js');
else {
  const help = command === '--help' || command === '-h' || command === 'help';
  (help ? console.log : console.error)(command && !help ? `unknown command ${JSON.stringify(command.slice(0, 40))}\n\n${USAGE}` : USAGE);
  process.exit(help ? 0 : 2);
}
