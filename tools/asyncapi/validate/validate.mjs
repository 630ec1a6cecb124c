// Validates the event contract (docs/asyncapi.yaml, or the file named on
// the command line) and exits 1 when it is not sound:
//   1. the official AsyncAPI parser (@asyncapi/parser, the library behind
//      `asyncapi validate`, with its Spectral ruleset) reports no error and
//      no warning;
//   2. the conventions the contract tests rely on hold: each channel's key
//      and address are the event name and it carries the message
//      components.messages.<event name>; each event has exactly one send
//      operation (its publisher) and each operation names its service
//      (x-service);
//   3. every message has an example, and each example is valid against its
//      payload schema (JSON Schema draft 7, with ajv).
import { relative, resolve } from 'node:path';
import { Parser, fromFile } from '@asyncapi/parser';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

const path = resolve(process.argv[2] ?? new URL('../../../docs/asyncapi.yaml', import.meta.url).pathname);
const file = relative(process.cwd(), path) || path;
const problems = [];
const fail = (msg) => problems.push(msg);

const { document, diagnostics } = await fromFile(new Parser(), path).parse();
const severities = ['error', 'warning', 'info', 'hint'];
for (const d of diagnostics) {
  if (d.severity <= 1) fail(`${severities[d.severity]} ${d.code} at ${d.path.join('.') || '(root)'}: ${d.message}`);
}

if (document) {
  // Money is checked with multipleOf 0.01. In binary floating point
  // 19.99 / 0.01 is 1998.9999999999998, so ajv must allow a rounding error
  // (1e-4 still tells 19.999 or 19.9901 from a cent); decimal validators
  // (Go's santhosh-tekuri/jsonschema) need no such allowance.
  const ajv = new Ajv({ strict: false, allErrors: true, multipleOfPrecision: 4 });
  addFormats(ajv);

  const raw = document.meta().asyncapi.parsed;
  const messages = raw.components?.messages ?? {};
  for (const [key, channel] of Object.entries(raw.channels ?? {})) {
    if (channel.address !== key) fail(`channel ${key}: address ${channel.address} is not the event name`);
    if (!messages[key]) fail(`channel ${key}: no components.messages.${key}`);
    if (Object.keys(channel.messages ?? {}).join() !== key) fail(`channel ${key}: carries ${Object.keys(channel.messages ?? {})}, not just ${key}`);
  }
  for (const key of Object.keys(messages)) {
    if (!raw.channels?.[key]) fail(`message ${key}: no channel ${key}`);
  }

  const ops = Object.entries(raw.operations ?? {});
  for (const [name, op] of ops) {
    if (!op['x-service']) fail(`operation ${name}: no x-service`);
  }
  for (const [key, channel] of Object.entries(raw.channels ?? {})) {
    const senders = ops.filter(([, op]) => op.action === 'send' && op.channel?.address === channel.address);
    if (senders.length !== 1) fail(`channel ${key}: ${senders.length} send operations, want 1 (its publisher)`);
  }

  for (const m of document.components().messages().all()) {
    const examples = m.examples().all();
    if (examples.length === 0) fail(`message ${m.id()}: no example`);
    const validate = ajv.compile(m.payload().json());
    for (const ex of examples) {
      if (!validate(ex.payload())) {
        for (const e of validate.errors) fail(`message ${m.id()}, example ${ex.name()}: ${e.instancePath || '(body)'} ${e.message}`);
      }
    }
  }
} else if (problems.length === 0) {
  fail('the parser returned no document');
}

if (problems.length > 0) {
  console.error(`${file} is not a valid event contract:`);
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}
const count = Object.keys(document.meta().asyncapi.parsed.channels).length;
console.log(`${file} is valid (AsyncAPI ${document.version()}, ${count} events, every example valid)`);
