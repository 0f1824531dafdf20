// `allot` command line. Built into out/main/cli.js next to the sampler worker and run by bin/allot.mjs.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startCoreHost } from './core/host';
import { InstanceLockedError, instanceLockOwner } from './core/instance-lock';
import { defaultDataDir, defaultSocketPath, legacyDesktopDataDir, migrateDataDir } from './core/paths';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { openDb } from './store/db';
import { readStoredSettings } from './store/settings';
import { loadOrCreateTokens, parseTokensFile, startAgent, type AgentToken } from './agent/server';
import { ADMIN_USAGE, adminCommand } from './tools/admin-cli';
import { DATA_USAGE, dataCommand } from './tools/data-cli';
import { simulateCommand } from './tools/simulate';
import { DEFAULT_SETTINGS, type Settings } from '../src-shared/settings';
import pkg from '../package.json';
import { errorMessage } from '../src-shared/errors';

const here = dirname(fileURLToPath(import.meta.url));

const USAGE = `Usage: allot <command> [options]

Commands:
  serve [--host ADDRESS] [--port N] [--interval-ms 1000] [--mode off|advise|auto] [--allow-host NAME]... [--data-dir DIR] [--tokens FILE | --new-tokens]
        Run the monitor headless and serve the UI and the API on http://HOST:PORT/?token=...
        (address and port default to the agent settings: 127.0.0.1:7420 unless changed)
        (prints an operator and a viewer URL; their tokens are kept in DIR/agent-tokens.json (0600)
        across restarts, --new-tokens replaces them; --tokens: a JSON array of {name, role, token})
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

/** The stored agent settings (address, port) without starting a core; defaults if none are stored. */
function storedAgentSettings(dataDir: string): Settings['agent'] {
  const path = join(dataDir, 'allot.db');
  if (!existsSync(path)) return DEFAULT_SETTINGS.agent;
  try {
    const db = openDb({ path, readonly: true });
    try {
      return readStoredSettings(db).agent;
    } finally {
      db.close();
    }
  } catch {
    return DEFAULT_SETTINGS.agent; // unreadable here: the core will say why when it opens it
  }
}

/**
 * Whether HOST:PORT can be bound, tried before the core starts (which restores, samples and may act):
 * a port in use is a sentence saying what to do, not a raw EADDRINUSE after start-up.
 */
export async function checkListen(host: string, port: number): Promise<string | undefined> {
  if (port === 0) return undefined;
  return new Promise((resolvePromise) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
      if (error.code === 'EADDRINUSE') {
        resolvePromise(
          `${where} is already in use (another \`allot serve\` or another program). ` +
            'Stop that program, or pick a free port with --port N (or change it in Settings → Agent; --port 0 picks any free port).',
        );
      } else if (error.code === 'EACCES') {
        resolvePromise(`no permission to listen on ${where} (ports below 1024 need privileges); pick a port from 1024 up with --port N`);
      } else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') {
        resolvePromise(`${host} is not an address of this machine; pass one of its addresses with --host (127.0.0.1 for this machine only)`);
      } else {
        resolvePromise(`cannot listen on ${where}: ${error.message}`);
      }
    });
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolvePromise(undefined)));
  });
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
        mode: { type: 'string' },
        'allow-host': { type: 'string', multiple: true },
        tokens: { type: 'string' },
        'data-dir': { type: 'string' },
        'no-admin-socket': { type: 'boolean' },
        'new-tokens': { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  // Flags win; otherwise the agent settings (Settings view) decide port and address.
  const portFlag = values.port === undefined ? undefined : intOption(values.port, 'port', 0, 65535, 7420);
  const intervalMs = intOption(values['interval-ms'], 'interval-ms', 250, 10_000, 1000);
  const mode = values.mode;
  if (mode !== undefined && mode !== 'off' && mode !== 'advise' && mode !== 'auto') fail(`--mode must be off, advise or auto, got ${JSON.stringify(mode)}`);
  let tokens: AgentToken[] | undefined;
  if (values.tokens) {
    try {
      tokens = parseTokensFile(readFileSync(values.tokens, 'utf8'));
    } catch (error) {
      fail(`--tokens ${values.tokens}: ${(error as Error).message}`);
    }
  }
  const dataDir = values['data-dir'] ?? defaultDataDir();
  if (values.tokens && values['new-tokens']) fail('--new-tokens makes tokens in the data directory; it does not go with --tokens FILE');
  const owner = instanceLockOwner(dataDir);
  if (owner !== undefined) {
    process.stderr.write(`allot: ${new InstanceLockedError(owner, dataDir).message}\n`);
    process.exit(1);
  }
  const stored = storedAgentSettings(dataDir);
  const bindHost = values.host ?? stored.bindAddress;
  const bindPort = portFlag ?? stored.port;
  const cannotListen = await checkListen(bindHost, bindPort);
  if (cannotListen) {
    process.stderr.write(`allot: ${cannotListen}\n`);
    process.exit(1);
  }
  // Without --tokens, the tokens live in the data directory and survive restarts (--new-tokens rotates them).
  if (!tokens) {
    try {
      const stored = loadOrCreateTokens(dataDir, values['new-tokens'] ?? false);
      tokens = stored.tokens;
      if (values['new-tokens']) process.stdout.write(`New tokens written to ${stored.path}; the old URLs no longer work.\n`);
    } catch (error) {
      fail(`the agent tokens: ${(error as Error).message}`);
    }
  }
  let agent: Awaited<ReturnType<typeof startAgent>> | undefined;
  let stopping = false;
  const core = startCoreHost(
    workerUrl(),
    {
      dataDir,
      runtime: 'node',
      version: pkg.version,
      ...(values['interval-ms'] !== undefined ? { intervalMs } : {}),
      ...(mode !== undefined ? { engineMode: mode } : {}),
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
    agent = await startAgent({
      core,
      staticDir: join(here, '../renderer'),
      host: bindHost,
      port: bindPort,
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
  // The desktop app, `allot serve` and the CLI share one data directory; whichever runs first moves
  // an older desktop store over (once), so `allot export` finds a desktop user's history.
  if ((command === 'serve' || command === 'export') && !rest.includes('--data-dir') && !process.env['ALLOT_DATA_DIR']) {
    const migration = migrateDataDir(legacyDesktopDataDir(), defaultDataDir());
    if (migration.kind === 'migrated') process.stderr.write(`allot: moved the desktop app's data from ${migration.from} to ${migration.to}\n`);
    if (migration.kind === 'failed') process.stderr.write(`allot: ${migration.message}\n`);
  }
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
