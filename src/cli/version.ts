import { readFileSync } from 'node:fs';

/**
 * avrokit's version, from its package.json: two folders up from src/cli when run from source, three
 * from dist/src/cli when installed.
 */
export function avrokitVersion(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === 'avrokit' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not this one
    }
  }
  return 'unknown';
}
