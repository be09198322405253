// SPDX-License-Identifier: ISC
// docs/openapi.yaml is a valid OpenAPI 3 document and names every API route
// the web workers serve.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const SwaggerParser = require('@apidevtools/swagger-parser');

const root = path.join(__dirname, '..', '..');

test('docs/openapi.yaml validates', async () => {
  const api = await SwaggerParser.validate(path.join(root, 'docs', 'openapi.yaml'));
  assert.match(api.openapi, /^3\./);
  // Every /api/ route in the route table is documented, and vice versa.
  const routes = fs.readFileSync(path.join(root, 'src', 'web', 'routes.c'), 'utf8');
  const served = [...routes.matchAll(/\{ "(GET|POST)", "(\/api\/[^"]+)"/g)]
    .map((m) => m[1].toLowerCase() + ' ' + m[2]).sort();
  const documented = [];
  for (const [p, ops] of Object.entries(api.paths))
    for (const m of Object.keys(ops)) documented.push(m + ' ' + p);
  assert.deepStrictEqual(documented.sort(), served);
});
