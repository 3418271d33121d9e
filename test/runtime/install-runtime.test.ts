/** Supply's run-time step on a real temp dir. */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeRuntimeData } from '../../src/runtime/install-runtime.js';
import { buildRuntimeJson } from '../../src/runtime/runtime-config.js';
import { tempDir } from '../support/tmp.js';

describe('writing the run-time files', () => {
  it('stops between process types at a SIGTERM (an aborted signal), before writing the next', async () => {
    const types = Array.from({ length: 50 }, (_, i) => `worker${i}`);
    const runtime = buildRuntimeJson([{ name: 'agent', processTypes: types, memoryMb: 64 }]);
    const dest = await tempDir('runtime-');
    const controller = new AbortController();
    const reason = new Error('SIGTERM');
    controller.abort(reason);
    await expect(writeRuntimeData(dest, runtime, controller.signal)).rejects.toBe(reason);
    expect(await readdir(join(dest, 'process-types'))).toEqual([]);
    // Without a signal, every type gets its file.
    await writeRuntimeData(dest, runtime);
    expect(await readdir(join(dest, 'process-types'))).toHaveLength(50);
  });
});
