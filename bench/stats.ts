/** Summaries of repeated measurements: median, min and max, and ratios between paired runs. */

export interface Summary {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export function summarize(values: number[]): Summary {
  if (values.length === 0) throw new Error('failed to summarize: no samples');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted[sorted.length - 1] as number, runs: values.length };
}

/**
 * The ratio subject/baseline as the median of the per-pair ratios. Each pair ran back to back, so
 * a burst of load from other processes on the machine hits both halves of a pair and cancels out,
 * where a ratio of two medians would carry it.
 */
export function pairedRatio(subject: number[], baseline: number[]): Summary {
  if (subject.length !== baseline.length) throw new Error('failed to pair samples: counts differ');
  return summarize(subject.map((s, i) => s / (baseline[i] as number)));
}
