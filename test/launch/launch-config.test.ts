import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { stringify, parse } from 'yaml';
import { buildLaunchYml } from '../../src/launch/launch-config.js';

const sidecar = {
  name: 'otel',
  command: `./otelcol --config "$HOME/otel.yaml" --set 'a=b'`,
  processTypes: ['web', 'worker'],
  memoryMb: 128,
  env: { B: `it's "$quoted" \`x\``, A: '1' },
};

describe('launch.yml', () => {
  it('writes the contract schema: type, command, sidecar_for, integer memory', () => {
    const launch = buildLaunchYml('2', [sidecar]);
    expect(launch).toEqual({
      processes: [
        {
          type: 'otel',
          command: `cd "$DEPS_DIR/2/sidecars/otel" && export A='1' B='it'\\''s "$quoted" \`x\`' && exec bash "$DEPS_DIR/2/sidecar_runtime/supervise.sh" 'otel' './otelcol --config "$HOME/otel.yaml" --set '\\''a=b'\\'''`,
          platforms: { cloudfoundry: { sidecar_for: ['web', 'worker'] } },
          limits: { memory: 128 },
        },
      ],
    });
    expect(parse(stringify(launch))).toEqual(launch);
  });

  it('keeps env values and the command intact through bash', async () => {
    const env = { HOME: '/home/vcap/app', DEPS_DIR: '/' };
    const launch = buildLaunchYml('0', [{ ...sidecar, command: 'printf "%s|%s|%s" "$A" "$B" "$HOME"' }]);
    // The supervisor runs its second argument with bash -c; eval does the same to the word here.
    const command = (launch.processes[0]?.command ?? '')
      .replace('cd "$DEPS_DIR/0/sidecars/otel"', 'true')
      .replace(`exec bash "$DEPS_DIR/0/sidecar_runtime/supervise.sh" 'otel' `, 'eval ');
    const { stdout } = await execa('bash', ['-c', command], { env, extendEnv: false });
    expect(stdout).toBe(`1|it's "$quoted" \`x\`|/home/vcap/app`);
  });
});
