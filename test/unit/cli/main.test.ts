import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli, runCliOnTerminal } from '../../support/cli.js';
import { repoRoot } from '../../support/typescript.js';

const scratch = mkdtempSync(join(tmpdir(), 'avrokit-cli-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const customer = join(repoRoot, 'schemas', 'customer.avsc');
const breaking = join(repoRoot, 'examples', 'customer-breaking.avsc');
const topicsFile = join(repoRoot, 'schemas', 'topics.json');
// Nothing listens here: a command that got as far as connecting would fail differently (and slowly).
const nowhere = ['--brokers', '127.0.0.1:1', '--registry-url', 'http://127.0.0.1:1/apis/ccompat/v7'];

test('avrokit --help lists the commands of the specification, each with its own --help', () => {
  const result = runCli(['--help']);
  assert.equal(result.status, 0);
  assert.match(result.stdout, /^Usage: avrokit <command>/);
  for (const command of ['gen', 'check', 'register', 'topics', 'produce', 'consume', 'stack']) {
    assert.match(result.stdout, new RegExp(`^ {2}${command} +\\S`, 'm'), command);
    const own = runCli([command, '--help']);
    assert.equal(own.status, 0, command);
    assert.match(own.stdout, new RegExp(`^Usage: avrokit ${command}`), command);
  }
});

test('avrokit --version and -v print the version of the package', () => {
  const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  for (const flag of ['--version', '-v']) {
    const result = runCli([flag]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, `${version}\n`);
  }
});

test('a usage error is one line with its code and where the help is, never the whole help (exit 2)', () => {
  const cases: [string[], RegExp, string][] = [
    [['frobnicate'], /^unknown command 'frobnicate'$/, 'run avrokit --help for the commands'],
    [['gen'], /^give the \.avsc files or folders/, 'run avrokit gen --help for its options'],
    [['gen', customer], /^--out <dir> is required$/, 'run avrokit gen --help for its options'],
    [['gen', customer, '--frob'], /^unknown option --frob$/, 'run avrokit gen --help for its options'],
    [['gen', customer, '--out'], /^--out needs a value$/, 'run avrokit gen --help for its options'],
    [
      ['gen', customer, '--out', scratch, '--check=yes'],
      /^--check takes no value$/,
      'run avrokit gen --help for its options',
    ],
    [['check', customer], /^--against .* is required$/, 'run avrokit check --help for its options'],
    [
      ['register', customer, '--registry-url'],
      /^--registry-url needs a value$/,
      'run avrokit register --help for its options',
    ],
    [
      ['topics', 'delete'],
      /^expected topics create or topics list \(got delete\)$/,
      'run avrokit topics --help for its options',
    ],
    [
      ['topics', 'create', '--topics', topicsFile, '--partitions', '0', ...nowhere.slice(0, 2)],
      /^--partitions must be a positive integer, got 0$/,
      'run avrokit topics --help for its options',
    ],
    [
      ['produce', customer, '--topic', 'customers'],
      /^--topics <file> and --topic <topic> are required$/,
      'run avrokit produce --help for its options',
    ],
    [
      [
        'produce',
        customer,
        '--topics',
        topicsFile,
        '--topic',
        'customers',
        '--json-encoding',
        'yaml',
        ...nowhere,
      ],
      /^--json-encoding must be natural or avro, got yaml$/,
      'run avrokit produce --help for its options',
    ],
    [
      ['stack', 'sideways'],
      /^expected one of up, down, status \(got sideways\)$/,
      'run avrokit stack --help for its options',
    ],
  ];
  for (const [args, message, hint] of cases) {
    const result = runCli(args);
    const lines = result.stderr.trimEnd().split('\n');
    assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.equal(lines.length, 2, `${args.join(' ')}: one error line and the hint, got ${result.stderr}`);
    const [, text] = /^avrokit: (.*) \[CLI_USAGE\]$/.exec(lines[0]!) ?? [];
    assert.ok(text, `${args.join(' ')}: ${lines[0]}`);
    assert.match(text, message, args.join(' '));
    assert.equal(lines[1], hint);
    assert.equal(result.stdout, '', `${args.join(' ')}: no help on standard output`);
    assert.equal((text.match(/'/g) ?? []).length % 2, 0, `${args.join(' ')}: balanced quotes in ${text}`);
  }
});

test('an input error (a file that is not there, a field that does not exist) exits 2 in every command', () => {
  const missing = join(scratch, 'nope.avsc');
  const cases: [string[], RegExp][] = [
    [
      ['gen', missing, '--out', join(scratch, 'out')],
      /nope\.avsc: no such file or folder \[SCHEMA_INVALID\]/,
    ],
    [['check', missing, '--against', customer], /nope\.avsc: no such file or folder \[SCHEMA_INVALID\]/],
    [['register', missing, ...nowhere.slice(2)], /nope\.avsc: no such file or folder \[SCHEMA_INVALID\]/],
    [
      ['topics', 'create', '--topics', join(scratch, 'nope.json'), ...nowhere.slice(0, 2)],
      /cannot read the topic map/,
    ],
    [
      [
        'produce',
        customer,
        '--topics',
        topicsFile,
        '--topic',
        'customers',
        '--input',
        join(scratch, 'nope.jsonl'),
        ...nowhere,
      ],
      /^avrokit: --input .*nope\.jsonl: no such file \[CLI_INPUT\]$/m,
    ],
    [
      ['produce', customer, '--topics', topicsFile, '--topic', 'customers', '--input', scratch, ...nowhere],
      /is a folder, not a file \[CLI_INPUT\]/,
    ],
    [
      [
        'produce',
        customer,
        '--topics',
        join(scratch, 'customers.json'),
        '--topic',
        'customers',
        '--key-field',
        'nosuchfield',
        ...nowhere,
      ],
      /cannot read the topic map/,
    ],
    [
      [
        'produce',
        join(repoRoot, 'schemas'),
        '--topics',
        topicsFile,
        '--topic',
        'customers',
        '--key-field',
        'nosuchfield',
        ...nowhere,
      ],
      /--key-field nosuchfield: customerManagement\.avro\.Customer has no such field \(its fields: id, name, email\)/,
    ],
  ];
  for (const [args, message] of cases) {
    const result = runCli(args);
    assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message, args.join(' '));
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  }
});

/**
 * The environment of a user's terminal: colour settings of this process (the test runner's) left out,
 * and CI markers too — Node's `hasColors()` answers no on a terminal when `CI` is set.
 */
function terminal(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color', ...extra };
  for (const name of ['NO_COLOR', 'FORCE_COLOR', 'NODE_DISABLE_COLORS', 'CI', 'CI_NAME', 'TMUX'])
    if (!(name in extra)) delete env[name];
  return env;
}

// Escape codes, built so that no control character appears in a regular-expression literal.
const ESC = '\u001b';
const sgr = (code: number) => `${ESC}[${code}m`;
const escaped = (text: string) => text.replace(/[[\]]/g, '\\$&');

test('colour on a terminal; none when piped or with NO_COLOR', () => {
  const args = ['check', breaking, '--against', customer];
  const piped = runCli(args);
  assert.equal(piped.status, 1);
  assert.match(piped.stdout, /^✖ customerManagement\.avro\.Customer/m);
  assert.ok(!(piped.stdout + piped.stderr).includes(ESC), 'no escape codes when piped');

  const coloured = runCliOnTerminal(args, terminal());
  assert.equal(coloured.status, 1, coloured.stdout);
  assert.ok(
    coloured.stdout.includes(`${sgr(31)}✖${sgr(39)} ${sgr(36)}customerManagement.avro.Customer${sgr(39)}`),
    coloured.stdout,
  );
  assert.ok(coloured.stdout.includes(`${sgr(31)}TYPE_MISMATCH${sgr(39)}`), coloured.stdout);

  const usage = runCliOnTerminal(['gen'], terminal());
  assert.match(
    usage.stdout,
    new RegExp(`${escaped(sgr(31))}avrokit:${escaped(sgr(39))} .* ${escaped(sgr(2))}\\[CLI_USAGE\\]`),
  );

  const noColor = runCliOnTerminal(args, terminal({ NO_COLOR: '1' }));
  assert.equal(noColor.status, 1);
  assert.match(noColor.stdout, /^✖ customerManagement\.avro\.Customer/m);
  assert.ok(!noColor.stdout.includes(ESC), 'no escape codes with NO_COLOR');
});
