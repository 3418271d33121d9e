/** The bench's arithmetic and verdicts (no timing here: the bench itself is run by CI with --quick). */
import { describe, expect, it } from 'vitest';
import { markdownTable, targetMet, type Row } from '../../bench/report.js';
import { pairedRatio, summarize } from '../../bench/stats.js';

describe('summarize', () => {
  it('gives the median, min and max of odd and even counts', () => {
    expect(summarize([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3, runs: 3 });
    expect(summarize([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4, runs: 4 });
  });

  it('refuses an empty list', () => {
    expect(() => summarize([])).toThrow(/no samples/);
  });
});

describe('pairedRatio', () => {
  it('takes the median of per-pair ratios, so a slow pair does not skew it', () => {
    // The third pair ran during a burst of load: both halves are slow, its ratio is normal.
    expect(pairedRatio([11, 12, 110], [10, 10, 100]).median).toBeCloseTo(1.1);
  });

  it('refuses unpaired samples', () => {
    expect(() => pairedRatio([1, 2], [1])).toThrow(/counts differ/);
  });
});

describe('targets', () => {
  const row = (over: Partial<Row>): Row => ({
    item: 1,
    measurement: 'm',
    unit: 'ms',
    ours: summarize([10]),
    ...over,
  });

  it('judges a ratio target by the median ratio and a max target by the worst run', () => {
    expect(
      targetMet(row({ ratio: summarize([1.1, 1.2, 1.3]), target: { kind: 'ratio', value: 1.15 } })),
    ).toBe(false);
    expect(
      targetMet(row({ ratio: summarize([1.0, 1.1, 1.3]), target: { kind: 'ratio', value: 1.15 } })),
    ).toBe(true);
    expect(targetMet(row({ unit: 'B', ours: summarize([0, 0, 1]), target: { kind: 'max', value: 0 } }))).toBe(
      false,
    );
    expect(targetMet(row({}))).toBeUndefined();
  });

  it('escapes pipes of shell baselines in the markdown table', () => {
    const table = markdownTable([
      row({ baselineLabel: 'curl -s URL | tar xz', baseline: summarize([5]), ratio: summarize([2]) }),
    ]);
    expect(table).toContain('`curl -s URL \\| tar xz`');
    expect(table).toContain('2.00x');
  });
});
