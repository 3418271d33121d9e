/**
 * cf-local's programmatic API, used by the integration suite: stage an app with buildpacks as
 * the buildpack lifecycle does, then run the droplet as Diego does.
 */
export { stage, type StageOptions, type StageOutcome } from './staging/stage.js';
export { run, RunningApp, type RunOptions, type InstanceView } from './run/run.js';
export type { StagingResult, ResultSidecar, BuildpackMetadata } from './staging/staging-result.js';
export { formatLogLine, type LogLine } from './run/log-line.js';
export { parseMemoryMb } from './run/memory.js';
