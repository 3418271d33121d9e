/**
 * Memory sizes as app developers write them (`256`, `256M`, `256MB`, `1G`, `1.5G`), turned into the
 * integer megabytes launch.yml needs (the lifecycle's Go struct rejects "256M").
 */

/** Cloud Foundry apps rarely exceed 64 GB; a larger sidecar is a typo, not a plan. */
export const MAX_SIDECAR_MEMORY_MB = 64 * 1024;

export const SIZE = /^\s*(\d+(?:\.\d+)?)\s*(k|kb|m|mb|g|gb|t|tb)?\s*$/i;
const FACTOR_MB: Record<string, number> = { k: 1 / 1024, m: 1, g: 1024, t: 1024 * 1024 };

/**
 * Parses a size into whole megabytes. Returns undefined when the text is not a size at all;
 * the caller decides what a zero or huge value means.
 */
export function parseSizeMb(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && Number.isInteger(value) ? value : undefined;
  const match = SIZE.exec(value);
  if (!match) return undefined;
  const unit = (match[2] ?? 'm').toLowerCase()[0] as string;
  const mb = Number(match[1]) * (FACTOR_MB[unit] as number);
  return Number.isInteger(mb) ? mb : Math.ceil(mb);
}

/** `1024` -> `1G`, `1536` -> `1536M`, for log lines. */
export function formatMb(mb: number): string {
  return mb % 1024 === 0 && mb > 0 ? `${mb / 1024}G` : `${mb}M`;
}
