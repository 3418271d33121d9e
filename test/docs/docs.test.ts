/**
 * The docs as a newcomer follows them: every link leads somewhere, every sidecars.yml in them
 * stages through the real parser, every packaging and npm command is one the project takes, the
 * operators' jq line runs as printed, and the README's table of the manifest's sidecars is the
 * manifest's. (docs/cf-local.md's example is run in test/cf-local/cli.test.ts, the run-time
 * snippets in test/config/docs-run-time-examples.test.ts.)
 */
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseSidecarsDocument } from '../../src/config/parse.js';
import { parseManifest } from '../../src/dependencies/manifest.js';
import { parsePackageArgs } from '../../src/packaging/package-args.js';
import { exclusions } from '../../src/packaging/package-plan.js';
import { REPO_ROOT } from '../support/buildpack.js';
import { tempDir } from '../support/tmp.js';

const DOCS = [
  'README.md',
  ...(await readdir(join(REPO_ROOT, 'docs'))).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`),
];
const text = Object.fromEntries(
  await Promise.all(DOCS.map(async (d) => [d, await readFile(join(REPO_ROOT, d), 'utf8')] as const)),
);

/** The fenced blocks of a doc in one language, each with its first line. */
function blocks(doc: string, lang: string): string[] {
  return [...(text[doc] ?? '').matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map(
    (m) => m[1] as string,
  );
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchors(doc: string): Set<string> {
  const outsideCode = (text[doc] ?? '').replace(/```[\s\S]*?```/g, '');
  return new Set([...outsideCode.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1] as string)));
}

/** The command lines of a doc's sh blocks, comments and continuations dropped. */
function commandLines(doc: string): string[] {
  return blocks(doc, 'sh')
    .flatMap((b) => b.split('\n'))
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter((l) => l && !l.startsWith('#'));
}

describe('the docs', () => {
  it('link only to files and headings that exist', () => {
    const broken: string[] = [];
    for (const doc of DOCS) {
      const outsideCode = (text[doc] ?? '').replace(/```[\s\S]*?```/g, '');
      for (const [, target] of outsideCode.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target as string)) continue;
        const [path, anchor] = (target as string).split('#') as [string, string | undefined];
        const file = path ? join(dirname(doc), path) : doc;
        if (!existsSync(join(REPO_ROOT, file))) broken.push(`${doc}: ${target}`);
        else if (anchor && file.endsWith('.md')) {
          const known = file in text ? anchors(file) : undefined;
          if (known && !known.has(anchor)) broken.push(`${doc}: ${target}`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('hold only sidecars.yml documents that the buildpack reads', () => {
    let count = 0;
    for (const doc of DOCS)
      for (const block of blocks(doc, 'yaml')) {
        const first = block.split('\n')[0] as string;
        if (!/^# (operator-)?sidecars\.yml/.test(first) && !/^(sidecars|command):/.test(first)) continue;
        const config = parseSidecarsDocument(block, doc, { operator: first.startsWith('# operator-') });
        expect(config.sidecars.length, `${doc}:\n${block}`).toBeGreaterThan(0);
        count++;
      }
    expect(count).toBeGreaterThanOrEqual(6);
  });

  it('name only npm scripts that package.json has', async () => {
    const scripts = Object.keys(JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')).scripts);
    const named = DOCS.flatMap(commandLines).flatMap((l) =>
      [...l.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]),
    );
    expect(named.length).toBeGreaterThan(5);
    for (const name of named) expect(scripts, name).toContain(name);
  });

  it('give scripts/package.sh only arguments it takes, with the real manifest', async () => {
    const manifest = parseManifest(await readFile(join(REPO_ROOT, 'manifest.yml'), 'utf8'));
    const lines = DOCS.flatMap(commandLines).filter((l) => l.startsWith('scripts/package.sh'));
    expect(lines.length).toBeGreaterThanOrEqual(6);
    for (const line of lines) {
      const command = parsePackageArgs(line.split(/\s+/).slice(1), {});
      if (command.command === 'package') expect(() => exclusions(manifest, command), line).not.toThrow();
    }
  });

  it("run the operators' jq line as printed, into a PATCH body with the defaults document", async () => {
    const work = await tempDir('docs-jq-');
    const yml = blocks('docs/operators.md', 'yaml').find((b) => b.startsWith('# operator-sidecars.yml'));
    expect(yml).toBeDefined();
    await writeFile(join(work, 'operator-sidecars.yml'), yml as string);
    const jq = commandLines('docs/operators.md').find((l) => l.startsWith('jq '));
    await execa('bash', ['-euo', 'pipefail', '-c', jq as string], { cwd: work });
    const body = JSON.parse(await readFile(join(work, 'group-patch.json'), 'utf8'));
    expect(Object.keys(body)).toEqual(['var']);
    const defaults = parseSidecarsDocument(body.var.SIDECARS_DEFAULTS_YML, '$SIDECARS_DEFAULTS_YML', {
      operator: true,
    });
    expect(defaults.sidecars.map((s) => s.name)).toEqual(['otel']);
  });

  it("list the manifest's sidecars as manifest.yml has them", async () => {
    const manifest = parseManifest(await readFile(join(REPO_ROOT, 'manifest.yml'), 'utf8'));
    const rows = [...(text['README.md'] ?? '').matchAll(/^\| `([\w-]+)` +\| `(.+?)` +\| (\w+) +\|/gm)];
    const listed = Object.fromEntries(rows.map((r) => [r[1], { command: r[2], memory: r[3] }]));
    const defaults = manifest.sidecar_defaults ?? {};
    expect(Object.keys(listed).sort()).toEqual(Object.keys(defaults).sort());
    for (const [name, d] of Object.entries(defaults)) {
      expect(listed[name], name).toEqual({ command: d.command, memory: d.memory });
      // Each file the app must provide is named in its row.
      for (const need of d.app_files ?? []) expect(text['README.md']).toContain(`\`${need.path}\``);
    }
  });

  it('ship a collector config whose pipelines use only the components it defines', () => {
    const config = parse(blocks('README.md', 'yaml').find((b) => b.startsWith('# otelcol.yaml')) ?? '');
    const pipelines = Object.values(config.service.pipelines) as {
      receivers: string[];
      exporters: string[];
    }[];
    expect(pipelines.length).toBeGreaterThan(0);
    for (const p of pipelines) {
      for (const r of p.receivers) expect(Object.keys(config.receivers)).toContain(r);
      for (const e of p.exporters) expect(Object.keys(config.exporters)).toContain(e);
    }
    // On 127.0.0.1: the app's $PORT is the only port the router reaches, and it is the app's.
    expect(config.receivers.otlp.protocols.http.endpoint).toMatch(/^127\.0\.0\.1:\d+$/);
  });
});

it("name zips and tags of the VERSION file's version", async () => {
  const version = (await readFile(join(REPO_ROOT, 'VERSION'), 'utf8')).trim();
  const named = DOCS.flatMap((d) =>
    [...(text[d] ?? '').matchAll(/(?:-v|#v)(\d+\.\d+\.\d+)\b/g)].map((m) => m[1]),
  );
  expect(named.length).toBeGreaterThan(5);
  expect(new Set(named)).toEqual(new Set([version]));
  // ...and the CHANGELOG has its section, which scripts/release.sh makes the release notes.
  expect(await readFile(join(REPO_ROOT, 'CHANGELOG.md'), 'utf8')).toContain(`\n## [${version}] - `);
});

it('the docs dir is what the README links to', () => {
  for (const doc of DOCS.filter((d) => d.startsWith('docs/')))
    expect(text['README.md'], doc).toContain(`](${doc})`);
});
