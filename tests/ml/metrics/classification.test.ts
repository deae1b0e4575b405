import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, testMetrics } from '../../../ml/metrics/classification.ts';

const close = (a: number | null, b: number, tol = 1e-12) =>
  assert.ok(a !== null && Math.abs(a - b) <= tol, `${a} != ${b}`);

test('3 classes, one never predicted, tied scores in the AUC', () => {
  const classes = ['a', 'b', 'c'];
  // row  y  p(a) p(b) p(c)  predicted
  //  0   a  0.7  0.2  0.1   a  (right)
  //  1   a  0.2  0.5  0.3   b
  //  2   b  0.1  0.6  0.3   b  (right)
  //  3   c  0.3  0.4  0.3   b
  const probabilities = [0.7, 0.2, 0.1, 0.2, 0.5, 0.3, 0.1, 0.6, 0.3, 0.3, 0.4, 0.3];
  const r = evaluate({ probabilities, y: [0, 0, 1, 2], classes });

  assert.deepEqual(r.confusion, [[1, 1, 0], [0, 1, 0], [0, 1, 0]]);
  assert.equal(r.n, 4);
  assert.equal(r.accuracy, 0.5); // 2 of 4
  assert.equal(r.top5_accuracy, 1); // C = 3 <= 5

  const [a, b, c] = r.per_class;
  // a: TP 1, predicted 1, support 2 -> P 1, R 1/2, F1 2*1/(2+1) = 2/3
  assert.deepEqual([a!.precision, a!.recall, a!.support], [1, 0.5, 2]);
  close(a!.f1, 2 / 3);
  // b: TP 1, predicted 3, support 1 -> P 1/3, R 1, F1 2*1/(1+3) = 1/2
  close(b!.precision, 1 / 3);
  assert.deepEqual([b!.recall, b!.f1], [1, 0.5]);
  // c: never predicted -> P 0 (zero_division), R 0/1 = 0, F1 0
  assert.deepEqual([c!.precision, c!.recall, c!.f1, c!.support], [0, 0, 0, 1]);

  close(r.macro_precision, (1 + 1 / 3 + 0) / 3); // 4/9
  close(r.macro_recall, (0.5 + 1 + 0) / 3); // 1/2
  close(r.macro_f1, (2 / 3 + 1 / 2 + 0) / 3); // 7/18

  // AUC a: positives 0.7, 0.2 vs negatives 0.1, 0.3: 1 + 1 + 1 + 0 = 3 of 4 pairs
  close(a!.roc_auc, 0.75);
  // AUC b: positive 0.6 above 0.2, 0.5, 0.4 -> 1
  close(b!.roc_auc, 1);
  // AUC c: positive 0.3 vs 0.1 (1), 0.3 (tie 1/2), 0.3 (tie 1/2) -> 2/3
  close(c!.roc_auc, 2 / 3);
  close(r.roc_auc_macro, (0.75 + 1 + 2 / 3) / 3); // 29/36

  // log loss: -(ln 0.7 + ln 0.2 + ln 0.6 + ln 0.3) / 4
  close(r.log_loss, -(Math.log(0.7) + Math.log(0.2) + Math.log(0.6) + Math.log(0.3)) / 4);
});

test('a class absent from y: support 0, AUC null, macro over classes seen in y or predictions', () => {
  const classes = ['a', 'b', 'c', 'd'];
  // row  y  p(a) p(b) p(c) p(d)  predicted
  //  0   a  0.6  0.2  0.1  0.1   a
  //  1   a  0.3  0.1  0.5  0.1   c   (c is absent from y)
  //  2   b  0.2  0.7  0.05 0.05  b
  //  3   b  0.1  0.8  0.05 0.05  b
  // d is neither in y nor predicted.
  const probabilities = [0.6, 0.2, 0.1, 0.1, 0.3, 0.1, 0.5, 0.1, 0.2, 0.7, 0.05, 0.05, 0.1, 0.8, 0.05, 0.05];
  const r = evaluate({ probabilities, y: Int32Array.from([0, 0, 1, 1]), classes });
  const [a, b, c, d] = r.per_class;
  assert.equal(r.accuracy, 0.75);
  // a: P 1/1, R 1/2, F1 2/3; b: P 2/2, R 2/2, F1 1; c: TP 0, predicted 1, support 0 -> 0, 0, 0
  close(a!.f1, 2 / 3);
  assert.deepEqual([b!.precision, b!.recall, b!.f1], [1, 1, 1]);
  assert.deepEqual([c!.precision, c!.recall, c!.f1, c!.support, c!.roc_auc], [0, 0, 0, 0, null]);
  assert.deepEqual([d!.support, d!.roc_auc], [0, null]);
  // macro over {a, b, c}: P (1+1+0)/3, R (1/2+1+0)/3, F1 (2/3+1+0)/3 = 5/9
  close(r.macro_precision, 2 / 3);
  close(r.macro_recall, 0.5);
  close(r.macro_f1, 5 / 9);
  // AUC a: positives 0.6, 0.3 above negatives 0.2, 0.1 -> 1; b: 0.7, 0.8 above 0.2, 0.1 -> 1; c, d left out
  assert.equal(r.roc_auc_macro, 1);
});

test('perfect predictions from logits', () => {
  // logits with the true class 4 above the rest: softmax gives p(true) = e^4 / (e^4 + 2) for every row
  const logits = new Float32Array([4, 0, 0, 0, 4, 0, 0, 0, 4, 4, 0, 0]);
  const r = evaluate({ logits, y: [0, 1, 2, 0], classes: ['x', 'y', 'z'] });
  assert.deepEqual([r.accuracy, r.macro_precision, r.macro_recall, r.macro_f1, r.roc_auc_macro], [1, 1, 1, 1, 1]);
  close(r.log_loss, -Math.log(Math.exp(4) / (Math.exp(4) + 2)));
  assert.deepEqual(r.confusion, [[2, 0, 0], [0, 1, 0], [0, 0, 1]]);
});

test('the worst predictions: everything wrong and reversed rankings', () => {
  // y = a, a, b, b; p(a) = 0.1, 0.2, 0.8, 0.9 -> predicted b, b, a, a
  const probabilities = [0.1, 0.9, 0.2, 0.8, 0.8, 0.2, 0.9, 0.1];
  const r = evaluate({ probabilities, y: [0, 0, 1, 1], classes: ['a', 'b'] });
  assert.deepEqual([r.accuracy, r.macro_precision, r.macro_recall, r.macro_f1], [0, 0, 0, 0]);
  // AUC a: positives 0.1, 0.2 all below negatives 0.8, 0.9 -> 0; same for b
  assert.deepEqual(r.per_class.map((k) => k.roc_auc), [0, 0]);
  assert.equal(r.roc_auc_macro, 0);
  // p(true) = 0.1, 0.2, 0.2, 0.1 -> -(2 ln 0.1 + 2 ln 0.2) / 4
  close(r.log_loss, -(Math.log(0.1) + Math.log(0.2)) / 2);
});

test('all scores tied: argmax goes to class 0, every AUC is 1/2', () => {
  const r = evaluate({ logits: new Float32Array(6), y: [0, 1, 1], classes: ['a', 'b'] });
  assert.deepEqual(r.confusion, [[1, 0], [2, 0]]);
  assert.deepEqual(r.per_class.map((k) => k.roc_auc), [0.5, 0.5]);
  close(r.log_loss, Math.log(2));
  // a: P 1/3, R 1, F1 2/(1+3) = 1/2; b: never predicted -> 0
  close(r.macro_f1, 0.25);
});

test('top-5 accuracy with more than 5 classes', () => {
  // 7 classes, scores = class index (6 best). Row 0: true 2 has rank 4 (6,5,4,3 above) -> in top 5.
  // Row 1: true 1 has rank 5 -> out. Row 2 all equal, true 4: 4 lower indices tie ahead -> rank 4 -> in.
  const ramp = [0, 1, 2, 3, 4, 5, 6];
  const r = evaluate({ logits: [...ramp, ...ramp, 0, 0, 0, 0, 0, 0, 0], y: [2, 1, 4], classes: 'abcdefg'.split('') });
  close(r.top5_accuracy, 2 / 3);
});

test('probabilities and logits give the same report', () => {
  const logits = [1, 2, 0.5, -1, 0, 3, 2, 2, 1];
  const p = logits.map((_, i) => {
    const row = logits.slice(i - (i % 3), i - (i % 3) + 3).map(Math.exp);
    return row[i % 3]! / row.reduce((s, v) => s + v, 0);
  });
  const y = [1, 2, 0];
  const fromLogits = evaluate({ logits, y, classes: ['a', 'b', 'c'] });
  const fromProbs = evaluate({ probabilities: p, y, classes: ['a', 'b', 'c'] });
  assert.deepEqual(testMetrics(fromLogits).accuracy, testMetrics(fromProbs).accuracy);
  close(fromLogits.log_loss, fromProbs.log_loss, 1e-12);
  assert.deepEqual(fromLogits.per_class.map((k) => k.roc_auc), fromProbs.per_class.map((k) => k.roc_auc));
});

test('log loss clips p = 0 at 1e-15 instead of returning Infinity', () => {
  const r = evaluate({ probabilities: [1, 0], y: [1], classes: ['a', 'b'] });
  close(r.log_loss, -Math.log(1e-15), 1e-9);
  assert.ok(Number.isFinite(JSON.parse(JSON.stringify(testMetrics(r))).log_loss));
});

test('bad inputs are named', () => {
  const classes = ['a', 'b'];
  assert.throws(() => evaluate({ logits: [], y: [], classes }), /no rows/);
  assert.throws(() => evaluate({ logits: [1, 2], y: [2], classes }), /y\[0\] = 2 is not a class index in \[0, 2\)/);
  assert.throws(() => evaluate({ logits: [1, 2], y: [0, 1], classes }), /1 rows of scores but 2 labels/);
  assert.throws(() => evaluate({ logits: [1, NaN], y: [0], classes }), /logits\[1\] \(row 0, class 1\) is NaN/);
  assert.throws(() => evaluate({ probabilities: [2, 3], y: [0], classes }), /row 0 sums to 5, not 1 \(pass logits instead\?\)/);
  assert.throws(() => evaluate({ probabilities: [1, 2, 3], y: [0], classes }), /3 values, not a multiple of 2/);
});
