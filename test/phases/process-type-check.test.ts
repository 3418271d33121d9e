import { describe, expect, it } from 'vitest';
import { unknownProcessTypeWarnings } from '../../src/phases/process-type-check.js';

describe('sidecars for process types the app does not have', () => {
  it('warns, naming the types the app has and the closest one', () => {
    expect(
      unknownProcessTypeWarnings([{ name: 'agent', processTypes: ['web', 'wroker'] }], ['web', 'worker']),
    ).toEqual([
      'agent: process_types names "wroker", which is no process type of the app yet (the app has web, worker (web and its Procfile\'s)); unless a later buildpack adds it, the sidecar never runs. Did you mean "worker"?',
    ]);
  });

  it('knows only web without a Procfile, and says so', () => {
    expect(unknownProcessTypeWarnings([{ name: 'agent', processTypes: ['clock'] }], undefined)).toEqual([
      'agent: process_types names "clock", which is no process type of the app yet (the app has no Procfile, so only web is known); unless a later buildpack adds it, the sidecar never runs',
    ]);
  });

  it('is silent for types the app has', () => {
    expect(unknownProcessTypeWarnings([{ name: 'a', processTypes: ['web', 'worker'] }], ['worker'])).toEqual(
      [],
    );
  });
});
