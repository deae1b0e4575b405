/**
 * The generated files are what the generators would write now: `schemas/pipeline.schema.json` (editors validate
 * pipeline files with it) and `docs/pipeline-reference.md`. Also: every key of the schema is described, since the
 * reference is only as good as those descriptions.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { pipelineSchema } from '../../runner/config/schema.ts';
import { registry } from '../../steps/index.ts';
import { orderSchemaKeys } from '../../scripts/gen-output.ts';
import { referenceFile, referenceFixCommand, renderReference } from '../../scripts/gen-reference.ts';
import { renderSchema, schemaFile, schemaFixCommand } from '../../scripts/gen-schema.ts';
import { repoRoot } from '../helpers/paths.ts';

function assertUpToDate(file: string, expected: string, fix: string, script: string): void {
  const rel = path.relative(repoRoot, file);
  assert.ok(fs.existsSync(file), `${rel} is missing: run \`${fix}\` (node --import tsx ${script})`);
  const actual = fs.readFileSync(file, 'utf8');
  if (actual === expected) return;
  const a = actual.split('\n');
  const e = expected.split('\n');
  const line = e.findIndex((l, i) => l !== a[i]);
  assert.fail(
    `${rel} is out of date (first difference at line ${line + 1}):\n  file:     ${a[line] ?? '(end of file)'}\n  expected: ${e[line] ?? '(end of file)'}\n` +
      `Run \`${fix}\` (node --import tsx ${script}) and commit the result.`,
  );
}

test('schemas/pipeline.schema.json is what scripts/gen-schema.ts writes now', () => {
  assertUpToDate(schemaFile, renderSchema(), schemaFixCommand, 'scripts/gen-schema.ts');
});

test('docs/pipeline-reference.md is what scripts/gen-reference.ts writes now', () => {
  const schema = orderSchemaKeys(pipelineSchema(registry)) as Record<string, unknown>;
  assertUpToDate(referenceFile, renderReference(schema), referenceFixCommand, 'scripts/gen-reference.ts');
});

/** Paths of every declared property (properties, patternProperties, additionalProperties) with no description. */
function undescribed(schema: unknown, at: string, out: string[]): string[] {
  if (Array.isArray(schema)) {
    schema.forEach((s, i) => undescribed(s, `${at}[${i}]`, out));
    return out;
  }
  if (!schema || typeof schema !== 'object') return out;
  const s = schema as Record<string, unknown>;
  const described = (p: unknown) => typeof (p as { description?: unknown })?.description === 'string' && (p as { description: string }).description.trim() !== '';
  for (const map of ['properties', 'patternProperties'] as const) {
    for (const [name, p] of Object.entries((s[map] as Record<string, unknown> | undefined) ?? {})) {
      if (!described(p)) out.push(`${at}/${map}/${name}`);
    }
  }
  if (s.additionalProperties && typeof s.additionalProperties === 'object' && !described(s.additionalProperties)) out.push(`${at}/additionalProperties`);
  for (const [key, value] of Object.entries(s)) {
    // `if` and `not` hold conditions (`step: { const: split }`), not declarations; values of data keywords are data.
    if (['if', 'not', 'const', 'enum', 'default', 'examples', 'required'].includes(key)) continue;
    if (key === 'properties' || key === 'patternProperties') {
      for (const [name, p] of Object.entries(value as Record<string, unknown>)) undescribed(p, `${at}/${key}/${name}`, out);
    } else undescribed(value, `${at}/${key}`, out);
  }
  return out;
}

test('every property of the pipeline schema has a description', () => {
  const missing = undescribed(pipelineSchema(registry), '#', []);
  assert.deepEqual(missing, [], `properties without a description (the reference shows them blank):\n  ${missing.join('\n  ')}`);
});

test('the description check sees what it should (nested, in then-branches, in list items), and not if-conditions', () => {
  const schema = {
    type: 'object',
    properties: {
      a: { type: 'object', description: 'A.', properties: { b: { type: 'string' } } },
      c: { type: 'array', description: 'C.', items: { anyOf: [{ type: 'object', properties: { d: { type: 'integer' } } }] } },
    },
    allOf: [{ if: { properties: { kind: { const: 'x' } } }, then: { properties: { e: { type: 'number' } } } }],
  };
  assert.deepEqual(undescribed(schema, '#', []), ['#/properties/a/properties/b', '#/properties/c/items/anyOf[0]/properties/d', '#/allOf[0]/then/properties/e']);
});

test('the schema file compiles as JSON Schema 2020-12 and the pipeline points editors at it', () => {
  const schema = JSON.parse(fs.readFileSync(schemaFile, 'utf8'));
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  assert.doesNotThrow(() => ajv.compile(schema), 'schemas/pipeline.schema.json does not compile');
  const pipeline = path.join(repoRoot, 'pipelines', 'food101.yaml');
  const first = fs.readFileSync(pipeline, 'utf8').split('\n')[0];
  const m = /^# yaml-language-server: \$schema=(\S+)$/.exec(first);
  assert.ok(m, `pipelines/food101.yaml must start with '# yaml-language-server: $schema=../schemas/pipeline.schema.json', found: ${first}`);
  assert.equal(path.resolve(path.dirname(pipeline), m[1]), schemaFile);
});
