#!/usr/bin/python3
"""
Cross-validated accuracy of a linear probe on features written by scripts/bench-feature-variants.ts: ridge
regression onto one-hot labels (closed form: one eigendecomposition per fold serves every regularisation strength,
so it runs in seconds on a loaded 2-core machine, where a softmax regression grid took minutes per row). For each set
of test-time views and with / without per-dimension standardisation (fitted on the training part of each fold), the
strength is chosen by the fold-averaged validation accuracy; the test split is scored once, for that strength.
Usage: /usr/bin/python3 scripts/cv-probe.py /tmp/variants/base [...]   Prints one JSON line per row.
"""
import json
import sys

import numpy as np

# Regularisation as a fraction of the mean eigenvalue of the (centred) Gram matrix.
ALPHAS = [0.03, 0.1, 0.3, 1.0, 3.0]


def load(d):
    meta = json.load(open(f"{d}/meta.json"))
    dim = meta["dim"]
    tv, ev = meta["trainViews"], meta["evalViews"]
    train = np.fromfile(f"{d}/train.f32", dtype=np.float32).reshape(-1, len(tv), dim).astype(np.float64)
    test = np.fromfile(f"{d}/test.f32", dtype=np.float32).reshape(-1, len(ev), dim).astype(np.float64)
    return meta, train, test


class Ridge:
    """Fits every alpha at once from one eigendecomposition of the training part."""

    def __init__(self, x, y, classes, standardise):
        self.mu = x.mean(0)
        self.sd = x.std(0) + 1e-6 if standardise else np.ones(x.shape[1])
        z = (x - self.mu) / self.sd
        onehot = np.eye(classes)[y]
        self.ymean = onehot.mean(0)
        self.lam, self.v = np.linalg.eigh(z.T @ z)
        self.proj = self.v.T @ (z.T @ (onehot - self.ymean))
        self.scale = self.lam.mean()

    def predict(self, x, alpha):
        w = self.v @ (self.proj / (self.lam + alpha * self.scale)[:, None])
        return (((x - self.mu) / self.sd) @ w + self.ymean).argmax(1)


def run(meta, train, test, views, standardise):
    tv = meta["trainViews"]
    aug = [tv.index(v) for v in meta["augmentViews"]]
    ev_train = [tv.index(v) for v in views]
    ev_test = [meta["evalViews"].index(v) for v in views]
    y = np.array(meta["trainLabels"])
    fold = np.array(meta["trainFold"])
    yt = np.array(meta["testLabels"])
    classes = int(max(y.max(), yt.max()) + 1)

    def fit(idx):
        return Ridge(train[idx][:, aug].reshape(-1, train.shape[2]), np.repeat(y[idx], len(aug)), classes, standardise)

    per_fold = []
    for k in sorted(set(fold.tolist())):
        tr, va = np.where(fold != k)[0], np.where(fold == k)[0]
        model, xv = fit(tr), train[va][:, ev_train].mean(1)
        per_fold.append([float((model.predict(xv, a) == y[va]).mean()) for a in ALPHAS])
    per_fold = np.array(per_fold)
    best = int(per_fold.mean(0).argmax())
    test_acc = float((fit(np.arange(len(y))).predict(test[:, ev_test].mean(1), ALPHAS[best]) == yt).mean())
    return ALPHAS[best], float(per_fold[:, best].mean()), float(per_fold[:, best].std()), test_acc


for d in sys.argv[1:]:
    meta, train, test = load(d)
    ev = meta["evalViews"]
    zooms = [v for v in ev if v.startswith("zoom") and not v.endswith("_flip")]
    view_sets = [["center"], ["center", "flip"]] + [["center", "flip", z, z + "_flip"] for z in zooms]
    if len(zooms) > 1:
        view_sets.append(ev)
    for views in view_sets:
        for standardise in (False, True):
            alpha, cv, sd, test_acc = run(meta, train, test, views, standardise)
            ms = meta["servingMs"].get("+".join(views))
            print(json.dumps({"variant": meta["name"], "dim": meta["dim"], "views": "+".join(views), "standardise": standardise, "alpha": alpha, "cv": round(cv, 4), "cv_std": round(sd, 4), "test": round(test_acc, 4), "serving_ms": ms and round(ms, 1)}), flush=True)
