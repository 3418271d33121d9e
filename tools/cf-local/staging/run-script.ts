/**
 * Runs one buildpack script (bin/supply, bin/finalize, ...) as the lifecycle does: stdout and
 * stderr stream into the staging log line by line, or stdout is captured for the scripts whose
 * output the lifecycle parses (bin/detect, bin/release).
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ScriptRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Captured stdout when `captureStdout` was set, else ''. */
  stdout: string;
}

export interface ScriptOptions {
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Receives each line of the script's output that belongs in the staging log. */
  log: (line: string) => void;
  captureStdout?: boolean;
}

/** Runs `file args...` to completion; never rejects for a non-zero exit (callers decide). */
export function runScript(file: string, args: readonly string[], opts: ScriptOptions): Promise<ScriptRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    if (opts.captureStdout) child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    else createInterface({ input: child.stdout }).on('line', opts.log);
    createInterface({ input: child.stderr }).on('line', opts.log);
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout }));
  });
}
