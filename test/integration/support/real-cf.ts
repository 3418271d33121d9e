/**
 * The switch for running integration tests against a real foundation. Tests marked with
 * `describe.skipIf(!REAL_CF)` run only when CF_API is set and the cf CLI is logged in to it
 * (`cf api $CF_API && cf auth`), e.g. in a pipeline with a foundation; everywhere else (CI, a
 * laptop) they are skipped cleanly, and cf-local stands in for the platform.
 *
 *   CF_API=https://api.example.com SIDECAR_BUILDPACK=sidecar_buildpack npm test
 *
 * SIDECAR_BUILDPACK names the installed buildpack under test (default `sidecar_buildpack`);
 * the final buildpack is the platform's `binary_buildpack`.
 */
import { execaSync } from 'execa';

function loggedIn(): boolean {
  if (!process.env.CF_API) return false;
  try {
    return execaSync('cf', ['target'], { reject: false, timeout: 20_000 }).exitCode === 0;
  } catch {
    return false;
  }
}

export const REAL_CF = loggedIn();
export const SIDECAR_BUILDPACK_NAME = process.env.SIDECAR_BUILDPACK ?? 'sidecar_buildpack';
