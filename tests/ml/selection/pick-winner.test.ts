import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pickWinner } from '../../../ml/selection/pick-winner.ts';

const evaluations = [
  { architecture: 'mlp', runId: 'r-mlp', test: { accuracy: 0.80, macro_f1: 0.78, log_loss: 0.70, roc_auc_macro: 0.97 } },
  { architecture: 'linear', runId: 'r-lin', test: { accuracy: 0.82, macro_f1: 0.75, log_loss: 0.60, roc_auc_macro: null } },
  { architecture: 'cnn', runId: 'r-cnn', test: { accuracy: 0.40, macro_f1: 0.35, log_loss: 1.90, roc_auc_macro: 0.80 } },
];

test('higher is better by default: macro-F1 and accuracy', () => {
  const byF1 = pickWinner(evaluations, 'test.macro_f1');
  assert.equal(byF1.winner.runId, 'r-mlp');
  assert.deepEqual([byF1.key, byF1.value, byF1.higherIsBetter], ['macro_f1', 0.78, true]);
  assert.deepEqual(byF1.ranking.map((r) => r.architecture), ['mlp', 'linear', 'cnn']);
  assert.equal(pickWinner(evaluations, 'test.accuracy').winner.architecture, 'linear');
});

test('a name ending in loss is lower-is-better; the direction can be overridden', () => {
  const byLoss = pickWinner(evaluations, 'test.log_loss');
  assert.deepEqual([byLoss.winner.architecture, byLoss.higherIsBetter, byLoss.value], ['linear', false, 0.6]);
  assert.equal(pickWinner(evaluations, 'test.log_loss', true).winner.architecture, 'cnn');
  assert.equal(pickWinner(evaluations, 'test.accuracy', false).winner.architecture, 'cnn');
});

test('null values rank last; equal values go to name order', () => {
  const byAuc = pickWinner(evaluations, 'test.roc_auc_macro');
  assert.equal(byAuc.winner.architecture, 'mlp');
  assert.deepEqual(byAuc.ranking.at(-1), { architecture: 'linear', runId: 'r-lin', value: null });
  const tied = evaluations.map((e) => ({ ...e, test: { accuracy: 0.5 } }));
  assert.equal(pickWinner(tied, 'test.accuracy').winner.architecture, 'cnn');
});

test('unknown metrics are named with the available ones', () => {
  assert.throws(() => pickWinner(evaluations, 'test.f1'),
    { message: 'pickWinner: unknown metric "test.f1"; available: test.accuracy, test.log_loss, test.macro_f1, test.roc_auc_macro' });
  assert.throws(() => pickWinner(evaluations, 'macro_f1'), /unknown metric "macro_f1" \(did you mean "test.macro_f1"\?\)/);
  assert.throws(() => pickWinner(evaluations, 'test.acuracy'), /did you mean "test.accuracy"/);
  assert.throws(() => pickWinner([], 'test.accuracy'), /no evaluations/);
  const allNull = evaluations.map((e) => ({ ...e, test: { roc_auc_macro: null } }));
  assert.throws(() => pickWinner(allNull, 'test.roc_auc_macro'), /no evaluation has a finite value/);
});

test('a cv metric never reads the test scores, even where test and CV disagree', () => {
  let reads = 0;
  const spy = (scores: Record<string, number>) => new Proxy(scores, { get: (t, k) => { reads++; return t[k as string]; }, ownKeys: (t) => { reads++; return Reflect.ownKeys(t); } });
  const disagree = [
    { architecture: 'mlp', runId: 'r-mlp', cv: { accuracy: 0.70, log_loss: 0.9 }, test: spy({ accuracy: 0.90 }) },
    { architecture: 'probe', runId: 'r-probe', cv: { accuracy: 0.75, log_loss: 0.8 }, test: spy({ accuracy: 0.60 }) },
  ];
  const byCv = pickWinner(disagree, 'cv.accuracy');
  assert.deepEqual([byCv.winner.architecture, byCv.scope, byCv.value], ['probe', 'cv', 0.75]);
  assert.equal(pickWinner(disagree, 'cv.log_loss').winner.architecture, 'probe');
  assert.equal(reads, 0, 'the test scores were read');
  // the original project's choice, on test, picks the other one
  assert.equal(pickWinner(disagree, 'test.accuracy').winner.architecture, 'mlp');
  assert.ok(reads > 0);
  assert.throws(() => pickWinner(disagree, 'cv.acuracy'), /unknown metric "cv.acuracy" \(did you mean "cv.accuracy"\?\); available: cv.accuracy, cv.log_loss/);
});
