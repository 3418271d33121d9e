/**
 * The run-time options of a sidecar in sidecars.yml (`ready:`, `health:`, `stop:`,
 * `credentials:`), validated and normalised by config/parse-runtime-options.ts. They go into
 * runtime.json for the bash in src/runtime/, which does the work in the container.
 */

/** Where a probe goes: an HTTP URL on localhost, or a TCP port on 127.0.0.1. */
export type Probe = { kind: 'http'; url: string } | { kind: 'tcp'; port: number };

/** `ready:` the app's process waits for the sidecar before its start command. */
export interface ReadyOptions {
  probe: Probe;
  timeoutSeconds: number;
  /** fail: the app's process exits and the container restarts; warn: the app starts anyway. */
  onTimeout: 'fail' | 'warn';
}

/** `health:` the supervisor probes the sidecar and stops it after too many failures. */
export interface HealthOptions {
  probe: Probe;
  intervalSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
  /** Failures before the first success count only after this much start-up time. */
  startPeriodSeconds: number;
}

/** `stop:` on SIGTERM, keep the sidecar serving until the app's process exits, at most grace. */
export interface StopOptions {
  graceSeconds: number;
}

/** One entry of `credentials:`: a bound service, picked by name, label or tag. */
export interface CredentialsOptions {
  by: 'name' | 'label' | 'tag';
  value: string;
  /** Env var name -> path of keys inside the service's `credentials` object. */
  env: Record<string, string[]>;
}

export interface SidecarRuntimeOptions {
  ready?: ReadyOptions;
  health?: HealthOptions;
  stop?: StopOptions;
  credentials?: CredentialsOptions[];
}
