import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SELECT_OPTIONS, select, type RunRecord } from '../../../ml/selection/select.ts';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

/** A run with train metrics equal to val metrics (gap 0) unless given. */
function run(architecture: string, combination: string, fold: number, val_acc: number, val_loss: number,
  train: Partial<{ train_loss: number; train_acc: number }> = {}): RunRecord {
  const name = `${architecture}_${combination}_fold${fold}`;
  return {
    runId: `id-${name}`, name, architecture, combination, fold,
    params: { lr: combination === 'c1' ? 1e-3 : 3e-4, epochs: 30 },
    final: { train_loss: train.train_loss ?? val_loss, train_acc: train.train_acc ?? val_acc, val_loss, val_acc },
  };
}

test('equal values everywhere: no NaN, every score w.acc + w.loss, deterministic picks', () => {
  const runs = ['mlp', 'linear'].flatMap((a) => ['c2', 'c1'].flatMap((c) => [1, 0].map((f) => run(a, c, f, 0.5, 1))));
  const s = select(runs);
  for (const c of s.candidates) {
    // every metric constant -> norm val_acc 1, norm val_loss 0 -> 0.7 * 1 + 0.3 * (1 - 0) = 1
    assert.deepEqual(c.norm, { val_acc: 1, val_loss: 0 });
    assert.equal(c.score, 1);
    assert.deepEqual(c.folds, [0, 1]);
  }
  // full tie -> architecture then combination in name order; best fold -> lower index
  assert.deepEqual(s.candidates.map((c) => `${c.architecture}/${c.combination}/${c.rank}`),
    ['linear/c1/1', 'linear/c2/2', 'mlp/c1/3', 'mlp/c2/4']);
  assert.deepEqual(s.perArchitecture.map((p) => [p.architecture, p.combination, p.bestRun.fold]),
    [['linear', 'c1', 0], ['mlp', 'c1', 0]]);
  assert.ok(!JSON.stringify(s).includes('null'));
  assert.deepEqual(s.dropped, []);
});

test('mean and sample std over folds', () => {
  // val_acc 0.6, 0.7, 0.8: mean 0.7, squared deviations 0.01 + 0 + 0.01 over n-1 = 2 -> std 0.1
  // val_loss 1.0, 1.2, 1.7: mean 1.3, squared deviations 0.09 + 0.01 + 0.16 = 0.26 over 2 -> std sqrt(0.13)
  const s = select([run('mlp', 'c1', 0, 0.6, 1.0), run('mlp', 'c1', 1, 0.7, 1.2), run('mlp', 'c1', 2, 0.8, 1.7)]);
  const [c] = s.candidates;
  close(c!.val_acc.mean, 0.7);
  close(c!.val_acc.std, 0.1);
  close(c!.val_loss.mean, 1.3);
  close(c!.val_loss.std, Math.sqrt(0.13));
  // a single candidate is best on both metrics: score 0.7 + 0.3
  close(c!.score, 1);
  // best fold: highest val_acc (0.8, fold 2)
  assert.equal(s.perArchitecture[0]!.bestRun.runId, 'id-mlp_c1_fold2');
  // a single fold has std 0
  assert.equal(select([run('mlp', 'c1', 0, 0.6, 1.0)]).candidates[0]!.val_acc.std, 0);
});

test('score: min-max over all candidates of all architectures', () => {
  // A: acc 0.6 loss 0.5 -> norm acc 0,   norm loss 0   -> 0.7*0   + 0.3*1   = 0.3
  // B: acc 0.8 loss 0.9 -> norm acc 1,   norm loss 1   -> 0.7*1   + 0.3*0   = 0.7
  // C: acc 0.7 loss 0.7 -> norm acc 1/2, norm loss 1/2 -> 0.7*0.5 + 0.3*0.5 = 0.5
  const s = select([run('a', 'c1', 0, 0.6, 0.5), run('b', 'c1', 0, 0.8, 0.9), run('b', 'c2', 0, 0.7, 0.7)]);
  const score = (a: string, c: string) => s.candidates.find((x) => x.architecture === a && x.combination === c)!.score;
  close(score('a', 'c1'), 0.3);
  close(score('b', 'c1'), 0.7);
  close(score('b', 'c2'), 0.5);
  assert.deepEqual(s.candidates.map((c) => c.rank), [1, 2, 3]);
  assert.deepEqual(s.perArchitecture.map((p) => `${p.architecture}/${p.combination}`), ['b/c1', 'a/c1']);
});

test('tie-breaks: equal score -> lower mean val_loss; then natural name order; best fold ties', () => {
  const weights = { accuracy: 0.5, loss: 0.5 };
  // P: acc 0.8 loss 0.6 -> 0.5*1 + 0.5*(1-1) = 0.5;  Q: acc 0.6 loss 0.4 -> 0.5*0 + 0.5*(1-0) = 0.5
  const tied = select([run('m', 'c1', 0, 0.8, 0.6), run('m', 'c2', 0, 0.6, 0.4)], { maxLossGap: null, weights });
  assert.equal(tied.candidates[0]!.score, tied.candidates[1]!.score);
  assert.equal(tied.perArchitecture[0]!.combination, 'c2'); // lower val_loss 0.4

  // identical stats: c2 comes before c10 (natural order), not after it (code-unit order)
  const named = select([run('m', 'c10', 0, 0.7, 0.5), run('m', 'c2', 0, 0.7, 0.5)]);
  assert.equal(named.perArchitecture[0]!.combination, 'c2');

  // folds: 0.7/0.6 (fold 0), 0.7/0.5 (fold 1), 0.7/0.5 (fold 2) -> same acc, lower loss, then lower fold -> fold 1
  const folds = select([run('m', 'c1', 2, 0.7, 0.5), run('m', 'c1', 0, 0.7, 0.6), run('m', 'c1', 1, 0.7, 0.5)]);
  assert.equal(folds.perArchitecture[0]!.bestRun.fold, 1);
});

test('gap filter: a run over the gap is dropped and its fold left out of the means', () => {
  const s = select([
    run('mlp', 'c1', 0, 0.8, 0.5, { train_loss: 0.2 }), // gap 0.3 > 0.25 -> dropped
    run('mlp', 'c1', 1, 0.6, 0.5, { train_loss: 0.3 }), // gap 0.2 -> kept
    run('mlp', 'c1', 2, 0.7, 0.45, { train_loss: 0.2 }), // gap 0.25 (0.25000000000000006 in floats) -> kept
  ]);
  assert.deepEqual(s.dropped.map((d) => [d.runId, d.reason]),
    [['id-mlp_c1_fold0', '|train_loss - val_loss| = 0.3000 > max_loss_gap 0.25']]);
  const [c] = s.candidates;
  assert.deepEqual(c!.folds, [1, 2]);
  close(c!.val_acc.mean, 0.65);
  assert.equal(c!.gapFilterRelaxed, false);
  assert.deepEqual(s.relaxed, []);
  // null disables the filter
  assert.deepEqual(select([run('mlp', 'c1', 0, 0.8, 0.5, { train_loss: 0.2 })], { ...DEFAULT_SELECT_OPTIONS, maxLossGap: null }).dropped, []);
});

test('gap filter: an architecture entirely over the gap is kept and flagged relaxed', () => {
  const s = select([
    run('cnn', 'c1', 0, 0.9, 1.0, { train_loss: 0.1 }), // gap 0.9
    run('cnn', 'c1', 1, 0.9, 1.0, { train_loss: 0.5 }), // gap 0.5
    run('mlp', 'c1', 0, 0.7, 0.6, { train_loss: 0.5 }), // gap 0.1, kept
    run('mlp', 'c2', 0, 0.7, 0.9, { train_loss: 0.1 }), // gap 0.8, dropped: mlp has another run within the gap
  ]);
  assert.deepEqual(s.relaxed.map((r) => [r.architecture, r.runs, r.minGap]), [['cnn', 2, 0.5]]);
  assert.match(s.relaxed[0]!.reason, /all 2 runs exceed max_loss_gap 0\.25 \(smallest gap 0\.5000\)/);
  assert.deepEqual(s.dropped.map((d) => d.runId), ['id-mlp_c2_fold0']);
  const cnn = s.perArchitecture.find((p) => p.architecture === 'cnn')!;
  assert.equal(cnn.gapFilterRelaxed, true);
  assert.deepEqual(s.candidates.find((c) => c.architecture === 'cnn')!.folds, [0, 1]);
  assert.equal(s.perArchitecture.find((p) => p.architecture === 'mlp')!.gapFilterRelaxed, false);
});

test('non-finite runs are dropped; none left, no runs, bad input -> clear errors', () => {
  const diverged = run('mlp', 'c1', 1, 0.1, NaN);
  const s = select([run('mlp', 'c1', 0, 0.7, 0.5), diverged]);
  assert.match(s.dropped[0]!.reason, /non-finite final metrics: train_loss=NaN, val_loss=NaN/);
  assert.deepEqual(s.candidates[0]!.folds, [0]);
  assert.throws(() => select([]), /no finished runs to select from/);
  assert.throws(() => select([diverged]), /none of the 1 runs has finite final metrics.*mlp_c1_fold1/);
  assert.throws(() => select([run('m', 'c1', 0, 0.7, 0.5), run('m', 'c1', 0, 0.6, 0.5)]), /two runs for m c1 fold 0/);
  const other = { ...run('m', 'c1', 1, 0.7, 0.5), params: { lr: 1 } };
  assert.throws(() => select([run('m', 'c1', 0, 0.7, 0.5), other]), /runs of m c1 have different params/);
  assert.throws(() => select([run('m', 'c1', 0, 0.7, 0.5)], { ...DEFAULT_SELECT_OPTIONS, maxLossGap: -1 }), /maxLossGap must be/);
});

test('the result is clean JSON and records the options', () => {
  const s = select([run('mlp', 'c1', 0, 0.7, 0.5), run('lin', 'c1', 0, 0.6, 0.8)]);
  assert.deepEqual(JSON.parse(JSON.stringify(s)), s);
  assert.deepEqual(s.options, { maxLossGap: 0.25, weights: { accuracy: 0.7, loss: 0.3 } });
});
