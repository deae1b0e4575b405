/** evaluateWindow and the profile on synthetic records (fast; the real-photo test is real-photos.test.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateWindow, type WindowRecord } from '../../../ml/monitoring/evaluate.ts';
import type { ImageStats } from '../../../ml/monitoring/image-stats.ts';
import { project } from '../../../ml/monitoring/pca.ts';
import { assertProfile, buildReferenceProfile, type ReferenceRecord } from '../../../ml/monitoring/profile.ts';
import { mulberry32 } from '../../../ml/random.ts';

const DIM = 40;
const gauss = (r: () => number) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());

/** Photos of 4 classes: class c has its embedding centred on axis c; brightness scaled by `bright`. */
function records(n: number, seed: number, bright = 1, classOffset = 0): ReferenceRecord[] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => {
    const c = (i % 4) + classOffset;
    const b = (0.45 + 0.1 * gauss(r)) * bright;
    const stats: ImageStats = {
      meanR: b * 1.2, meanG: b, meanB: b * 0.8, stdR: 0.2 + 0.02 * gauss(r), stdG: 0.2 + 0.02 * gauss(r), stdB: 0.2 + 0.02 * gauss(r),
      brightness: b, contrast: (0.22 + 0.03 * gauss(r)) * bright, saturation: 0.4 + 0.05 * gauss(r), darkShare: 0.05 + 0.01 * r(),
      brightShare: 0.1 + 0.02 * r(), sharpness: (0.01 + 0.002 * gauss(r)) * bright * bright, format: 'jpeg', byteSize: 40000 + 5000 * r(), width: 512, height: 512,
    };
    const embedding = Float64Array.from({ length: DIM }, (_, j) => gauss(r) + (j === c ? 5 : 0));
    const confidence = 0.5 + 0.5 * r();
    return { stats, embedding, predictedClass: `c${r() < confidence ? c : (c + 1) % 4}`, confidence, label: `c${c}` };
  });
}

describe('buildReferenceProfile + evaluateWindow (synthetic)', () => {
  const fit = records(200, 1);
  const profile = buildReferenceProfile(records(200, 2), { fitRecords: fit, projectionDim: 8 });
  const toWindow = (rs: ReferenceRecord[]): WindowRecord[] => rs.map((r) => ({ ...r, embedding: project(profile.projection, r.embedding) }));

  it('a window like the reference raises nothing; every detector reports score, threshold and verdict', () => {
    const e = evaluateWindow(profile, toWindow(records(150, 3)));
    for (const [name, d] of Object.entries(e.detectors)) {
      assert.ok(typeof d.method === 'string' && (d.verdict === 'insufficient' || Number.isFinite(d.threshold)), name);
      assert.notEqual(d.verdict, 'drift', `${name}: ${JSON.stringify(d)}`);
    }
    assert.equal(e.drifted, false);
  });

  it('a darker window is input drift with the cause in words', () => {
    const e = evaluateWindow(profile, toWindow(records(150, 4, 0.5)));
    assert.equal(e.detectors.input_drift.verdict, 'drift');
    assert.match(e.causes[0]!, /^inputs much darker than the reference \(brightness x0\.[45]\d\)/);
  });

  it('unknown classes raise out-of-scope and embedding drift, not input drift', () => {
    const e = evaluateWindow(profile, toWindow(records(150, 5, 1, 10)));
    assert.equal(e.detectors.out_of_scope.verdict, 'drift');
    assert.equal(e.detectors.embedding_drift.verdict, 'drift');
    assert.equal(e.detectors.input_drift.verdict, 'ok');
  });

  it('without embeddings or labels those detectors say insufficient; config thresholds are applied', () => {
    const bare = records(100, 6).map(({ stats, predictedClass, confidence }) => ({ stats, predictedClass, confidence }));
    const e = evaluateWindow(profile, bare, { outOfScope: { maxShare: 0.5 }, inputDrift: { driftShare: 0.9 } });
    assert.equal(e.detectors.embedding_drift.verdict, 'insufficient');
    assert.equal(e.detectors.out_of_scope.verdict, 'insufficient');
    assert.equal(e.detectors.out_of_scope.threshold, 0.5);
    assert.equal(e.detectors.feedback_accuracy.verdict, 'insufficient');
    assert.equal(e.detectors.input_drift.threshold, 0.9);
  });

  it('latency: p99 against the configured SLO; no SLO means insufficient', () => {
    const w = toWindow(records(100, 9)).map((r, i) => ({ ...r, latencyMs: i < 95 ? 10 : 300 }));
    const e = evaluateWindow(profile, w, { latency: { p99Ms: 100 } });
    assert.deepEqual([e.detectors.latency.verdict, e.detectors.latency.threshold], ['drift', 100]);
    assert.ok(e.detectors.latency.score > 100);
    assert.equal(evaluateWindow(profile, w).detectors.latency.verdict, 'insufficient');
  });

  it('without a fit set the reference is split in halves; bad inputs are named', () => {
    const p = buildReferenceProfile(records(120, 7), { projectionDim: 8 });
    assert.equal(p.size, 60);
    assertProfile(JSON.parse(JSON.stringify(p)), 'test');
    assert.throws(() => buildReferenceProfile(records(10, 8)), /10 reference records; need at least 20/);
    assert.throws(() => evaluateWindow(profile, []), /the window is empty/);
    assert.throws(() => evaluateWindow(profile, [{ ...toWindow(records(1, 10))[0]!, embedding: [1, 2, 3] }]), /record 0 has a 3-number embedding, the profile's projection gives 8/);
    assert.throws(() => assertProfile({ version: 0 }, 'registry row food101@3'), /registry row food101@3: reference profile version 0/);
  });
});
