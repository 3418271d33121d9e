/**
 * The memory proof: the Java buildpack memory calculator's algorithm (cf-contract section 3)
 * applied to the MEMORY_LIMIT the start command sees, under both platform behaviours, gives
 * JVM total + sidecar memory <= container memory. First with the algorithm in TypeScript, then
 * with a staged droplet whose final buildpack has the Java buildpack's start command shape
 * (fixtures/buildpacks/java-shaped, with a bash stand-in calculator and java).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { execa } from 'execa';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calculateJvmMemory, MB } from '../../src/runtime/jvm-memory.js';
import { buildRuntimeJson } from '../../src/runtime/runtime-config.js';
import { FIXTURES, tutorialBuildpack } from '../support/buildpack.js';
import { startServer, type TestServer } from '../support/http-server.js';
import { runPhase, stagingDirs, supplyArgs } from '../support/staging.js';
import { tempDir } from '../support/tmp.js';
import { dropletFromStaging, launch, makeDroplet, MiB, setCgroupLimit, type Droplet } from './launcher.js';

const CONTAINER_MB = 1024;
const SIDECARS_MB = 256;
const CLASSES = 15_000;
const BEHAVIOURS = [
  { name: 'Cloud Controller subtracts the sidecars', memoryLimit: `${CONTAINER_MB - SIDECARS_MB}m` },
  { name: 'an older Cloud Controller does not', memoryLimit: `${CONTAINER_MB}m` },
];
const JAVA_SHAPED = join(FIXTURES, 'buildpacks', 'java-shaped');
const CALCULATOR = join(JAVA_SHAPED, 'resources', 'java-buildpack-memory-calculator');

function mbOf(memoryLimit: string): number {
  const match = /^(\d+)m$/.exec(memoryLimit);
  if (!match) throw new Error(`unexpected MEMORY_LIMIT ${memoryLimit}`);
  return Number(match[1]);
}

describe('memory proof with the calculator algorithm', () => {
  let droplet: Droplet;
  beforeAll(async () => {
    droplet = await makeDroplet(
      buildRuntimeJson([{ name: 'agent', processTypes: ['web'], memoryMb: SIDECARS_MB }]),
    );
    await setCgroupLimit(droplet, String(CONTAINER_MB * MiB));
  });

  it.each(BEHAVIOURS)('JVM + sidecars fit the container when $name', async ({ memoryLimit }) => {
    const result = await launch(droplet, 'echo "$MEMORY_LIMIT"', { memoryLimit });
    const seen = result.stdout.trim().split('\n').pop() as string;
    const jvm = calculateJvmMemory({ totalBytes: mbOf(seen) * MB, loadedClassCount: CLASSES });
    expect(jvm).toBeDefined();
    const used = (jvm?.jvmTotal ?? 0) + SIDECARS_MB * MB;
    console.log(
      `${memoryLimit} -> start command sees ${seen}: JVM ${(jvm?.jvmTotal ?? 0) / MB}M + sidecars ${SIDECARS_MB}M = ${used / MB}M of ${CONTAINER_MB}M`,
    );
    expect(used).toBeLessThanOrEqual(CONTAINER_MB * MB);
  });

  it('without the guard an older Cloud Controller overcommits the container (the OOM it prevents)', () => {
    const jvm = calculateJvmMemory({ totalBytes: CONTAINER_MB * MB, loadedClassCount: CLASSES });
    expect((jvm?.jvmTotal ?? 0) + SIDECARS_MB * MB).toBeGreaterThan(CONTAINER_MB * MB);
  });

  it('the bash stand-in calculator of the fixture computes what the TypeScript algorithm computes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 256, max: 8192 }),
        fc.integer({ min: 1000, max: 40_000 }),
        fc.integer({ min: 10, max: 300 }),
        async (totalMb, classes, threads) => {
          const result = await execa(
            CALCULATOR,
            [`--total-memory=${totalMb}m`, `--loaded-class-count=${classes}`, `--thread-count=${threads}`],
            { reject: false },
          );
          const expected = calculateJvmMemory({
            totalBytes: totalMb * MB,
            loadedClassCount: classes,
            threadCount: threads,
          });
          if (!expected) {
            expect(result.exitCode).toBe(1);
            expect(result.stderr).toContain('is greater than');
            return;
          }
          expect(result.stdout).toBe(
            `-XX:MaxDirectMemorySize=10M -XX:MaxMetaspaceSize=${Math.floor(expected.metaspace / 1024)}K -XX:ReservedCodeCacheSize=240M -Xss1M -Xmx${Math.floor(expected.heap / 1024)}K`,
          );
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('memory proof with a Java-shaped final buildpack', () => {
  let server: TestServer;
  let buildpack: string;
  beforeAll(async () => {
    server = await startServer();
    buildpack = await tutorialBuildpack(server);
  });
  afterAll(() => server.close());

  /** cf push -b sidecar_buildpack -b java-shaped: supply at 0, the fixture's supply + finalize at 1, its release. */
  async function stageJavaApp(appEnv: Record<string, string> = {}) {
    const dirs = await stagingDirs(join(FIXTURES, 'apps', 'config-server-app'), 2);
    await writeFile(
      join(dirs.buildDir, 'sidecars.yml'),
      `sidecars:\n  - name: config-server\n    dependency: config-server\n    command: ./config-server\n    memory: ${SIDECARS_MB}M\n`,
    );
    const profileDir = join(await tempDir('profile-d-'), 'profile.d');
    const env = { MEMORY_LIMIT: '1024m', ...appEnv };
    for (const [bp, phase, args] of [
      [buildpack, 'supply', supplyArgs(dirs, 0)],
      [JAVA_SHAPED, 'supply', supplyArgs(dirs, 1)],
      [JAVA_SHAPED, 'finalize', [...supplyArgs(dirs, 1), profileDir]],
    ] as const) {
      const result = await runPhase(bp, phase, [...args], { env });
      expect(result.exitCode, result.all).toBe(0);
    }
    const release = await runPhase(JAVA_SHAPED, 'release', [dirs.buildDir]);
    const web = (parse(release.stdout) as { default_process_types: { web: string } }).default_process_types
      .web;
    expect(web).toContain('--total-memory=$MEMORY_LIMIT');

    // The droplet as unpacked at /home/vcap: app/, deps/, profile.d/ (the finalize's PROFILE_DIR).
    const droplet = await dropletFromStaging({ ...dirs, profileDir });
    await setCgroupLimit(droplet, String(CONTAINER_MB * MiB));
    return { droplet, web };
  }

  for (const copy of [false, true]) {
    it.each(BEHAVIOURS)(
      `JVM total + sidecars <= container when $name (${copy ? 'libbuildpack-style final: both profile.d copies' : 'Java buildpack v4 style: only .profile.d'})`,
      async ({ memoryLimit }) => {
        const { droplet, web } = await stageJavaApp(copy ? { JAVA_SHAPED_COPY_PROFILE_D: '1' } : {});
        const result = await launch(droplet, web, { memoryLimit, env: { JAVA_STANDIN_EXIT: '1' } });
        expect(result.exitCode, result.all).toBe(0);
        expect(result.all.match(/memory guard:/g)).toHaveLength(1);
        expect(result.stdout).toMatch(/^JVM Memory Configuration: -XX:MaxDirectMemorySize=10M /m);
        const match = /java stand-in: JVM total \d+M \((\d+)K: .*\) for MEMORY_LIMIT=(\d+m)/.exec(
          result.stdout,
        );
        expect(match, result.all).not.toBeNull();
        const jvmBytes = Number(match?.[1]) * 1024;
        expect(match?.[2]).toBe(`${CONTAINER_MB - SIDECARS_MB}m`);
        expect(jvmBytes + SIDECARS_MB * MB).toBeLessThanOrEqual(CONTAINER_MB * MB);
        console.log(`java-shaped, ${memoryLimit}${copy ? ', both copies' : ''}: ${match?.[0]}`);
      },
    );
  }

  it('a libbuildpack-style final buildpack copies the same guard script into ../profile.d', async () => {
    const { droplet } = await stageJavaApp({ JAVA_SHAPED_COPY_PROFILE_D: '1' });
    expect(await readFile(join(droplet.home, 'profile.d', '0_sidecar_buildpack.sh'), 'utf8')).toBe(
      await readFile(join(droplet.appDir, '.profile.d', 'sidecar_buildpack.sh'), 'utf8'),
    );
  });
});
