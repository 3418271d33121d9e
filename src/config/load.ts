/**
 * Loads the app's sidecar configuration from BUILD_DIR/sidecars.yml (or .yaml) and the
 * SIDECARS_YML environment variable, merges them, and layers them over the operator's defaults
 * in SIDECARS_DEFAULTS_YML (config/layer.ts).
 *
 * Merge rule of the app's two documents (predictable on purpose): the env document wins per
 * sidecar name. A sidecar named in SIDECARS_YML replaces the file's sidecar of that name as a
 * whole; other sidecars of both are kept, file first; a top-level `command` in the env document
 * replaces the file's. The result then overrides the operator's defaults key by key.
 */
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { readAppFile } from '../fs/read-app-file.js';
import type { AppSidecarConfig } from './config-types.js';
import { layerDefaults } from './layer.js';
import { parseSidecarsDocument, type LayeredDocument, type ParsedDocument } from './parse.js';

export const CONFIG_FILES = ['sidecars.yml', 'sidecars.yaml'] as const;
export const CONFIG_ENV = 'SIDECARS_YML';
/** The operator's variable, meant for the staging environment group. */
export const DEFAULTS_ENV = 'SIDECARS_DEFAULTS_YML';
/**
 * The largest sidecars.yml (or $SIDECARS_YML) read: a config of a few sidecars is a few KB, and
 * YAML parsing is not linear (80,000 env keys took 2 minutes), so a bound keeps staging fast.
 */
export const MAX_CONFIG_BYTES = 64 * 1024;

/** Reads the config; undefined when the app has neither the file nor the env var. */
export async function loadAppConfig(
  buildDir: string,
  env: Record<string, string | undefined>,
): Promise<AppSidecarConfig | undefined> {
  const found: { name: string; text: string }[] = [];
  for (const name of CONFIG_FILES) {
    const text = await readAppFile(buildDir, name, { maxBytes: MAX_CONFIG_BYTES });
    if (text !== undefined) found.push({ name, text });
  }
  if (found.length > 1) {
    throw new UserError('both sidecars.yml and sidecars.yaml exist', {
      file: 'sidecars.yml',
      hint: 'Keep one of them.',
    });
  }
  const envText = boundedEnv(env, CONFIG_ENV);
  const defaultsText = boundedEnv(env, DEFAULTS_ENV);
  const defaults = defaultsText
    ? parseSidecarsDocument(defaultsText, `$${DEFAULTS_ENV}`, { operator: true })
    : undefined;
  const options = { defaults: new Set(defaults?.sidecars.map((s) => s.name)) };
  const documents = found.map((f) => ({ name: f.name, doc: parseSidecarsDocument(f.text, f.name, options) }));
  if (envText) {
    documents.push({
      name: `$${CONFIG_ENV}`,
      doc: parseSidecarsDocument(envText, `$${CONFIG_ENV}`, options),
    });
  }
  if (documents.length === 0 && !defaults) return undefined;
  const app = mergeDocuments(documents.map((d) => d.doc));
  const appFile = documents.map((d) => d.name).join(' + ') || 'the app';
  const layered = layerDefaults(defaults?.sidecars ?? [], app.sidecars, appFile);
  return {
    sidecars: layered.sidecars,
    ...(app.command !== undefined ? { command: app.command } : {}),
    sources: [...(defaults ? [`$${DEFAULTS_ENV} (operator)`] : []), ...documents.map((d) => d.name)],
    ...(defaults ? { layering: layered.notes, layeringWarnings: layered.warnings } : {}),
  };
}

/** A config variable's text when it holds more than whitespace; bounded as the files are. */
function boundedEnv(env: Record<string, string | undefined>, name: string): string | undefined {
  const text = env[name];
  if (text === undefined || text.trim() === '') return undefined;
  if (Buffer.byteLength(text) > MAX_CONFIG_BYTES)
    throw new UserError(`is ${Buffer.byteLength(text)} bytes; at most ${MAX_CONFIG_BYTES} are read`, {
      file: `$${name}`,
    });
  return text;
}

/** Later documents override earlier ones per sidecar name (see the module comment). */
export function mergeDocuments(docs: ParsedDocument[]): ParsedDocument;
export function mergeDocuments(docs: LayeredDocument[]): LayeredDocument;
export function mergeDocuments(docs: LayeredDocument[]): LayeredDocument {
  const merged: LayeredDocument = { sidecars: [] };
  for (const doc of docs) {
    for (const sidecar of doc.sidecars) {
      const at = merged.sidecars.findIndex((s) => s.name === sidecar.name);
      if (at >= 0) merged.sidecars[at] = sidecar;
      else merged.sidecars.push(sidecar);
    }
    if (doc.command !== undefined) merged.command = doc.command;
  }
  return merged;
}

/** True when detect should consider the app: it has the file or the env var. */
export async function hasAppConfig(
  buildDir: string,
  env: Record<string, string | undefined>,
): Promise<boolean> {
  if ((env[CONFIG_ENV] ?? '').trim() !== '') return true;
  for (const name of CONFIG_FILES) {
    // lstat, not a read: a FIFO named sidecars.yml must not block detect.
    const exists = await lstat(join(buildDir, name)).then(
      () => true,
      () => false,
    );
    if (exists) return true;
  }
  return false;
}
