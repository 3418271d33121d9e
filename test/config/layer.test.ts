/**
 * The operator's defaults ($SIDECARS_DEFAULTS_YML) beneath the app's sidecars.yml: per sidecar
 * and per key, switched off by the app unless required, and each layer named in the log.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAppConfig } from '../../src/config/load.js';
import { UserError } from '../../src/errors.js';
import { tempDir } from '../support/tmp.js';

const DEFAULTS = `sidecars:
  - name: otel
    dependency: otelcol
    memory: 128M
    env: { OTEL_LOG_LEVEL: warn, OTEL_EXPORTER: otlp }
    required: true
  - name: proxy
    uri: https://example.com/proxy.tgz
    sha256: ${'a'.repeat(64)}
    command: ./proxy
    memory: 32M
`;

async function load(sidecarsYml: string | undefined, env: Record<string, string> = {}) {
  const app = await tempDir('layer-app-');
  await mkdir(app, { recursive: true });
  if (sidecarsYml !== undefined) await writeFile(join(app, 'sidecars.yml'), sidecarsYml);
  return loadAppConfig(app, { SIDECARS_DEFAULTS_YML: DEFAULTS, ...env });
}

describe('operator defaults beneath the app config', () => {
  it('stages the defaults alone for an app without sidecars.yml', async () => {
    const config = await load(undefined);
    expect(config?.sources).toEqual(['$SIDECARS_DEFAULTS_YML (operator)']);
    expect(config?.sidecars.map((s) => [s.name, s.source.kind, s.memoryMb])).toEqual([
      ['otel', 'dependency', 128],
      ['proxy', 'uri', 32],
    ]);
    expect(config?.layering).toEqual([
      "otel: the operator's default, as it is",
      "proxy: the operator's default, as it is",
    ]);
  });

  it('layers restart, over_memory and priority per option, and names them as sidecars.yml does', async () => {
    const app = await tempDir('layer-app-');
    await writeFile(
      join(app, 'sidecars.yml'),
      ['sidecars:', '  - name: otel', '    priority: low', '    over_memory: warn'].join('\n'),
    );
    const config = await loadAppConfig(app, {
      SIDECARS_DEFAULTS_YML: DEFAULTS.replace(
        '    required: true\n',
        '    required: true\n    restart: on-failure\n',
      ),
    });
    expect(config?.sidecars[0]?.runtime).toEqual({
      restart: { policy: 'on-failure', maxRestarts: 5, withinSeconds: 600 },
      overMemory: 'warn',
      priority: 'low',
    });
    expect(config?.layering?.[0]).toBe(
      "otel: the operator's default, with over_memory, priority from sidecars.yml",
    );
  });

  it('lets the app override a default key by key, switch one off, and add its own', async () => {
    const config = await load(
      [
        'sidecars:',
        '  - name: otel',
        '    memory: 256M',
        '    env: { OTEL_LOG_LEVEL: debug }',
        '  - name: proxy',
        '    enabled: false',
        '  - name: mine',
        '    command: ./mine',
        '    memory: 16M',
      ].join('\n'),
    );
    const otel = config?.sidecars.find((s) => s.name === 'otel');
    expect(otel?.source).toEqual({ kind: 'dependency', dependency: 'otelcol' });
    expect(otel?.memoryMb).toBe(256);
    expect(otel?.env).toEqual({ OTEL_LOG_LEVEL: 'debug', OTEL_EXPORTER: 'otlp' });
    expect(otel?.origin).toEqual({ file: 'sidecars.yml', line: 2 });
    expect(config?.sidecars.map((s) => s.name)).toEqual(['otel', 'mine']);
    expect(config?.sources).toEqual(['$SIDECARS_DEFAULTS_YML (operator)', 'sidecars.yml']);
    expect(config?.layering).toEqual([
      "otel: the operator's default, with memory, env.OTEL_LOG_LEVEL from sidecars.yml",
      "proxy: the operator's default, switched off by sidecars.yml",
    ]);
    expect(config?.layeringWarnings).toEqual([]);
  });

  it('keeps a required default the app switches off, with a warning', async () => {
    const config = await load('sidecars:\n  - name: otel\n    enabled: false\n');
    expect(config?.sidecars.map((s) => s.name)).toEqual(['otel', 'proxy']);
    expect(config?.layeringWarnings).toEqual([
      "otel: sidecars.yml switches it off (enabled: false), but the operator's defaults mark it required; it is staged",
    ]);
  });

  it('is not replaced by an app that sets SIDECARS_YML, as the staging group variable would be', async () => {
    const config = await load(undefined, {
      SIDECARS_YML: 'sidecars:\n  - name: mine\n    command: ./m\n    memory: 8M\n',
    });
    expect(config?.sidecars.map((s) => s.name)).toEqual(['otel', 'proxy', 'mine']);
  });

  it('refuses required: in an app document, naming the file and key', async () => {
    const error = await load(
      'sidecars:\n  - name: x\n    command: ./x\n    memory: 8M\n    required: true\n',
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).describe()).toBe(
      "sidecars.yml:5: sidecars[0].required: only the operator's defaults ($SIDECARS_DEFAULTS_YML) can mark a sidecar required",
    );
  });
});
