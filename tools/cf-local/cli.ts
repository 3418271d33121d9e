/**
 * cf-local's command line: the only place that reads argv, writes to the terminal, handles
 * signals and sets the exit code. `stage` prints the staging log and the staged directory;
 * `run` prints every process's log lines until Ctrl-C / SIGTERM, then stops all of them.
 */
import { stat, writeFile } from 'node:fs/promises';
import { parseArgs, USAGE, UsageError } from './args.js';
import { watchLaunchers } from './launchers.js';
import { formatLogLine } from './run/log-line.js';
import { run } from './run/run.js';
import { stage } from './staging/stage.js';

async function main(argv: readonly string[]): Promise<number> {
  const command = parseArgs(argv);
  if (command.name === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (command.name === 'stage') {
    const app = await stat(command.options.appDir).catch(() => undefined);
    if (!app?.isDirectory())
      throw new UsageError(
        `${command.options.appDir}: ${app ? 'not a directory' : 'no such directory'} (the app to stage)`,
      );
    const outcome = await stage({ ...command.options, onLog: (line) => console.log(line) });
    const seconds = (outcome.durationMs / 1000).toFixed(1);
    if (!outcome.ok) {
      console.error(
        `cf-local: staging failed (${outcome.failure.reason}, exit status ${outcome.failure.exitCode}) in ${seconds}s`,
      );
      return outcome.failure.exitCode;
    }
    const sidecars = outcome.result.sidecars.map(
      (s) => `${s.name} (${s.process_types.join(',')}${s.memory ? `, ${s.memory}M` : ''})`,
    );
    console.error(`cf-local: staged in ${seconds}s`);
    console.error(
      `cf-local: process types: ${Object.keys(outcome.result.process_types).join(', ') || 'none'}`,
    );
    console.error(`cf-local: sidecars: ${sidecars.join(', ') || 'none'}`);
    console.log(outcome.stagedDir);
    return 0;
  }
  const app = await run({ ...command.options, onLog: (line) => console.log(formatLogLine(line)) });
  console.error('cf-local: running; Ctrl-C stops every process');
  const stop = (): void => {
    void app.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // `npm run cf-local` ends npm alone on a SIGTERM: a wrapper that goes counts as one.
  watchLaunchers((pid) => {
    console.error(`cf-local: the command that started it (pid ${pid}) has gone; stopping every process`);
    stop();
  });
  if (command.readyFile) {
    const count = command.options.instances ?? 1;
    const views = [];
    for (let index = 0; index < count; index++) views.push(await app.waitUntilRunning(index, 24 * 3600_000));
    const ready = views.map((v) => ({
      index: v.index,
      port: v.port,
      url: app.url(v.index),
      home: v.home,
      processes: v.processes.map((p) => ({ name: p.name, pid: p.pid })),
    }));
    const memoryLimit = app.memoryLimit;
    await writeFile(
      command.readyFile,
      JSON.stringify({ pid: process.pid, memoryLimit, instances: ready }) + '\n',
    );
  }
  await new Promise(() => undefined);
  return 0;
}

/** The error's message and its causes' (`failed to read result.json in X: ...: ENOENT ...`). */
function describeError(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e !== undefined && parts.length < 4; e = (e as { cause?: unknown }).cause)
    parts.push(e instanceof Error ? e.message : String(e));
  return parts.join(': ');
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // A mistake of the caller's (a wrong dir, a process type the app lacks) is one line; the
    // stack is for CF_LOCAL_DEBUG.
    if (error instanceof UsageError) console.error(`cf-local: ${error.message}\n${USAGE}`);
    else if (process.env.CF_LOCAL_DEBUG)
      console.error(`cf-local: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    else console.error(`cf-local: ${describeError(error)}`);
    process.exit(error instanceof UsageError ? 64 : 1);
  },
);
