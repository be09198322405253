// SPDX-License-Identifier: ISC
// docs/openapi.yaml (the sites' API) and docs/openapi-console.yaml (the
// staff listener's) are valid OpenAPI 3 documents, and each names every
// API route its listener serves, and no other.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const SwaggerParser = require('@apidevtools/swagger-parser');

const root = path.join(__dirname, '..', '..');

for (const [doc, table] of [['openapi.yaml', 'routes.c'], ['openapi-console.yaml', 'console.c']]) {
  test('docs/' + doc + ' validates and matches src/web/' + table, async () => {
    const api = await SwaggerParser.validate(path.join(root, 'docs', doc));
    assert.match(api.openapi, /^3\./);
    // Every /api/ route in the route table is documented, and vice versa.
    const routes = fs.readFileSync(path.join(root, 'src', 'web', table), 'utf8');
    const served = [...routes.matchAll(/\{ "(GET|POST|DELETE|PUT|PATCH)", "(\/api\/[^"]+)"/g)]
      .map((m) => m[1].toLowerCase() + ' ' + m[2]).sort();
    const documented = [];
    for (const [p, ops] of Object.entries(api.paths))
      for (const m of Object.keys(ops)) if (m !== 'parameters') documented.push(m + ' ' + p);
    assert.ok(served.length > 0, 'routes found in ' + table);
    assert.deepStrictEqual(documented.sort(), served);
  });
}
