/** The bench's result rows and their markdown table. */
import type { Summary } from './stats.js';

export type Unit = 'ms' | 'MB' | 'B' | 'requests';

export interface Target {
  /**
   * `ratio`: the median paired ratio must not exceed `value`; `max`: no run of ours may;
   * `median`: our median may not; `min`: our median must reach it (e.g. requests overlapped).
   */
  kind: 'ratio' | 'max' | 'median' | 'min';
  value: number;
}

export interface Row {
  /** The bench item (README, Performance: 1-10). */
  item: number;
  measurement: string;
  unit: Unit;
  ours: Summary;
  baselineLabel?: string;
  baseline?: Summary;
  ratio?: Summary;
  target?: Target;
}

export function targetMet(row: Row): boolean | undefined {
  if (!row.target) return undefined;
  if (row.target.kind === 'ratio') return row.ratio ? row.ratio.median <= row.target.value : undefined;
  if (row.target.kind === 'median') return row.ours.median <= row.target.value;
  if (row.target.kind === 'min') return row.ours.median >= row.target.value;
  return row.ours.max <= row.target.value;
}

export function markdownTable(rows: Row[]): string {
  const lines = [
    '| # | measurement | ours: median (min-max) | baseline | baseline: median (min-max) | ratio | target | met |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const row of rows) {
    const met = targetMet(row);
    lines.push(
      `| ${[
        row.item,
        row.measurement,
        formatSummary(row.ours, row.unit),
        row.baselineLabel ? `\`${row.baselineLabel.replace(/\|/g, '\\|')}\`` : '',
        row.baseline ? formatSummary(row.baseline, row.unit) : '',
        row.ratio
          ? `${row.ratio.median.toFixed(2)}x (${row.ratio.min.toFixed(2)}-${row.ratio.max.toFixed(2)})`
          : '',
        row.target ? formatTarget(row.target, row.unit) : '',
        met === undefined ? '' : met ? 'yes' : '**no**',
      ].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

function formatSummary(s: Summary, unit: Unit): string {
  const f = (v: number) => formatValue(v, unit);
  return s.runs === 1 || s.min === s.max
    ? `${f(s.median)} (n=${s.runs})`
    : `${f(s.median)} (${f(s.min)}-${f(s.max)}, n=${s.runs})`;
}

function formatTarget(target: Target, unit: Unit): string {
  if (target.kind === 'ratio') return `<= ${target.value}x`;
  if (target.kind === 'min') return `>= ${formatValue(target.value, unit)}`;
  return `<= ${formatValue(target.value, unit)}${target.kind === 'median' ? ' (median)' : ''}`;
}

function formatValue(value: number, unit: Unit): string {
  if (unit === 'ms') return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(0)} ms`;
  if (unit === 'MB') return `${value.toFixed(1)} MB`;
  if (unit === 'requests') return `${value}`;
  return `${value} B`;
}
