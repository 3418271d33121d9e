/**
 * The staging log, in the Cloud Foundry style:
 *
 *   -----> Sidecar Buildpack 0.1.0
 *          Installing config-server 1.2.3
 *   **WARNING** ...
 *   **ERROR** ...
 *
 * Every line goes through redaction, so no code path can print a credential by accident.
 * Debug lines print only when BP_DEBUG is set.
 */
import { redact } from './redact.js';

export interface LogSink {
  write(text: string): void;
}

export class Logger {
  private readonly secrets = new Set<string>();

  constructor(
    private readonly out: LogSink,
    private readonly err: LogSink = out,
    readonly debugEnabled = false,
  ) {}

  /** Registers a value that must never appear in the log (a token, a password). */
  addSecret(value: string | undefined): void {
    if (value) this.secrets.add(value);
  }

  header(text: string): void {
    this.line(this.out, `-----> ${text}`);
  }

  detail(text: string): void {
    this.line(this.out, `       ${text}`);
  }

  warning(text: string): void {
    this.line(this.out, `**WARNING** ${text}`);
  }

  error(text: string): void {
    this.line(this.err, `**ERROR** ${text}`);
  }

  debug(text: string): void {
    if (this.debugEnabled) this.line(this.err, `DEBUG: ${text}`);
  }

  /** Several pre-formatted lines, each indented as a detail line (tables). */
  table(lines: string[]): void {
    for (const l of lines) this.detail(l);
  }

  private line(sink: LogSink, text: string): void {
    sink.write(oneMessage(redact(text, this.secrets)) + '\n');
  }
}

/**
 * Text from the app (a YAML key, a value, a server's answer) must not forge log lines: control
 * characters are shown escaped (`\x1b`), and a message's later lines continue 7 spaces in, as
 * libbuildpack prints them, never at column 0 where `-----> ` or `**ERROR**` would pass as ours.
 */
export function oneMessage(text: string): string {
  const escaped = text.replace(
    // eslint-disable-next-line no-control-regex
    /[\x00-\x08\x0b-\x1f\x7f]/g,
    (c) => (c === '\r' ? '\\r' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`),
  );
  return escaped.replace(/\n/g, '\n       ');
}

/**
 * A logger writing to the process's stdout/stderr (only stderr with `stderrOnly`, for a phase whose
 * stdout is data); only cli.ts should create one.
 */
export function consoleLogger(debug: boolean, stderrOnly = false): Logger {
  const stderr: LogSink = { write: (t) => void process.stderr.write(t) };
  return new Logger(stderrOnly ? stderr : { write: (t) => void process.stdout.write(t) }, stderr, debug);
}
