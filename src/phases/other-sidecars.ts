/** Other buildpacks' sidecars, as supply and finalize see them, with the staging log's word on each. */
import { formatMb } from '../config/size.js';
import { declaredSidecars, readOtherLaunchYmls, type DeclaredSidecar } from '../launch/declared-sidecars.js';
import type { StagingContext } from './context.js';

/**
 * The sidecars the buildpacks before this one declared: at supply their launch.yml files are
 * written, the later buildpacks' are not yet (profile.sh reads those at launch). Logs each one.
 */
export async function otherBuildpacksSidecars(ctx: StagingContext): Promise<DeclaredSidecar[]> {
  const { sidecars, unread } = declaredSidecars(await readOtherLaunchYmls(ctx.depsDir, ctx.depsIdx));
  for (const s of sidecars)
    ctx.log.detail(
      `Sidecar ${s.name} of the buildpack at deps/${s.depsIdx} runs beside ${s.processTypes.join(', ')}${s.memoryMb ? ` (${formatMb(s.memoryMb)})` : ' (no memory declared)'}: counted in the memory guard's reservation`,
    );
  if (unread.length > 0)
    ctx.log.warning(
      `${unread.map((idx) => `deps/${idx}/launch.yml`).join(', ')}: the Cloud Foundry lifecycle never reads these with 10 or more buildpacks (zero-padded index), so the processes and sidecars they declare are lost; put their buildpacks at index 10 or later, or use fewer buildpacks`,
    );
  return sidecars;
}
