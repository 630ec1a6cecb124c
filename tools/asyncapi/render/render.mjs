// Renders the event contract (docs/asyncapi.yaml) to one HTML page,
// docs/asyncapi/index.html, with the official AsyncAPI HTML template
// (@asyncapi/html-template through @asyncapi/generator, both pinned in
// package.json and installed here, so nothing is fetched at render time).
// The page is self-contained (scripts and styles inlined): open it from
// disk or serve it from anywhere.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const Generator = require('@asyncapi/generator');

const root = fileURLToPath(new URL('../../../', import.meta.url));
const template = dirname(require.resolve('@asyncapi/html-template/package.json'));
const generator = new Generator(template, `${root}docs/asyncapi`, {
  forceWrite: true,
  install: false,
  templateParams: { singleFile: 'true', sidebarOrganization: 'byTags' },
});
await generator.generateFromFile(`${root}docs/asyncapi.yaml`);
console.log('rendered docs/asyncapi/index.html');
