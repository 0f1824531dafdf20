// Entry point of the privileged helper (plain Node, no Electron). Linux: started by `pkexec` with a
// fixed argv, reads ONE JSON request line from stdin. Windows: the app's own executable started
// elevated with `--allot-helper --pipe <name>`; the same one line comes over that named pipe. Either
// way it answers one JSON line and exits: 0 applied, 1 refused, 2 invalid request (nothing attempted). It never runs
// a shell or another program, and never reads anything but the one line.
import { connect } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import type { ActionResult } from '../../src-shared/actions';
import { encodeResponse, exitCodeFor, MAX_REQUEST_BYTES, parseRequest, type HelperRequest, type HelperResponse } from './protocol';
import { executeLinux } from './execute.linux';
import { errorMessage } from '../../src-shared/errors';

export type Executor = (request: HelperRequest) => Promise<ActionResult>;

/** How long the helper waits for its one request line before giving up. */
export const READ_TIMEOUT_MS = 10_000;

/**
 * Read up to and including the first newline, at most MAX_REQUEST_BYTES + 1 bytes (one more than
 * allowed, so the parser reports the oversize). Resolves on newline, end of input, overflow or timeout.
 */
export function readOneLine(input: Readable, maxBytes = MAX_REQUEST_BYTES, timeoutMs = READ_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      input.off('data', onData);
      input.off('end', finish);
      input.off('error', finish);
      input.pause();
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onData = (chunk: Buffer | string) => {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      const newline = buffer.indexOf(0x0a);
      const part = newline >= 0 ? buffer.subarray(0, newline) : buffer;
      const room = maxBytes + 1 - total;
      chunks.push(part.subarray(0, Math.max(0, room)));
      total += Math.min(part.length, Math.max(0, room));
      if (newline >= 0 || total > maxBytes) finish();
    };
    const timer = setTimeout(finish, timeoutMs);
    input.on('data', onData);
    input.once('end', finish);
    input.once('error', finish);
  });
}

/** Validate and execute one request line. Never throws. */
export async function handleLine(line: string, execute: Executor): Promise<HelperResponse> {
  const parsed = parseRequest(line);
  if (!parsed.ok) return parsed.response;
  try {
    return { verb: parsed.request.verb, result: await execute(parsed.request) };
  } catch (error) {
    return { verb: parsed.request.verb, result: { kind: 'refused', reason: 'failed', message: `the helper failed: ${errorMessage(error)}` } };
  }
}

/** One request in, one response out, on the given streams. Returns the exit code. */
export async function serveOnce(input: Readable, output: Writable, execute: Executor): Promise<number> {
  const line = await readOneLine(input);
  const response = await handleLine(line, execute);
  await new Promise<void>((resolve) => output.write(encodeResponse(response), () => resolve()));
  // 2 for any request refused by validation (nothing was attempted), else 0 applied / 1 refused.
  return parseRequest(line).ok ? exitCodeFor(response) : 2;
}

/** Pipe names the Windows launcher creates (and, for tests on POSIX, unix sockets of the same shape). */
export const PIPE_NAME_RE = /^(\\\\\.\\pipe\\allot-helper-[0-9a-f]{32}|\/[\w./-]*\/allot-helper-[0-9a-f]{32}\.sock)$/;

/** Serve one request arriving over a named pipe the (unprivileged) app is listening on. */
export async function serveOverPipe(pipeName: string, execute: Executor): Promise<number> {
  if (!PIPE_NAME_RE.test(pipeName)) return 2;
  const socket = connect(pipeName);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const code = await serveOnce(socket, socket, execute);
  socket.end();
  return code;
}

/** The executor for this OS. */
export function platformExecutor(platform: NodeJS.Platform = process.platform): Executor {
  if (platform === 'linux') return (request) => executeLinux(request);
  return async () => ({
    kind: 'refused',
    reason: 'unsupported',
    message: `the privileged helper has no ${platform} adapter yet; run Allot as administrator to raise priorities`,
  });
}

/** argv after the executable and script: [] (stdin) or ['--allot-helper', '--pipe', NAME]. */
export async function helperMain(argv: readonly string[], execute: Executor = platformExecutor()): Promise<number> {
  const args = argv.filter((a) => a !== '--allot-helper');
  if (args.length === 0) return serveOnce(process.stdin, process.stdout, execute);
  if (args.length === 2 && args[0] === '--pipe' && args[1] !== undefined) return serveOverPipe(args[1], execute);
  process.stderr.write('usage: allot-helper  (one JSON request line on stdin)\n');
  return 2;
}

// Run when executed directly (node out/helper/allot-helper.cjs, or tsx src-main/helper/main.ts).
const entry = process.argv[1];
const isEntry =
  entry !== undefined &&
  (typeof require !== 'undefined' && typeof module !== 'undefined' ? require.main === module : import.meta.url === pathToFileURL(entry).href);
if (isEntry) {
  void helperMain(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`allot-helper: ${errorMessage(error)}\n`);
      process.exitCode = 2;
    },
  );
}
