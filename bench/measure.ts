/**
 * Runs commands and times them from spawn to exit, optionally with their peak resident memory.
 * Subject and baseline are interleaved (ABBA order) so that both see the same machine load; other
 * engineers' test suites share this machine, so only ratios within one bench run mean anything.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';

export interface Command {
  /** Shown in errors. */
  label: string;
  file: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Runs before each run, untimed (e.g. fresh output dirs). */
  before?: () => Promise<void>;
  /** Runs after each run, untimed (e.g. deletes what it unpacked). */
  after?: () => Promise<void>;
  /** Exit code that counts as success (default 0). */
  expectExit?: number;
}

export interface Sample {
  wallMs: number;
  /** Peak RSS in KB of the process and its waited-for children, when asked for. */
  maxRssKb?: number;
}

const GNU_TIME = '/usr/bin/time';

/** Runs `command` once and returns its wall time (and peak RSS with `rssFile`). */
export async function runOnce(command: Command, rssFile?: string): Promise<Sample> {
  await command.before?.();
  const useTime = rssFile !== undefined && existsSync(GNU_TIME);
  const [file, args] = useTime
    ? [GNU_TIME, ['-f', '%M', '-o', rssFile, command.file, ...command.args]]
    : [command.file, command.args];
  const started = process.hrtime.bigint();
  const child = spawn(file, args, {
    env: command.env ?? process.env,
    cwd: command.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const polled = rssFile !== undefined && !useTime ? pollPeakRss(child.pid) : undefined;
  const code = await new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (exitCode, signal) => resolve(exitCode ?? (signal ? 128 : 1)));
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  polled?.stop();
  if (code !== (command.expectExit ?? 0)) {
    throw new Error(`failed to run ${command.label}: exit code ${code}\n${output}`);
  }
  let maxRssKb: number | undefined;
  if (useTime) {
    maxRssKb = Number((await readFile(rssFile, 'utf8')).trim().split('\n').pop());
    await rm(rssFile, { force: true });
  } else if (polled) maxRssKb = polled.peakKb();
  await command.after?.();
  return maxRssKb === undefined ? { wallMs } : { wallMs, maxRssKb };
}

/**
 * Without GNU time: polls the process's own high-water mark (VmHWM) every 10 ms. It misses the
 * children and anything in the last 10 ms, so it is the fallback only.
 */
function pollPeakRss(pid: number | undefined) {
  let peak = 0;
  const read = async () => {
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
    peak = Math.max(peak, kb);
  };
  const timer = setInterval(() => void read(), 10);
  return {
    stop: () => clearInterval(timer),
    peakKb: () => peak,
  };
}

export interface Comparison {
  subject: Sample[];
  baseline: Sample[];
}

export interface CompareOptions {
  warmup: number;
  runs: number;
}

/** Runs warm-ups, then `runs` pairs, alternating which of the two goes first. */
export async function compare(
  subject: Command,
  baseline: Command,
  options: CompareOptions,
): Promise<Comparison> {
  const result: Comparison = { subject: [], baseline: [] };
  for (let i = 0; i < options.warmup; i++) {
    await runOnce(subject);
    await runOnce(baseline);
  }
  for (let i = 0; i < options.runs; i++) {
    if (i % 2 === 0) {
      result.subject.push(await runOnce(subject));
      result.baseline.push(await runOnce(baseline));
    } else {
      result.baseline.push(await runOnce(baseline));
      result.subject.push(await runOnce(subject));
    }
  }
  return result;
}
