import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/**
 * The Apache Avro `.avsc` corpus, which lives in the shared folder beside this repository (as in CI),
 * or wherever AVROKIT_CORPUS_DIR points.
 */
export function corpusDir(): URL {
  const dir = process.env.AVROKIT_CORPUS_DIR
    ? pathToFileURL(`${process.env.AVROKIT_CORPUS_DIR.replace(/\/$/, '')}/`)
    : new URL('../../../shared/corpus/avsc/', import.meta.url);
  if (!existsSync(dir)) {
    throw new Error(
      `the Avro corpus is not at ${dir.pathname}: put shared/ beside the repository or set AVROKIT_CORPUS_DIR`,
    );
  }
  return dir;
}
