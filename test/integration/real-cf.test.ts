/**
 * The tutorial on a real foundation (skipped unless CF_API is set and `cf` is logged in; see
 * support/real-cf.ts): the same app and expectations as tutorial.test.ts, through `cf push`.
 * What cf-local checks locally must hold here too: GET /config is answered by the sidecar, the
 * staged sidecar reserves 64 MB, and killing the sidecar crashes and restarts the instance.
 * Needs `cf ssh` allowed, and python3 in the stack (cflinuxfs4 ships it, without promising it).
 */
import { randomUUID } from 'node:crypto';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { REAL_CF, SIDECAR_BUILDPACK_NAME } from './support/real-cf.js';
import { poll, TUTORIAL_APP } from './support/apps.js';

async function cf(args: string[]): Promise<string> {
  const result = await execa('cf', args, { all: true, reject: false, timeout: 600_000 });
  if (result.exitCode !== 0) throw new Error(`cf ${args.join(' ')} failed:\n${result.all}`);
  return result.all ?? '';
}

describe.skipIf(!REAL_CF)('real Cloud Foundry: the tutorial', () => {
  it(
    'pushes with the sidecar buildpack, serves GET /config, and restarts when the sidecar is killed',
    { timeout: 900_000 },
    async () => {
      const name = `sidecar-bp-it-${randomUUID().slice(0, 8)}`;
      try {
        await cf([
          'push',
          name,
          '-p',
          TUTORIAL_APP,
          '-b',
          SIDECAR_BUILDPACK_NAME,
          '-b',
          'binary_buildpack',
          '-m',
          '256M',
          '--random-route',
        ]);
        const guid = (await cf(['app', name, '--guid'])).trim();
        const sidecars = JSON.parse(await cf(['curl', `/v3/apps/${guid}/sidecars`])) as {
          resources: Array<{ name: string; memory_in_mb: number; origin: string }>;
        };
        expect(sidecars.resources).toContainEqual(
          expect.objectContaining({ name: 'config-server', memory_in_mb: 64, origin: 'buildpack' }),
        );

        const route = /routes:\s+(\S+)/.exec(await cf(['app', name]))?.[1];
        expect(route).toBeTruthy();
        const body = await poll(
          async () => {
            const response = await fetch(`https://${route}/config`);
            return response.ok ? response.text() : undefined;
          },
          60_000,
          1000,
        );
        expect(JSON.parse(body)).toMatchObject({ Scope: 'config-server-sidecar' });

        await cf(['ssh', name, '-c', 'pkill -9 -f config-server']);
        const events = await poll(
          async () => {
            const text = await cf(['events', name]);
            return text.includes('APP/PROC/WEB/SIDECAR/CONFIG-SERVER: Exited with status 137')
              ? text
              : undefined;
          },
          120_000,
          1000,
        );
        expect(events).toMatch(/app(\.process)?\.crash/);
      } finally {
        await cf(['delete', name, '-f', '-r']).catch(() => undefined);
      }
    },
  );
});
