/** when_bound: parsing, and which sidecars a staging's VCAP_SERVICES turns on. */
import { describe, expect, it } from 'vitest';
import { parseSidecarsDocument } from '../../src/config/parse.js';
import { boundServices, selectWhenBound } from '../../src/config/when-bound.js';
import type { SidecarConfig } from '../../src/config/config-types.js';
import { UserError } from '../../src/errors.js';

const VCAP = JSON.stringify({
  newrelic: [{ name: 'my-nr', label: 'newrelic', tags: ['apm'], credentials: { licenseKey: 'k' } }],
  'user-provided': [{ name: 'otel-endpoint', tags: ['otlp'], credentials: {} }],
});

function parsed(text: string): SidecarConfig[] {
  return parseSidecarsDocument(text, 'sidecars.yml').sidecars as SidecarConfig[];
}

describe('boundServices', () => {
  it("reads name, label (the offering's key when the entry has none) and tags", () => {
    expect(boundServices(VCAP).services).toEqual([
      { name: 'my-nr', label: 'newrelic', tags: ['apm'] },
      { name: 'otel-endpoint', label: 'user-provided', tags: ['otlp'] },
    ]);
  });

  it('takes no VCAP_SERVICES as no service, and names what is wrong with a broken one', () => {
    expect(boundServices(undefined)).toEqual({ services: [] });
    expect(boundServices('{oops')).toEqual({ services: [], problem: '$VCAP_SERVICES is not JSON' });
    expect(boundServices('[]').problem).toBe('$VCAP_SERVICES is not a JSON object of offerings');
  });
});

describe('when_bound', () => {
  const doc = (selector: string) =>
    `sidecars:\n  - name: agent\n    dependency: otelcol\n    memory: 64M\n    when_bound: ${selector}\n  - name: always\n    dependency: otelcol\n    memory: 64M\n`;

  it.each([
    ['{label: newrelic}', 'staged, turned on by the bound service "my-nr" (label "newrelic")'],
    ['{name: my-nr}', 'staged, turned on by the bound service "my-nr" (name "my-nr")'],
    ['{tag: otlp}', 'staged, turned on by the bound service "otel-endpoint" (tag "otlp")'],
  ])('stages the sidecar when a bound service matches %s', (selector, line) => {
    const result = selectWhenBound(parsed(doc(selector)), boundServices(VCAP).services);
    expect(result.sidecars.map((s) => s.name)).toEqual(['agent', 'always']);
    expect(result.lines).toEqual([`agent: ${line}`]);
  });

  it('leaves the sidecar out, and says so, when none does', () => {
    const result = selectWhenBound(parsed(doc('{label: dynatrace}')), boundServices(VCAP).services);
    expect(result.sidecars.map((s) => s.name)).toEqual(['always']);
    expect(result.lines).toEqual([
      'agent: not staged, no bound service has label "dynatrace" (when_bound); bind one and restage',
    ]);
  });

  it.each([
    ['{}', 'names no service: give one of name, label or tag'],
    ['{label: a, tag: b}', 'gives label and tag: give exactly one of name, label or tag'],
    ['{labels: a}', 'unknown key; did you mean "label"?'],
    ['newrelic', 'expected a map of keys'],
  ])('refuses when_bound: %s', (selector, message) => {
    expect(() => parsed(doc(selector))).toThrow(UserError);
    try {
      parsed(doc(selector));
    } catch (error) {
      expect((error as UserError).describe()).toContain(message);
    }
  });
});

describe('credentials beside when_bound', () => {
  const base =
    'sidecars:\n  - name: nr\n    dependency: otelcol\n    memory: 64M\n    when_bound: {label: newrelic}\n';

  it('takes the env map alone, read from the service that turned the sidecar on', () => {
    const [sidecar] = parsed(`${base}    credentials: {NEW_RELIC_LICENSE_KEY: licenseKey}\n`);
    expect(sidecar?.runtime?.credentials).toEqual([
      { by: 'label', value: 'newrelic', env: { NEW_RELIC_LICENSE_KEY: ['licenseKey'] } },
    ]);
  });

  it('lets list entries leave the service out, or name another one', () => {
    const [sidecar] = parsed(
      `${base}    credentials:\n      - env: {KEY: licenseKey}\n      - name: otel-endpoint\n        env: {URL: url}\n`,
    );
    expect(sidecar?.runtime?.credentials).toEqual([
      { by: 'label', value: 'newrelic', env: { KEY: ['licenseKey'] } },
      { by: 'name', value: 'otel-endpoint', env: { URL: ['url'] } },
    ]);
  });

  it('still needs the service named without when_bound', () => {
    expect(() =>
      parsed(
        'sidecars:\n  - name: nr\n    dependency: otelcol\n    memory: 64M\n    credentials: {KEY: licenseKey}\n',
      ),
    ).toThrow(/expected a list/);
  });
});
