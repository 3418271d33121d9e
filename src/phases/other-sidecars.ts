/** Other buildpacks' sidecars, as supply and finalize see them, with the staging log's word on each. */
import { formatMb } from '../config/size.js';
import { declaredSidecars, readOtherLaunchYmls, type DeclaredSidecar } from '../launch/declared-sidecars.js';
import type { StagingContext } from './context.js';

export interface OtherSidecars {
  /** Every other buildpack's sidecar that runs: those the lifecycle reads, and those repaired. */
  sidecars: DeclaredSidecar[];
  /** Sidecars of a launch.yml the lifecycle never reads, to declare again in this buildpack's own. */
  repaired: DeclaredSidecar[];
}

/**
 * The sidecars the buildpacks before this one declared: at supply their launch.yml files are
 * written, the later buildpacks' are not yet (profile.sh reads those at launch). Logs each one.
 *
 * With 10 or more buildpacks the lifecycle reads launch.yml only from unpadded deps/<i>, so a
 * buildpack before this one at deps/03 loses its sidecars. This buildpack's launch.yml is read
 * (it writes a copy where the lifecycle looks), so it declares them again there: the same type,
 * command, process types and memory, checked on the real builder (fixtures/conformance).
 */
export async function otherBuildpacksSidecars(
  ctx: StagingContext,
  ownNames: string[],
): Promise<OtherSidecars> {
  const { log } = ctx;
  const found = declaredSidecars(await readOtherLaunchYmls(ctx.depsDir, ctx.depsIdx));
  const read = new Set(found.sidecars.map((s) => s.name));
  const repaired = found.lost.filter((s) => !ownNames.includes(s.name) && !read.has(s.name));
  for (const s of found.sidecars)
    log.detail(
      `Sidecar ${s.name} of the buildpack at deps/${s.depsIdx} runs beside ${s.processTypes.join(', ')}${describeMemory(s)}: counted in the memory guard's reservation`,
    );
  for (const s of repaired)
    log.detail(
      `Sidecar ${s.name} of the buildpack at deps/${s.depsIdx} runs beside ${s.processTypes.join(', ')}${describeMemory(s)}: the lifecycle never reads deps/${s.depsIdx}/launch.yml (zero-padded, 10 or more buildpacks), so it is declared again in this buildpack's launch.yml`,
    );
  const still = [
    ...found.lost
      .filter((s) => !repaired.includes(s))
      .map((s) => `sidecar ${s.name} (deps/${s.depsIdx}: a sidecar of that name is declared already)`),
    ...found.lostProcessTypes.map((t) => `process type ${t}`),
  ];
  if (still.length > 0)
    log.warning(
      `${found.unread.map((idx) => `deps/${idx}/launch.yml`).join(', ')}: the Cloud Foundry lifecycle never reads these with 10 or more buildpacks (zero-padded index); lost: ${still.join(', ')}. Put their buildpacks at index 10 or later, or use fewer buildpacks`,
    );
  return { sidecars: [...found.sidecars, ...repaired], repaired };
}

function describeMemory(s: DeclaredSidecar): string {
  return s.memoryMb ? ` (${formatMb(s.memoryMb)})` : ' (no memory declared)';
}
