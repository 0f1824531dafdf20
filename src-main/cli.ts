// `allot` command line. Built into out/main/cli.js next to the sampler worker and run by bin/allot.mjs.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startCoreHost } from './core/host';
import { defaultDataDir, defaultSocketPath } from './core/paths';
import { readFileSync } from 'node:fs';
import { parseTokensFile, startAgent, type AgentToken } from './agent/server';
import { ADMIN_USAGE, adminCommand } from './tools/admin-cli';
import { DATA_USAGE, dataCommand } from './tools/data-cli';
import { simulateCommand } from './tools/simulate';
import type { Settings } from '../src-shared/settings';
import pkg from '../package.json';
import { errorMessage } from '../src-shared/errors';

const here = dirname(fileURLToPath(import.meta.url));

const USAGE = `Usage: allot <command> [options]

Commands:
  serve [--host ADDRESS] [--port N] [--interval-ms 1000] [--allow-host NAME]... [--data-dir DIR] [--tokens FILE]
        Run the monitor headless and serve the UI and the API on http://HOST:PORT/?token=...
        (address and port default to the agent settings: 127.0.0.1:7420 unless changed)
        (prints an operator and a viewer URL; --tokens: a JSON array of {name, role, token})
${ADMIN_USAGE}
${DATA_USAGE}
  simulate <trace.jsonl | scenario:NAME> [--policy rules.json] [--mode off|advise|auto] [--seconds N] [--seed N] [--json]
        replay a recorded trace or a synthetic scenario through a policy on a model machine and
        compare per-tier latency, throughput and actions with the engine off
  help  Show this text.`;

export function workerUrl(): URL {
  return new URL(import.meta.url.endsWith('.ts') ? './core/core-worker.ts' : './core-worker.js', import.meta.url);
}

function fail(message: string): never {
  process.stderr.write(`allot: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function intOption(value: string | undefined, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) fail(`--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return n;
}

async function serve(argv: string[]): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        'interval-ms': { type: 'string' },
        'allow-host': { type: 'string', multiple: true },
        tokens: { type: 'string' },
        'data-dir': { type: 'string' },
        'no-admin-socket': { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  // Flags win; otherwise the agent settings (Settings view) decide port and address.
  const portFlag = values.port === undefined ? undefined : intOption(values.port, 'port', 0, 65535, 7420);
  const intervalMs = intOption(values['interval-ms'], 'interval-ms', 250, 10_000, 1000);
  let tokens: AgentToken[] | undefined;
  if (values.tokens) {
    try {
      tokens = parseTokensFile(readFileSync(values.tokens, 'utf8'));
    } catch (error) {
      fail(`--tokens ${values.tokens}: ${(error as Error).message}`);
    }
  }
  let agent: Awaited<ReturnType<typeof startAgent>> | undefined;
  let stopping = false;
  const core = startCoreHost(
    workerUrl(),
    {
      dataDir: values['data-dir'] ?? defaultDataDir(),
      runtime: 'node',
      version: pkg.version,
      ...(values['interval-ms'] !== undefined ? { intervalMs } : {}),
      selfPids: [process.pid],
      adminSocketPath: values['no-admin-socket'] ? null : defaultSocketPath(),
    },
    undefined,
    (code) => {
      // Without its core the agent would only answer errors: stop, and say so.
      if (stopping) return;
      process.stderr.write(`allot: the core stopped unexpectedly (code ${code}); exiting\n`);
      void (agent?.close() ?? Promise.resolve()).finally(() => process.exit(1));
    },
  );
  // Signals from now on restore every change before exiting, even during start-up.
  const shutdown = async (code = 0): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await agent?.close();
    await core.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
  let adminSocketPath: string | null;
  try {
    ({ adminSocketPath } = await core.ready);
    const stored = await core.handle('settings.get', {});
    const agentSettings = stored.ok ? (stored.value as Settings).agent : undefined;
    agent = await startAgent({
      core,
      staticDir: join(here, '../renderer'),
      host: values.host ?? agentSettings?.bindAddress ?? '127.0.0.1',
      port: portFlag ?? agentSettings?.port ?? 7420,
      allowHosts: values['allow-host'] ?? [],
      ...(tokens ? { tokens } : {}),
    });
  } catch (error) {
    process.stderr.write(`allot: could not start: ${(error as Error).message}\n`);
    await shutdown(1);
    return;
  }
  process.stdout.write(`Allot ${pkg.version} serving on ${agent.url}\n`);
  if (agent.viewerUrl) process.stdout.write(`Read-only (viewer): ${agent.viewerUrl}\n`);
  if (adminSocketPath) process.stdout.write(`Admin socket: ${adminSocketPath}\n`);
}

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'apply':
    case 'changes':
    case 'undo':
    case 'restore':
      process.exitCode = await adminCommand(command, rest);
      return;
    case 'export':
    case 'record':
    case 'backtest':
      process.exitCode = await dataCommand(command, rest);
      return;
    case 'simulate':
      process.exitCode = await simulateCommand(rest);
      return;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return;
    default:
      fail(`unknown command ${JSON.stringify(command)}`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`allot: ${errorMessage(error)}\n`);
  process.exit(1);
});
