/** The closing table of the supply log: one row per sidecar. Pure. */
import { formatMb } from '../config/size.js';

export interface SummaryRow {
  sidecar: string;
  version: string;
  source: string;
  processTypes: string[];
  memoryMb: number;
}

export function summaryTable(rows: SummaryRow[]): string[] {
  const header = ['SIDECAR', 'VERSION', 'SOURCE', 'PROCESS TYPES', 'MEMORY'];
  const cells = rows.map((r) => [
    r.sidecar,
    r.version,
    r.source,
    r.processTypes.join(','),
    formatMb(r.memoryMb),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const line = (c: string[]) =>
    c
      .map((v, i) => v.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  return [line(header), ...cells.map(line)];
}
