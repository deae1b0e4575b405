/**
 * The reference generator on schemas made here: it must document keys it has never seen (new steps, sections,
 * architecture families) from the JSON Schema alone.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderReference } from '../../scripts/gen-reference.ts';
import { resolver, walk } from '../../scripts/gen-reference-walk.ts';

const schema = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string', pattern: '^[a-z]+$', description: 'Pipeline name.' },
    stages: {
      type: 'object',
      description: 'The stages.',
      patternProperties: {
        '^[a-z]+$': {
          type: 'object',
          description: 'A stage.',
          required: ['step'],
          properties: { step: { description: 'Which step.', enum: ['split', 'grid'] }, with: { type: 'object', description: 'Parameters.' } },
          allOf: [
            {
              if: { properties: { step: { const: 'grid' } }, required: ['step'] },
              then: {
                properties: {
                  with: {
                    type: 'object',
                    description: 'Expand a grid | of runs.',
                    properties: { lr: { anyOf: [{ type: 'number', exclusiveMinimum: 0 }, { type: 'array', items: { type: 'number' } }], description: 'Rate.' } },
                  },
                },
              },
            },
          ],
        },
      },
    },
    architectures: {
      type: 'object',
      description: 'Named architectures.',
      additionalProperties: {
        type: 'object',
        description: 'One architecture.',
        properties: { family: { enum: ['head', 'cnn'], description: 'Family.' } },
        allOf: [
          {
            if: { properties: { family: { const: 'head' } } },
            then: {
              properties: {
                layers: {
                  type: 'array',
                  default: [],
                  description: 'Layers for <class> counts.',
                  items: { anyOf: [{ type: 'object', properties: { dense: { type: 'integer', minimum: 1, description: 'Units.' } } }, { $ref: '#/$defs/dropout' }] },
                },
              },
            },
          },
          { if: { properties: { family: { const: 'cnn' } } }, then: { properties: { blocks: { type: 'integer', default: 2, description: 'Conv blocks.' } } } },
        ],
      },
    },
  },
  $defs: { dropout: { type: 'object', properties: { dropout: { type: 'number', maximum: 1, description: 'Dropout rate.' } } } },
};

test('walk: rows for nested keys, <name> for user-chosen keys, [] for list items, $ref followed', () => {
  const { rows, branches } = walk(schema, '', resolver(schema));
  assert.deepEqual(
    rows.map((r) => r.path),
    ['name', 'stages', 'stages.<name>', 'stages.<name>.step', 'stages.<name>.with', 'architectures', 'architectures.<name>', 'architectures.<name>.family'],
  );
  assert.equal(rows[0].required, true);
  assert.equal(rows.find((r) => r.path === 'stages.<name>.step')?.allowed, '`split`, `grid`');
  assert.deepEqual(
    branches.map((b) => [b.base, b.conditions.map((c) => `${c.key}=${String(c.value)}`).join(), b.rows.map((r) => r.path).join(' ')]),
    [
      ['stages.<name>', 'step=grid', 'with with.lr'],
      ['architectures.<name>', 'family=head', 'layers layers[].dense layers[].dropout'],
      ['architectures.<name>', 'family=cnn', 'blocks'],
    ],
  );
  const lr = branches[0].rows.find((r) => r.path === 'with.lr')!;
  assert.equal(lr.type, 'number | list of number');
  assert.equal(lr.allowed, 'number > 0, or list of number');
});

test('render: a heading per top-level key and per branch, escaped cells, a contents list that links them', () => {
  const md = renderReference(schema);
  for (const heading of ['## Top-level keys', '## `stages`', '### Step `grid`', '## `architectures`', '### Family `head`', '### Family `cnn`']) {
    assert.ok(md.includes(`\n${heading}\n`), `missing heading ${heading}`);
  }
  for (const link of ['(#step-grid)', '(#family-head)', '(#family-cnn)', '(#architectures)']) assert.ok(md.includes(link), `missing link ${link}`);
  assert.ok(md.includes('Expand a grid | of runs.'), 'a branch description is its intro paragraph');
  assert.ok(md.includes('| `layers` | list of object | `[]` |'));
  assert.ok(md.includes('Layers for &lt;class&gt; counts.'), '<class> must not be left for Markdown to eat as a tag');
  assert.ok(!/\| `with` \| object/.test(md.split('### Step `grid`')[1]), "a step's own `with` row is its intro, not a table row");
  assert.ok(md.endsWith('\n') && !md.endsWith('\n\n'));
});
