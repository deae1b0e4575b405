import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import {
  DEFAULT_PREPROCESS,
  PreprocessSpecSchema,
  ViewsSpecSchema,
  resolvePreprocessSpec,
  resolveViewsSpec,
  viewNames,
} from '../../../ml/preprocess/spec.ts';
import { decoderVersion, preprocessingId } from '../../../ml/preprocess/id.ts';

describe('preprocessing spec', () => {
  it('defaults to the backbone README: 256 -> 224, ImageNet mean/std', () => {
    const spec = resolvePreprocessSpec({});
    assert.deepEqual({ ...spec, mean: [...spec.mean], std: [...spec.std] }, {
      resize: 256,
      crop: 224,
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
      kernel: 'linear',
    });
    const props = (PreprocessSpecSchema as unknown as { properties: Record<string, { default: unknown; description: string }> }).properties;
    for (const [key, p] of Object.entries(props)) assert.ok(p.description && p.default !== undefined, `${key} needs a description and a default`);
    assert.deepEqual(props.resize!.default, 256);
    assert.deepEqual(props.mean!.default, [0.485, 0.456, 0.406]);
  });

  it('validates as JSON Schema (draft 2020-12, as the pipeline validator does)', () => {
    const ajv = new Ajv2020({ strict: false });
    const compiled = ajv.compile(PreprocessSpecSchema);
    const check = { Check: (v: unknown) => compiled(structuredClone(v)) };
    assert.equal(check.Check({ resize: 288, crop: 256, kernel: 'lanczos3' }), true);
    assert.equal(check.Check({ kernel: 'bogus' }), false);
    assert.equal(check.Check({ mean: [0.5, 0.5] }), false);
    assert.equal(check.Check({ std: [0.2, 0, 0.2] }), false);
    assert.equal(check.Check({ size: 3 }), false);
    const compiledViews = ajv.compile(ViewsSpecSchema);
    const views = { Check: (v: unknown) => compiledViews(structuredClone(v)) };
    assert.equal(views.Check({ flip: true, crops: 2 }), true);
    assert.equal(views.Check({ crops: -1 }), false);
  });

  it('refuses a crop larger than the resize', () => {
    assert.throws(() => resolvePreprocessSpec({ resize: 200, crop: 224 }), /crop \(224\) must not exceed resize \(200\)/);
  });

  it('changes preprocessingId when any parameter or the decoder build changes, and only then', () => {
    const base = preprocessingId(DEFAULT_PREPROCESS);
    assert.match(base, /^[0-9a-f]{16}$/);
    assert.equal(preprocessingId(resolvePreprocessSpec({})), base);
    assert.equal(preprocessingId({ ...DEFAULT_PREPROCESS, mean: [0.485, 0.456, 0.406] }), base);
    const variants = [
      { ...DEFAULT_PREPROCESS, resize: 257 },
      { ...DEFAULT_PREPROCESS, crop: 223 },
      { ...DEFAULT_PREPROCESS, kernel: 'lanczos3' as const },
      { ...DEFAULT_PREPROCESS, mean: [0.485, 0.456, 0.407] as const },
      { ...DEFAULT_PREPROCESS, std: [0.229, 0.224, 0.226] as const },
    ];
    const ids = new Set([base, ...variants.map((v) => preprocessingId(v)), preprocessingId(DEFAULT_PREPROCESS, 'sharp 9.9.9 vips 9.9.9')]);
    assert.equal(ids.size, variants.length + 2);
    assert.match(decoderVersion(), /^sharp \d+\.\d+\.\d+ vips \d+\.\d+\.\d+ libjpeg-turbo \d+\.\d+\.\d+$/);
  });

  it('names views center, flip, crop1..N', () => {
    assert.deepEqual(viewNames(resolveViewsSpec({})), ['center']);
    assert.deepEqual(viewNames(resolveViewsSpec({ flip: true, crops: 2 })), ['center', 'flip', 'crop1', 'crop2']);
    assert.deepEqual(viewNames({ flip: false, crops: 1 }), ['center', 'crop1']);
  });
});
