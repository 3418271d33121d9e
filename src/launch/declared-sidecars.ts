/**
 * The sidecars other buildpacks declare in their DEPS_DIR/<i>/launch.yml. The run time must know
 * them: the memory guard reserves their memory too, and profile.sh tells their launches from the
 * app's own process by their exact command (cf-contract section 4: the launcher passes it as $2).
 */
import { readdir, readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { YAML_V2 } from './yaml-v2.js';
import { launchYmlIndexes, launchYmlPath } from './launch-yml.js';

/** A `sidecar_for` entry of some buildpack's launch.yml, as the lifecycle would put it in result.json. */
export interface DeclaredSidecar {
  name: string;
  command: string;
  processTypes: string[];
  /** 0 when none is declared (the lifecycle drops it: no reservation). */
  memoryMb: number;
  /** The deps dir whose launch.yml declares it. */
  depsIdx: string;
}

export interface LaunchYmlText {
  depsIdx: string;
  text: string;
}

export interface DeclaredSidecars {
  sidecars: DeclaredSidecar[];
  /** Deps dirs with a launch.yml the lifecycle never reads (zero-padded names). */
  unread: string[];
  /** The sidecars those unread files declare, merged the same way: lost unless declared again. */
  lost: DeclaredSidecar[];
  /** The other process types those files declare (lost too: only sidecars are declared again). */
  lostProcessTypes: string[];
}

/**
 * The sidecars of the launch.yml files, merged as the lifecycle merges them: in index order, a
 * later entry of the same type replaces an earlier one; read as YAML 1.1, like its yaml.v2. A
 * file the lifecycle would fail on is skipped here: staging fails there anyway. Pure.
 */
export function declaredSidecars(files: LaunchYmlText[]): DeclaredSidecars {
  const byType = new Map<string, DeclaredSidecar | undefined>();
  const lostByType = new Map<string, DeclaredSidecar | undefined>();
  const unread: string[] = [];
  const ordered = [...files].sort((a, b) => Number(a.depsIdx) - Number(b.depsIdx));
  for (const { depsIdx, text } of ordered) {
    // MergeLaunchYML reads deps/<strconv.Itoa(i)>: a padded dir's launch.yml is never read.
    const padded = String(Number(depsIdx)) !== depsIdx;
    if (padded) unread.push(depsIdx);
    for (const entry of processesOf(text)) {
      const sidecar = asSidecar(entry, depsIdx);
      if (typeof entry.type === 'string') (padded ? lostByType : byType).set(entry.type, sidecar);
    }
  }
  const defined = (s: DeclaredSidecar | undefined): s is DeclaredSidecar => s !== undefined;
  return {
    sidecars: [...byType.values()].filter(defined),
    unread,
    lost: [...lostByType.values()].filter(defined),
    lostProcessTypes: [...lostByType.entries()].filter(([, s]) => s === undefined).map(([type]) => type),
  };
}

function processesOf(text: string): Record<string, unknown>[] {
  let data: unknown;
  try {
    data = parse(text, YAML_V2);
  } catch {
    return [];
  }
  const processes = (data as { processes?: unknown } | null)?.processes;
  return Array.isArray(processes)
    ? processes.filter((p): p is Record<string, unknown> => typeof p === 'object' && p !== null)
    : [];
}

function asSidecar(entry: Record<string, unknown>, depsIdx: string): DeclaredSidecar | undefined {
  const platforms = entry.platforms as { cloudfoundry?: { sidecar_for?: unknown } } | undefined;
  const sidecarFor = platforms?.cloudfoundry?.sidecar_for;
  if (typeof entry.type !== 'string' || typeof entry.command !== 'string') return undefined;
  if (!Array.isArray(sidecarFor) || sidecarFor.length === 0) return undefined;
  const memory = (entry.limits as { memory?: unknown } | undefined)?.memory;
  return {
    name: entry.type,
    command: entry.command,
    processTypes: sidecarFor.map(String),
    memoryMb: typeof memory === 'number' && memory > 0 ? Math.trunc(memory) : 0,
    depsIdx,
  };
}

/** The launch.yml files of every deps dir but this buildpack's own (and its unpadded copy). */
export async function readOtherLaunchYmls(depsDir: string, ownIdx: string): Promise<LaunchYmlText[]> {
  const own = new Set(launchYmlIndexes(ownIdx));
  const names = (await readdir(depsDir).catch(() => [] as string[])).filter(
    (name) => /^\d+$/.test(name) && !own.has(name),
  );
  const files: LaunchYmlText[] = [];
  for (const depsIdx of names) {
    const text = await readFile(launchYmlPath(depsDir, depsIdx), 'utf8').catch(() => undefined);
    if (text !== undefined) files.push({ depsIdx, text });
  }
  return files;
}
