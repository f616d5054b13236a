/** Generated fields of logical types say their Avro type: `total: string` is a decimal(10,2). */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { generateTypes } from '../../../codegen/generate.js';
import { scratchDir } from '../../support/typescript.js';

const scratch = scratchDir('logical-docs');
after(() => scratch.dispose());

test('a field of a logical type has a doc line naming the logical type and what it is written as', async () => {
  mkdirSync(join(scratch.dir, 'schemas'));
  const file = join(scratch.dir, 'schemas', 'payment.avsc');
  writeFileSync(
    file,
    JSON.stringify({
      type: 'record',
      name: 'Payment',
      namespace: 'docs',
      fields: [
        {
          name: 'total',
          type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 },
          doc: 'Paid.',
        },
        { name: 'at', type: ['null', { type: 'long', logicalType: 'timestamp-millis' }], default: null },
        { name: 'note', type: 'string' },
      ],
    }),
  );
  const files = await generateTypes({ inputs: [file], outDir: join(scratch.dir, 'out') });
  const payment = files.find((f) => f.path === 'docs.Payment.ts')!.content;
  assert.match(
    payment,
    /\/\*\*\n {3}\* Paid\.\n {3}\* Avro `decimal\(10,2\)` on `bytes`\.\n {3}\*\/\n {2}total: string;/,
  );
  assert.match(
    payment,
    /\* Avro `timestamp-millis` on `long`\.\n {3}\* @default null\n {3}\*\/\n {2}at: null \| Date;/,
  );
  assert.match(payment, /\n {2}note: string;/);
  assert.doesNotMatch(payment, /Avro `[^`]*` on `string`\.\n {3}\*\/\n {2}note/);
});
