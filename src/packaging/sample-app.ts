/**
 * The app `package.sh --verify` stages when it is given none: one sidecar for every sidecar
 * dependency of the zip's own manifest, with the files their default commands read, so a zip of
 * any manifest can be checked as it is. A manifest without sidecars gets a sidecar in the app's
 * files instead. Pure: the manifest in, the app's files out.
 */
import type { BuildpackManifest } from '../dependencies/manifest-types.js';
import { RUNTIME_DEPENDENCY } from './package-plan.js';

export interface SampleApp {
  /** Path in the app -> content (`sidecars.yml` and the files the sidecars read). */
  files: Record<string, string>;
  /** The sidecars it declares, for the log. */
  sidecars: string[];
}

export function sampleApp(manifest: BuildpackManifest): SampleApp {
  const names = [...new Set(manifest.dependencies.map((d) => d.name))].filter(
    (n) => n !== RUNTIME_DEPENDENCY,
  );
  const files: Record<string, string> = {};
  const entries = names.map((name) => {
    const defaults = manifest.sidecar_defaults?.[name];
    for (const need of defaults?.app_files ?? [])
      files[need.path] = '# written by scripts/package.sh --verify: the sidecar is staged, not run\n';
    return [
      `  - name: ${name}`,
      `    dependency: ${name}`,
      ...(defaults?.command ? [] : [`    command: ./${name}`]),
      ...(defaults?.memory ? [] : ['    memory: 64M']),
    ].join('\n');
  });
  if (names.length === 0) {
    files['sample-sidecar.sh'] = '#!/bin/sh\nexec sleep 3600\n';
    entries.push('  - name: sample-sidecar\n    command: ./sample-sidecar.sh\n    memory: 16M');
  }
  files['sidecars.yml'] = `sidecars:\n${entries.join('\n')}\n`;
  return { files, sidecars: names.length > 0 ? names : ['sample-sidecar'] };
}
