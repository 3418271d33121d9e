/**
 * The staging log, in libbuildpack's format (its logger.go; cf-contract section 8):
 *
 *   -----> Installing sidecar config-server 1.2.3
 *          Download [https://example.com/config-server.tgz]
 *          **WARNING** ...
 *          **ERROR** ...
 *          DEBUG: ...
 *
 * Everything goes to one stream, stdout: the lifecycle shows stderr as `[STG/0] ERR`, and
 * libbuildpack buildpacks print their errors on stdout too. (libbuildpack also colours the
 * WARNING and ERROR tags red; these lines stay plain, so that they read the same in a file.)
 * Every line goes through redaction, so no code path can print a credential by accident.
 * Debug lines print only when BP_DEBUG is set.
 */
import { fdSink } from './fd-sink.js';
import { redact } from './redact.js';

export interface LogSink {
  write(text: string): void;
}

export class Logger {
  constructor(
    private readonly out: LogSink,
    readonly debugEnabled = false,
    /** Where ERROR lines go: `out` in staging; a command-line tool's stderr (package.sh). */
    private readonly err: LogSink = out,
    private readonly secrets = new Set<string>(),
  ) {}

  /**
   * The same log written to `sink` instead (all levels), redacting the same secrets, the ones
   * registered later included: one per sidecar fetched in parallel (log/ordered-output.ts).
   */
  to(sink: LogSink): Logger {
    return new Logger(sink, this.debugEnabled, sink, this.secrets);
  }

  /** Where this log's lines go; only for lines a logger made by to() has already redacted. */
  get destination(): LogSink {
    return this.out;
  }

  /** Registers a value that must never appear in the log (a token, a password). */
  addSecret(value: string | undefined): void {
    if (value) this.secrets.add(value);
  }

  header(text: string): void {
    this.line(`-----> ${text}`);
  }

  detail(text: string): void {
    this.line(`       ${text}`);
  }

  warning(text: string): void {
    this.line(`       **WARNING** ${text}`);
  }

  error(text: string): void {
    this.line(`       **ERROR** ${text}`, this.err);
  }

  debug(text: string): void {
    if (this.debugEnabled) this.line(`       DEBUG: ${text}`);
  }

  /** Several pre-formatted lines, each indented as a detail line (tables). */
  table(lines: string[]): void {
    for (const l of lines) this.detail(l);
  }

  private line(text: string, sink: LogSink = this.out): void {
    sink.write(oneMessage(redact(text, this.secrets)) + '\n');
  }
}

/**
 * Text from the app (a YAML key, a value, a server's answer) must not forge log lines: control
 * characters are shown escaped (`\x1b`), and a message's later lines continue 7 spaces in, as
 * libbuildpack prints them, never at column 0 where `-----> ` or `**ERROR**` would pass as ours.
 * Escaped too, as `\u2028`: what a terminal or log viewer may take for a line break or a control
 * sequence (C1 controls such as NEL and CSI, the line and paragraph separators), what reorders
 * the text around it (bidi overrides and isolates), and what cannot be seen (zero-width
 * characters, the BOM), so that a reason such as a sha256 with a U+200B in it shows.
 */
export function oneMessage(text: string): string {
  const escaped = text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    if (c === '\r') return '\\r';
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
  return escaped.replace(/\n/g, '\n       ');
}

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/**
 * A logger writing to the process's stdout (`stdout`, staging), or all to stderr for a phase
 * whose stdout is data (`stderr`: detect, release), or its errors to stderr (`tool`: package.sh,
 * a command line tool whose callers read stderr); only the entry points should create one.
 */
export function consoleLogger(debug: boolean, streams: 'stdout' | 'stderr' | 'tool' = 'stdout'): Logger {
  const stdout = fdSink(1);
  const stderr = fdSink(2);
  if (streams === 'stderr') return new Logger(stderr, debug);
  return new Logger(stdout, debug, streams === 'tool' ? stderr : stdout);
}
