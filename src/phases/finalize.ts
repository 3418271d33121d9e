/**
 * bin/finalize: runs only when this buildpack is the last one. Then it owns the app's start
 * command: the lifecycle skips bin/release once the final buildpack has written launch.yml, so
 * launch.yml must carry the web process next to the sidecars written by supply.
 */
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { loadAppConfig } from '../config/load.js';
import { UserError } from '../errors.js';
import type { LaunchProcess } from '../launch/launch-types.js';
import { launchYmlCopyNote, readLaunchYml, writeLaunchYml } from '../launch/launch-yml.js';
import { appProcesses } from './app-processes.js';
import type { StagingContext } from './context.js';

export async function finalize(ctx: StagingContext): Promise<void> {
  const { log } = ctx;
  log.header('Finalizing as the final buildpack');
  const config = await loadAppConfig(ctx.buildDir, ctx.env);
  const processes = await appProcesses(ctx.buildDir, config);
  if (!processes.web) {
    throw new UserError('the app has no start command', {
      file: 'Procfile',
      hint: 'As the last buildpack, sidecar_buildpack runs the app as-is: add a Procfile with `web: ./my-app`, or `command:` at the top of sidecars.yml. For a Java, Node or other app, put its language buildpack last: cf push -b sidecar_buildpack -b java_buildpack.',
    });
  }
  const supplied = await readLaunchYml(ctx.depsDir, ctx.depsIdx);
  const existing = supplied ?? { processes: [] };
  const appEntries: LaunchProcess[] = Object.entries(processes).map(([type, command]) => ({ type, command }));
  // launch.yml keys processes and sidecars alike by `type`: a sidecar named like a process type
  // would replace it, or be replaced, in the lifecycle's merge. Refused, never dropped in silence.
  const clash = existing.processes.find(
    (p) => Object.hasOwn(processes, p.type) && p.platforms?.cloudfoundry?.sidecar_for,
  );
  if (clash)
    throw new UserError(
      `sidecar "${clash.type}" has the name of the app's process type "${clash.type}": launch.yml names both by it, and one would replace the other`,
      { file: 'sidecars.yml', key: 'name', hint: `Rename the sidecar (e.g. ${clash.type}-sidecar).` },
    );
  const sidecars = existing.processes.filter((p) => !Object.hasOwn(processes, p.type));
  await writeLaunchYml(ctx.depsDir, ctx.depsIdx, { processes: [...appEntries, ...sidecars] });
  for (const [type, command] of Object.entries(processes)) log.detail(`Process type ${type}: ${command}`);
  const copyNote = launchYmlCopyNote(ctx.depsIdx);
  if (copyNote && !supplied) log.detail(copyNote);
  if (ctx.profileDir) await copyProfileScripts(ctx.depsDir, ctx.profileDir);
}

/**
 * A final buildpack makes the supply buildpacks' DEPS_DIR/<i>/profile.d scripts run at launch by
 * copying them into PROFILE_DIR, as libbuildpack does (the launcher reads only ../profile.d).
 */
async function copyProfileScripts(depsDir: string, profileDir: string): Promise<void> {
  const indexes = (await readdir(depsDir).catch(() => [] as string[]))
    .filter((d) => /^\d+$/.test(d))
    .sort((a, b) => Number(a) - Number(b));
  for (const index of indexes) {
    const scripts = await readdir(join(depsDir, index, 'profile.d')).catch(() => [] as string[]);
    if (scripts.length === 0) continue;
    await mkdir(profileDir, { recursive: true });
    for (const script of scripts.sort())
      await copyFile(
        join(depsDir, index, 'profile.d', script),
        join(profileDir, `${index.padStart(3, '0')}_${script}`),
      );
  }
}
