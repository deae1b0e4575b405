import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { architectureSchema, families, getFamily } from '../../../ml/families/index.ts';
import { hyperparamsSchema } from '../../../ml/training/hyperparams.ts';

import { ajvIssues } from '../../../runner/config/ajv-issues.ts';

const ajv = new Ajv2020({ allErrors: true, useDefaults: true, strict: true, strictRequired: false, verbose: true });
const validate = ajv.compile(architectureSchema());
const errors = (value: unknown): ErrorObject[] => (validate(structuredClone(value)) ? [] : (validate.errors ?? []));
const has = (errs: ErrorObject[], path: string, keyword: string) => errs.some((e) => e.instancePath === path && e.keyword === keyword);

describe('architecture families registry', () => {
  it('lists head, cnn and finetune explicitly and finds them by name', () => {
    assert.deepEqual(families.map((f) => f.name), ['head', 'cnn', 'finetune']);
    assert.equal(getFamily('cnn').input, 'pixels');
    assert.throws(() => getFamily('resnet'), /unknown architecture family 'resnet': known families are head, cnn, finetune/);
  });

  it('accepts the entries of the pipeline file', () => {
    assert.deepEqual(errors({ family: 'head', layers: [] }), []);
    assert.deepEqual(errors({ family: 'head', layers: [{ dense: 256, activation: 'relu' }, { dropout: 0.3 }] }), []);
    assert.deepEqual(errors({ family: 'cnn', input: 64, blocks: 2, hidden_units: 16 }), []);
    assert.deepEqual(errors({ family: 'finetune', from: '624_quantized', layers: [{ dropout: 0.3 }] }), []);
  });

  it('applies defaults', () => {
    const v = { family: 'cnn' };
    assert.ok(validate(v));
    assert.deepEqual(v, { family: 'cnn', input: 64, blocks: 2, hidden_units: 16 });
  });

  it('names an unknown family with the known ones', () => {
    const errs = errors({ family: 'transformer' });
    assert.ok(has(errs, '/family', 'enum'));
    assert.deepEqual(errs.find((e) => e.keyword === 'enum')?.params, { allowedValues: ['head', 'cnn', 'finetune'] });
  });

  it('points at the bad property of a bad layer spec', () => {
    const errs = errors({ family: 'head', layers: [{ dense: 256 }, { dense: 0, activation: 'gelu' }] });
    assert.ok(has(errs, '/layers/1/dense', 'minimum'), JSON.stringify(errs));
    assert.ok(has(errs, '/layers/1/activation', 'enum'), JSON.stringify(errs));
    assert.ok(!errs.some((e) => e.instancePath.startsWith('/layers/0')), 'the good layer is not blamed');
    // What a user sees (the runner keeps the anyOf branch that fits best): no noise from the other layer kind.
    const shown = ajvIssues(errs).map((i) => `${i.path.join('.')}: ${i.message}`);
    assert.deepEqual(shown, ['layers.1.dense: must be >= 1 (got number 0)', "layers.1.activation: 'gelu' is not one of: linear, relu, tanh, sigmoid, elu (did you mean 'relu'?)"]);
    const typoShown = ajvIssues(errors({ family: 'head', layers: [{ dropuot: 0.3 }] })).map((i) => `${i.path.join('.')}: ${i.message}`);
    assert.deepEqual(typoShown, ["layers.0.dropuot: unknown key 'dropuot' (did you mean 'dropout'?)"]);
    assert.ok(has(errors({ family: 'head', layers: [{ dropout: 1.5 }] }), '/layers/0/dropout', 'exclusiveMaximum'));
    assert.ok(has(errors({ family: 'head', layers: [{ dropout: 0.3, activation: 'relu' }] }), '/layers/0', 'additionalProperties'));
    const typo = errors({ family: 'head', layers: [{ dropot: 0.3 }] });
    assert.ok(typo.some((e) => e.keyword === 'additionalProperties' && e.params.additionalProperty === 'dropot'), JSON.stringify(typo));
  });

  it('rejects properties of another family and unknown properties', () => {
    assert.ok(has(errors({ family: 'head', blocks: 2 }), '', 'additionalProperties'));
    assert.ok(has(errors({ family: 'cnn', input: 64, layers: [] }), '', 'additionalProperties'));
    assert.ok(has(errors({ family: 'cnn', input: 4 }), '/input', 'minimum'));
  });

  it('describes every property of every family and of the hyperparameters', () => {
    const undocumented: string[] = [];
    const walk = (schema: unknown, path: string): void => {
      if (!schema || typeof schema !== 'object') return;
      const s = schema as Record<string, unknown>;
      if (s.properties) {
        for (const [k, v] of Object.entries(s.properties as Record<string, Record<string, unknown>>)) {
          if (typeof v.description !== 'string' || !v.description) undocumented.push(`${path}.${k}`);
          walk(v, `${path}.${k}`);
        }
      }
      for (const key of ['items', 'anyOf', 'oneOf', 'allOf']) {
        const sub = s[key];
        if (Array.isArray(sub)) sub.forEach((x, i) => walk(x, `${path}.${key}[${i}]`));
        else if (sub) walk(sub, `${path}.${key}`);
      }
    };
    for (const f of families) {
      walk(f.schema, f.name);
      assert.equal((f.schema as { additionalProperties?: unknown }).additionalProperties, false, `${f.name} forbids extra properties`);
      assert.equal(((f.schema as unknown as { properties: Record<string, { const?: string }> }).properties.family)?.const, f.name);
    }
    walk(hyperparamsSchema, 'hyper');
    assert.deepEqual(undocumented, []);
  });
});
