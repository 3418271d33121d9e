/**
 * The run-time options of a sidecar in sidecars.yml (`ready:`, `health:`, `stop:`,
 * `credentials:`, `restart:`, `over_memory:`, `priority:`), validated and normalised by config/parse-runtime-options.ts. They go into
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
/** A bound service, picked from VCAP_SERVICES by its instance name, its offering's label or a tag. */
export interface ServiceSelector {
  by: 'name' | 'label' | 'tag';
  value: string;
}

export interface CredentialsOptions extends ServiceSelector {
  /** Env var name -> path of keys inside the service's `credentials` object. */
  env: Record<string, string[]>;
}

/**
 * `restart:` what the supervisor does when the sidecar exits, fails its health check or stays
 * over its memory: `never` leaves it to Cloud Foundry (the container restarts, as without this
 * buildpack); the others restart it in place, at most `maxRestarts` times within `withinSeconds`.
 */
export type RestartOptions =
  { policy: 'never' } | { policy: 'on-failure' | 'always'; maxRestarts: number; withinSeconds: number };

/** `over_memory:` what the supervisor does when the sidecar stays above its `memory:`. */
export type OverMemoryAction = 'warn' | 'restart';

/** `priority:` the sidecar's CPU priority; the app keeps `normal`. */
export type Priority = 'normal' | 'low' | 'lowest';

export interface SidecarRuntimeOptions {
  ready?: ReadyOptions;
  health?: HealthOptions;
  stop?: StopOptions;
  credentials?: CredentialsOptions[];
  restart?: RestartOptions;
  overMemory?: OverMemoryAction;
  priority?: Priority;
}
