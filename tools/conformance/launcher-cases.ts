/**
 * The launcher cases of the conformance corpus (fixtures/conformance/launcher.json): what goes in
 * (a command, the container's env, staging_info.yml) and how a run is normalised for comparison.
 * Shared by the recorder (record-launcher.ts, which runs the real launcher) and the test (which
 * runs cf-local's), so both see the same inputs.
 */
import { cp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const LAUNCHER_DROPLET = new URL('../../fixtures/conformance/launcher-droplet/', import.meta.url);

export interface LauncherCase {
  case: string;
  description: string;
  command: string;
  env: Record<string, string>;
  /** staging_info.yml's text; absent: no file. */
  stagingInfo?: string;
  /** What the launcher did, recorded: exit status and its output with the home dir as /home/vcap. */
  launcher: { exitCode: number; stdout: string[]; stderr: string[] };
}

/** A fresh /home/vcap for one case: the probe droplet plus the case's staging_info.yml. */
export async function caseHome(home: string, c: Pick<LauncherCase, 'stagingInfo'>): Promise<void> {
  await rm(home, { recursive: true, force: true });
  await cp(LAUNCHER_DROPLET, home, { recursive: true });
  await rm(join(home, 'deps', '0', '.keep'));
  await rm(join(home, 'tmp', '.keep'));
  if (c.stagingInfo !== undefined) await writeFile(join(home, 'staging_info.yml'), c.stagingInfo);
}

/** Output lines with the temp home shown as Diego's /home/vcap. */
export function normalise(text: string, home: string): string[] {
  return text
    .split(home)
    .join('/home/vcap')
    .split('\n')
    .filter((line, i, all) => line !== '' || i < all.length - 1);
}
