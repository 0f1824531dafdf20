// Shared by the bench:responsiveness scripts: start a latency probe and read its result; quantiles.
import { spawn } from 'node:child_process';

export interface ProbeResult {
  iterations: number;
  bursts: [number, number][];
}

/** Start a probe script (`node <script> <seconds> <iterations|calibrate>`); `done` resolves with its JSON line. */
export function startProbeScript(script: string, seconds: number, iterations: number | 'calibrate'): { pid: number; done: Promise<ProbeResult> } {
  const child = spawn(process.execPath, [script, String(seconds), String(iterations)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  const done = new Promise<ProbeResult>((resolve, reject) => {
    child.once('exit', (code) => {
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()!) as ProbeResult);
      } catch {
        reject(new Error(`probe exited ${code} without a result`));
      }
    });
  });
  return { pid: child.pid!, done };
}

export function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
