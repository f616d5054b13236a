import { existsSync } from 'node:fs';

/**
 * The Apache Avro `.avsc` corpus, vendored in test/fixtures/avro-corpus (origin and licence in its
 * README and NOTICE), so a clone of this repository is all the tests need.
 */
export function corpusDir(): URL {
  const dir = new URL('../fixtures/avro-corpus/avsc/', import.meta.url);
  if (!existsSync(dir)) throw new Error(`the vendored Avro corpus is missing: ${dir.pathname}`);
  return dir;
}
