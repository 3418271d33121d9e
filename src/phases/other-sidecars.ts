/** Other buildpacks' sidecars, as supply and finalize see them, with the staging log's word on each. */
import { formatMb } from '../config/size.js';
import { declaredSidecars, readOtherLaunchYmls, type DeclaredSidecar } from '../launch/declared-sidecars.js';
import type { StagingContext } from './context.js';

/**
 * The sidecars the other buildpacks declared so far: at supply those before this one; finalize,
 * when this buildpack is the last, sees them all. Logs each one; finalize passes those supply
 * logged already as `known`, and only the new ones are logged.
 */
export async function otherBuildpacksSidecars(
  ctx: StagingContext,
  known?: ReadonlySet<string>,
): Promise<DeclaredSidecar[]> {
  const { sidecars, unread } = declaredSidecars(await readOtherLaunchYmls(ctx.depsDir, ctx.depsIdx));
  for (const s of sidecars.filter((s) => !known?.has(s.name)))
    ctx.log.detail(
      `Sidecar ${s.name} of the buildpack at deps/${s.depsIdx} runs beside ${s.processTypes.join(', ')}${s.memoryMb ? ` (${formatMb(s.memoryMb)})` : ' (no memory declared)'}: counted in the memory guard's reservation`,
    );
  for (const idx of known ? [] : unread)
    ctx.log.warning(
      `deps/${idx}/launch.yml is never read by the Cloud Foundry lifecycle with 10 or more buildpacks (zero-padded index): the processes and sidecars it declares are lost`,
    );
  return sidecars;
}
