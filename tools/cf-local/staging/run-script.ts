/**
 * Runs one buildpack script (bin/supply, bin/finalize, ...) as the lifecycle does: stdout and
 * stderr stream into the staging log line by line, or stdout is captured for the scripts whose
 * output the lifecycle parses (bin/detect, bin/release).
 *
 * The buildpack dir is read-only for the script, as a cell bind-mounts it: where this process may
 * (root on Linux), the script runs in a mount namespace of its own with the dir bind-mounted
 * read-only over itself; elsewhere it is not enforced.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { createInterface } from 'node:readline';

/** Runs "$@" with $0 mounted read-only, in a mount namespace of its own. */
const READ_ONLY = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"';
let readOnlyMounts: boolean | undefined;

/** Whether buildpack dirs can be mounted read-only here (probed once). */
export function canMountReadOnly(): boolean {
  if (readOnlyMounts === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'cf-local-ro-'));
    const probe = spawnSync(
      'unshare',
      [
        '-m',
        '--propagation',
        'private',
        'sh',
        '-c',
        READ_ONLY,
        dir,
        'sh',
        '-c',
        '! touch "$0/x" 2>/dev/null',
        dir,
      ],
      {
        stdio: 'ignore',
      },
    );
    rmSync(dir, { recursive: true, force: true });
    readOnlyMounts = probe.status === 0;
  }
  return readOnlyMounts;
}

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

/** `file args...` with `dir` mounted read-only where canMountReadOnly(), else as it is. */
export function withReadOnly(dir: string, file: string, args: readonly string[]): [string, string[]] {
  return canMountReadOnly()
    ? ['unshare', ['-m', '--propagation', 'private', 'sh', '-c', READ_ONLY, dir, file, ...args]]
    : [file, [...args]];
}

/** Runs `file args...` to completion; never rejects for a non-zero exit (callers decide). */
export function runScript(file: string, args: readonly string[], opts: ScriptOptions): Promise<ScriptRun> {
  return new Promise((resolve, reject) => {
    // <buildpack>/bin/<script>: the buildpack is the script's grandparent dir.
    const [command, argv] = withReadOnly(resolvePath(file, '..', '..'), file, args);
    const child = spawn(command, argv, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    if (opts.captureStdout) child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    else createInterface({ input: child.stdout }).on('line', opts.log);
    createInterface({ input: child.stderr }).on('line', opts.log);
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout }));
  });
}
