/**
 * The docs a user of the published package reads: every relative link in the tarball's Markdown (the
 * README and docs/) points at a file the tarball holds, and every #anchor at a heading of that file.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../support/typescript.js';

const pack = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
  cwd: repoRoot,
  encoding: 'utf8',
});
assert.equal(pack.status, 0, pack.stderr);
const packed = new Set(
  (JSON.parse(pack.stdout) as [{ files: { path: string }[] }])[0].files.map((f) => f.path),
);

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');

function anchorsOf(file: string): Set<string> {
  const text = readFileSync(join(repoRoot, file), 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)));
}

test('every link in the packaged README and docs resolves inside the package, anchors included', () => {
  const markdown = [...packed].filter((f) => f.endsWith('.md'));
  assert.ok(markdown.includes('README.md') && markdown.some((f) => f.startsWith('docs/')));
  const broken: string[] = [];
  let checked = 0;
  for (const file of markdown) {
    const text = readFileSync(join(repoRoot, file), 'utf8').replace(/```[\s\S]*?```/g, '');
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/i.test(target!)) continue; // https:, mailto:
      const [path, anchor] = target!.split('#') as [string, string | undefined];
      const resolved = path === '' ? file : normalize(join(dirname(file), path)).replace(/\/$/, '');
      checked++;
      const isFolder = [...packed].some((f) => f.startsWith(`${resolved}/`));
      if (!packed.has(resolved) && !isFolder)
        broken.push(`${file}: ${target} (no ${resolved} in the package)`);
      else if (anchor && packed.has(resolved) && !anchorsOf(resolved).has(anchor))
        broken.push(`${file}: ${target} (no heading #${anchor} in ${resolved})`);
    }
  }
  assert.ok(checked > 50, `${checked} links`);
  assert.deepEqual(broken, []);
});
