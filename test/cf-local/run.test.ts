/**
 * `cf-local run` with real processes: what each process of a container sees (launcher, env,
 * memory), instances, codependent crashes, the memory limit and a clean stop.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { stage } from '../../tools/cf-local/index.js';
import { createMemoryCgroup } from '../../tools/cf-local/run/memory-cgroup.js';
import { tempDir } from '../support/tmp.js';
import { BINARY_BUILDPACK, withRunningApp } from '../integration/support/apps.js';

/** Prints what a process sees, one `KEY=value` per line, tagged with WHO. */
const DUMP =
  'for k in PORT MEMORY_LIMIT HOME DEPS_DIR TMPDIR CF_INSTANCE_INDEX FROM_PROFILE_D FROM_DOT_PROFILE_D FROM_DOT_PROFILE; do echo "$WHO $k=${!k}"; done; ' +
  'echo "$WHO VCAP=$VCAP_APPLICATION"; echo "$WHO NODE=$(command -v node)"';

/** A supply buildpack adding a sidecar `dumper` (256 MB) and a profile.d script. */
async function dumperBuildpack(): Promise<string> {
  const dir = await tempDir('dumper-bp-');
  await mkdir(join(dir, 'bin'));
  const launch = {
    processes: [
      {
        type: 'dumper',
        command: `WHO=sidecar; ${DUMP}; exec sleep 300`,
        platforms: { cloudfoundry: { sidecar_for: ['web'] } },
        limits: { memory: 256 },
      },
    ],
  };
  const supply = `#!/usr/bin/env bash
set -euo pipefail
mkdir -p "$3/$4/profile.d"
cat > "$3/$4/launch.yml" <<'JSON'
${JSON.stringify(launch)}
JSON
cat > "$3/$4/profile.d/dumper.sh" <<'SH'
export FROM_PROFILE_D="app=$1 cmd=\${2:0:8}"
SH
`;
  await writeFile(join(dir, 'bin', 'supply'), supply);
  await chmod(join(dir, 'bin', 'supply'), 0o755);
  return dir;
}

async function dumperApp(): Promise<string> {
  const dir = await tempDir('dumper-app-');
  await mkdir(join(dir, '.profile.d'));
  await writeFile(join(dir, '.profile.d', 'a.sh'), 'export FROM_DOT_PROFILE_D="after:$FROM_PROFILE_D"\n');
  await writeFile(join(dir, '.profile'), 'export FROM_DOT_PROFILE=yes\n');
  await writeFile(
    join(dir, 'Procfile'),
    `web: WHO=web; ${DUMP}; exec python3 -m http.server "$PORT" --bind 0.0.0.0\n`,
  );
  return dir;
}

/** The `KEY=value` lines a process printed, by key. */
function seen(lines: Array<{ text: string }>, who: 'web' | 'sidecar'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { text } of lines) {
    if (!text.startsWith(`${who} `)) continue;
    const [key, ...value] = text.slice(who.length + 1).split('=');
    out[key!] = value.join('=');
  }
  return out;
}

const CGROUP = await (async () => {
  const probe = await createMemoryCgroup(`cf-local-probe-${process.pid}`, 64);
  if (probe.ok) await probe.cgroup.remove();
  return probe;
})();

let stagedDir: string;

/** Stages an app that is just this Procfile, with the binary fixture buildpack. */
async function stageProcfile(procfile: string): Promise<string> {
  const dir = await tempDir('procfile-app-');
  await writeFile(join(dir, 'Procfile'), procfile);
  const outcome = await stage({
    appDir: dir,
    buildpacks: [BINARY_BUILDPACK],
    cacheDir: await tempDir('cache-'),
    outDir: await tempDir('staged-'),
  });
  if (!outcome.ok) throw new Error(outcome.log.join('\n'));
  return outcome.stagedDir;
}

beforeAll(async () => {
  const outcome = await stage({
    appDir: await dumperApp(),
    buildpacks: [await dumperBuildpack(), BINARY_BUILDPACK],
    cacheDir: await tempDir('cache-'),
    outDir: await tempDir('staged-'),
  });
  if (!outcome.ok) throw new Error(outcome.log.join('\n'));
  stagedDir = outcome.stagedDir;
});

describe('cf-local run', () => {
  it("starts every process with the final buildpack's config.yml entrypoint_prefix, as the launcher does", async () => {
    const bp = await tempDir('prefix-bp-');
    await mkdir(join(bp, 'bin'));
    const scripts = {
      supply:
        'printf "name: prefixed\\nversion: 1\\nconfig:\\n  entrypoint_prefix: env VIA_PREFIX=yes bash -c\\n" > "$3/$4/config.yml"',
      finalize: 'true',
      release:
        'echo \'default_process_types: {web: echo "web prefix=$VIA_PREFIX"; exec python3 -m http.server $PORT --bind 0.0.0.0}\'',
    };
    for (const [name, body] of Object.entries(scripts)) {
      await writeFile(join(bp, 'bin', name), `#!/usr/bin/env bash\nset -euo pipefail\n${body}\n`);
      await chmod(join(bp, 'bin', name), 0o755);
    }
    const app = await tempDir('prefix-app-');
    await writeFile(join(app, 'README'), 'an app\n');
    const outcome = await stage({
      appDir: app,
      buildpacks: [bp],
      cacheDir: await tempDir('cache-'),
      outDir: await tempDir('staged-'),
    });
    expect(outcome.ok, outcome.log.join('\n')).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.result.lifecycle_metadata.buildpacks[0]?.config).toEqual({
      entrypoint_prefix: 'env VIA_PREFIX=yes bash -c',
    });
    await withRunningApp({ stagedDir: outcome.stagedDir, memory: '256M' }, async (running) => {
      expect((await running.waitForLog('web prefix=')).text).toBe('web prefix=yes');
    });
  });

  it('starts the app and its sidecar through the launcher with the platform env', async () => {
    await withRunningApp({ stagedDir, memory: '1G' }, async (app) => {
      const view = await app.waitUntilRunning();
      await app.waitForLog('sidecar NODE=');
      await app.waitForLog('web NODE=');
      const web = seen(app.logs, 'web');
      const sidecar = seen(app.logs, 'sidecar');
      expect(web.PORT).toBe(String(view.port));
      expect(sidecar.PORT).toBe(String(view.port));
      expect(web.MEMORY_LIMIT).toBe('768m');
      expect(sidecar.MEMORY_LIMIT).toBe('256m');
      expect(JSON.parse(web.VCAP!)).toMatchObject({ process_type: 'web', limits: { mem: 768 } });
      expect(JSON.parse(sidecar.VCAP!)).toMatchObject({ process_type: 'web', limits: { mem: 256 } });
      expect(web.HOME).toBe(join(view.home, 'app'));
      expect(web.DEPS_DIR).toBe(join(view.home, 'deps'));
      expect(web.TMPDIR).toBe(join(view.home, 'tmp'));
      // ../profile.d, then .profile.d, then .profile, with $1 = app dir and $2 = the command.
      expect(web.FROM_PROFILE_D).toBe(`app=${join(view.home, 'app')} cmd=WHO=web;`);
      expect(sidecar.FROM_PROFILE_D).toBe(`app=${join(view.home, 'app')} cmd=WHO=side`);
      expect(web.FROM_DOT_PROFILE_D).toBe(`after:${web.FROM_PROFILE_D}`);
      expect(sidecar.FROM_DOT_PROFILE).toBe('yes');
      expect(web.NODE).toBe('');
    });
  });

  it("leaves the app's MEMORY_LIMIT whole when emulating a Cloud Controller that does not subtract", async () => {
    await withRunningApp({ stagedDir, memory: '1G', subtractSidecarMemory: false }, async (app) => {
      await app.waitForLog('web VCAP=');
      expect(seen(app.logs, 'web').MEMORY_LIMIT).toBe('1024m');
      expect(JSON.parse(seen(app.logs, 'web').VCAP!)).toMatchObject({ limits: { mem: 1024 } });
    });
  });

  it('runs instances side by side, each with its own address (or port) and index', async () => {
    await withRunningApp({ stagedDir, instances: 2, memory: '512M' }, async (app) => {
      const [zero, one] = await Promise.all([app.waitUntilRunning(0), app.waitUntilRunning(1)]);
      expect(app.url(0)).not.toBe(app.url(1));
      // A network namespace each, as on a cell (root): PORT 8080 in both; else a port each.
      if (zero.ip !== '127.0.0.1') expect([zero.port, one.port]).toEqual([8080, 8080]);
      else expect(zero.port).not.toBe(one.port);
      expect((await fetch(app.url(1))).status).toBe(200);
      const indexes = app.logs
        .filter((l) => l.text.startsWith('web CF_INSTANCE_INDEX='))
        .map((l) => `${l.index}:${l.text}`);
      expect(indexes.sort()).toEqual(['0:web CF_INSTANCE_INDEX=0', '1:web CF_INSTANCE_INDEX=1']);
    });
  });

  describe('failure cases', () => {
    it('crashes the instance when the app exits, and stays down with restarts off', async () => {
      await withRunningApp({ stagedDir, restart: false }, async (app) => {
        const view = await app.waitUntilRunning();
        const web = view.processes.find((p) => !p.isSidecar)!;
        process.kill(web.pid, 'SIGTERM');
        const crash = await app.waitForLog('App instance exited');
        expect(crash.text).toContain('"exit_description"=>"APP/PROC/WEB: Exited with status 143"');
        expect(app.instance().state).toBe('crashed');
        expect(app.logs.filter((l) => l.text.startsWith('Cell cf-local creating container'))).toHaveLength(1);
      });
    });

    it('crashes an app that never listens on PORT once the health check times out', async () => {
      const deaf = await stageProcfile('web: exec sleep 300\n');
      await withRunningApp({ stagedDir: deaf, healthCheckTimeoutMs: 300, restart: false }, async (app) => {
        const crash = await app.waitForLog('App instance exited');
        expect(crash.text).toMatch(
          /Instance never healthy after 0\.3s: Failed to make TCP connection to port \d+/,
        );
      });
    });

    it('crashes an instance whose web port stops answering after it was healthy', async () => {
      // Listens for a second, then closes the socket and stays alive: the PID lives, the port dies.
      const closer =
        "import os, socket, time; s = socket.socket(); s.bind(('0.0.0.0', int(os.environ['PORT']))); s.listen(); time.sleep(1); s.close(); time.sleep(300)";
      const stagedCloser = await stageProcfile(`web: exec python3 -c "${closer}"\n`);
      await withRunningApp(
        { stagedDir: stagedCloser, livenessIntervalMs: 100, restart: false },
        async (app) => {
          const view = await app.waitUntilRunning();
          const crash = await app.waitForLog('App instance exited');
          expect(crash.text).toContain(
            `"exit_description"=>"Instance became unhealthy: Failed to make TCP connection to port ${view.port}: connection refused"`,
          );
        },
      );
    });

    it.skipIf(!CGROUP.ok)(
      'OOM-kills a container that outgrows its memory limit (exit 137, out of memory)',
      async () => {
        const hungry = await stageProcfile(
          `web: python3 -c 'import time; x = bytearray(400 * 1024 * 1024); time.sleep(300)'\n`,
        );
        await withRunningApp(
          { stagedDir: hungry, memory: '128M', healthCheckType: 'process', restart: false },
          async (app) => {
            const crash = await app.waitForLog('App instance exited');
            expect(crash.text).toContain('APP/PROC/WEB: Exited with status 137 (out of memory)');
            expect(app.memoryLimit).toMatch(/^cgroup v[12] /);
          },
        );
      },
    );
  });
});

describe("a process's stdout and stderr", () => {
  it('are pipes, as a cell gives them: > /dev/stdout and > /dev/stderr work', async () => {
    const staged = await stageProcfile(
      'web: test -p /dev/stdout && test -p /dev/stderr && echo "stdio are pipes"; echo "to stdout" > /dev/stdout; echo "to stderr" > /dev/stderr; exec python3 -m http.server "$PORT" --bind 0.0.0.0\n',
    );
    await withRunningApp({ stagedDir: staged, memory: '256M' }, async (app) => {
      await app.waitUntilRunning();
      await app.waitForLog('to stderr');
      const texts = app.logs.map((l) => l.text);
      expect(texts).toContain('stdio are pipes');
      expect(texts).toContain('to stdout');
      expect(texts).not.toContainEqual(expect.stringMatching(/No such device or address/));
    });
  });
});

describe('a network namespace per container', () => {
  const isolated = process.getuid?.() === 0;

  it.skipIf(!isolated)('gives PORT 8080 and the container its own address, as Diego sets them', async () => {
    const staged = await stageProcfile(
      'web: echo "net $PORT $CF_INSTANCE_INTERNAL_IP $CF_INSTANCE_ADDR $CF_INSTANCE_PORTS"; exec python3 -m http.server "$PORT" --bind 0.0.0.0\n',
    );
    await withRunningApp({ stagedDir: staged, memory: '256M' }, async (app) => {
      const view = await app.waitUntilRunning();
      const line = await app.waitForLog('net ');
      expect(view.ip).toMatch(/^10\.254\.\d+\.\d+$/);
      expect(line.text).toBe(`net 8080 ${view.ip} ${view.ip}:8080 [{"external":8080,"internal":8080}]`);
      expect((await fetch(app.url())).status).toBe(200);
    });
  });

  it.skipIf(!isolated)(
    'never calls an app healthy that listens on 127.0.0.1 only, as a cell does not',
    async () => {
      const staged = await stageProcfile('web: exec python3 -m http.server "$PORT" --bind 127.0.0.1\n');
      await withRunningApp(
        { stagedDir: staged, memory: '256M', healthCheckTimeoutMs: 2000, restart: false },
        async (app) => {
          const crash = await app.waitForLog('App instance exited');
          expect(crash.text).toContain(
            'Instance never healthy after 2s: Failed to make TCP connection to port 8080',
          );
        },
      );
    },
  );
});
