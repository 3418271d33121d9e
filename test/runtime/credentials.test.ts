/**
 * Service-binding credentials mapped into a sidecar's environment at launch, by name, label or
 * tag, with nothing from VCAP_SERVICES written to disk or the log.
 */
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CredentialsOptions } from '../../src/config/runtime-options-types.js';
import { sidecarCommand } from '../../src/launch/launch-config.js';
import { buildRuntimeJson } from '../../src/runtime/runtime-config.js';
import { launch, makeDroplet } from './launcher.js';

const PASSWORD = 's3cr3t-\'quoted\' "and" $dollar\nnew line';
const TOKEN = 'tok-8f3a9c1d2e';
const VCAP_SERVICES = JSON.stringify({
  'p.config-server': [
    {
      name: 'my-config',
      label: 'p.config-server',
      tags: ['configuration', 'spring-cloud'],
      credentials: { uri: 'https://config.example.com', client: { secret: PASSWORD, port: 8443 } },
    },
  ],
  'user-provided': [{ name: 'apm', label: 'user-provided', tags: [], credentials: { token: TOKEN } }],
});

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

async function run(credentials: CredentialsOptions[], command: string, vcapServices = VCAP_SERVICES) {
  const runtime = { credentials };
  const droplet = await makeDroplet(
    buildRuntimeJson([{ name: 'agent', processTypes: ['web'], memoryMb: 64, runtime }]),
  );
  const launchCommand = sidecarCommand('0', {
    name: 'agent',
    command,
    processTypes: ['web'],
    memoryMb: 64,
    env: {},
    runtime,
  });
  const result = await launch(droplet, launchCommand, { vcapServices });
  return { droplet, result };
}

/** Every file under `dir`, recursively, as text. */
async function allText(dir: string): Promise<string> {
  let text = '';
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) text += await readFile(join(entry.parentPath, entry.name), 'utf8');
  }
  return text;
}

describe('credentials', () => {
  it('exports credentials picked by label, tag and name into the sidecar only, in memory', async () => {
    const { droplet, result } = await run(
      [
        { by: 'label', value: 'p.config-server', env: { CONFIG_URI: ['uri'] } },
        {
          by: 'tag',
          value: 'spring-cloud',
          env: { CONFIG_SECRET: ['client', 'secret'], CONFIG_PORT: ['client', 'port'] },
        },
        { by: 'name', value: 'apm', env: { APM_TOKEN: ['token'] } },
      ],
      'for v in CONFIG_URI CONFIG_SECRET CONFIG_PORT APM_TOKEN; do printf "%s=" "$v"; printf %s "${!v}" | sha256sum | cut -c1-64; done',
    );
    expect(result.exitCode, result.all).toBe(0);
    expect(result.stdout).toContain(`CONFIG_URI=${sha('https://config.example.com')}`);
    expect(result.stdout).toContain(`CONFIG_SECRET=${sha(PASSWORD)}`);
    expect(result.stdout).toContain(`CONFIG_PORT=${sha('8443')}`);
    expect(result.stdout).toContain(`APM_TOKEN=${sha(TOKEN)}`);
    for (const secret of [PASSWORD, TOKEN, 's3cr3t']) {
      expect(result.all).not.toContain(secret);
      expect(await allText(droplet.home)).not.toContain(secret);
    }
  });

  it('refuses to start the sidecar with one clear line when no bound service matches', async () => {
    const { result } = await run(
      [{ by: 'tag', value: 'mysql', env: { DB_PASSWORD: ['password'] } }],
      'echo started',
    );
    expect(result.exitCode).toBe(1);
    expect(result.stdout).not.toContain('started');
    expect(result.stderr).toContain(
      '[sidecar-buildpack] agent: **ERROR** no bound service with tag "mysql" in VCAP_SERVICES; bind the service or fix credentials: in sidecars.yml',
    );
  });

  it('names the service and the key, never a value, when a key is missing or the match is ambiguous', async () => {
    const twice = JSON.stringify({
      a: [{ name: 'one', tags: ['db'], credentials: { password: PASSWORD } }],
      b: [{ name: 'two', tags: ['db'], credentials: { password: PASSWORD } }],
    });
    const ambiguous = await run([{ by: 'tag', value: 'db', env: { DB: ['password'] } }], 'true', twice);
    expect(ambiguous.result.exitCode).toBe(1);
    expect(ambiguous.result.stderr).toContain(
      '2 bound services have tag "db" (one, two); select one by name',
    );
    const missing = await run(
      [{ by: 'name', value: 'my-config', env: { USER: ['client', 'user'] } }],
      'true',
    );
    expect(missing.result.exitCode).toBe(1);
    expect(missing.result.stderr).toContain('service "my-config" has no credentials.client.user for USER');
    expect(ambiguous.result.all + missing.result.all).not.toContain('s3cr3t');
  });

  it('treats a missing VCAP_SERVICES as no bound services', async () => {
    const runtime = { credentials: [{ by: 'name' as const, value: 'apm', env: { T: ['token'] } }] };
    const droplet = await makeDroplet(
      buildRuntimeJson([{ name: 'agent', processTypes: ['web'], memoryMb: 64, runtime }]),
    );
    const command = sidecarCommand('0', {
      name: 'agent',
      command: 'true',
      processTypes: ['web'],
      memoryMb: 64,
      env: {},
      runtime,
    });
    const result = await launch(droplet, command);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('no bound service with name "apm"');
  });
});
