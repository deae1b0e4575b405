#!/usr/bin/python3
"""
Cross-validated accuracy of a linear probe (L2 softmax regression, scikit-learn) on features written by
scripts/bench-feature-variants.ts: for each set of test-time views and with / without per-dimension
standardisation (fitted on the training part of each fold), C is chosen by the fold-averaged validation accuracy;
the test split is scored once, for that C. Usage: /usr/bin/python3 scripts/cv-probe.py /tmp/variants/base [...]
Prints one JSON line per (variant, views, standardise).
"""
import json
import sys
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

warnings.filterwarnings("ignore", category=ConvergenceWarning)
CS = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3]


def load(d):
    meta = json.load(open(f"{d}/meta.json"))
    dim = meta["dim"]
    tv, ev = meta["trainViews"], meta["evalViews"]
    train = np.fromfile(f"{d}/train.f32", dtype=np.float32).reshape(-1, len(tv), dim)
    test = np.fromfile(f"{d}/test.f32", dtype=np.float32).reshape(-1, len(ev), dim)
    return meta, train, test


def score(meta, train, test, views, standardise, C):
    tv = meta["trainViews"]
    aug = [tv.index(v) for v in meta["augmentViews"]]
    ev_train = [tv.index(v) for v in views]
    ev_test = [meta["evalViews"].index(v) for v in views]
    y = np.array(meta["trainLabels"])
    fold = np.array(meta["trainFold"])
    yt = np.array(meta["testLabels"])

    def fit_eval(tr_idx, x_eval, y_eval):
        x = train[tr_idx][:, aug].reshape(-1, train.shape[2])
        yy = np.repeat(y[tr_idx], len(aug))
        mu, sd = (x.mean(0), x.std(0) + 1e-6) if standardise else (0.0, 1.0)
        clf = LogisticRegression(C=C, max_iter=300).fit((x - mu) / sd, yy)
        return float((clf.predict((x_eval - mu) / sd) == y_eval).mean())

    accs = []
    for k in sorted(set(fold.tolist())):
        tr, va = np.where(fold != k)[0], np.where(fold == k)[0]
        accs.append(fit_eval(tr, train[va][:, ev_train].mean(1), y[va]))
    return float(np.mean(accs)), float(np.std(accs)), lambda: fit_eval(np.arange(len(y)), test[:, ev_test].mean(1), yt)


for d in sys.argv[1:]:
    meta, train, test = load(d)
    ev = meta["evalViews"]
    zooms = [v for v in ev if v.startswith("zoom") and not v.endswith("_flip")]
    view_sets = [["center"], ["center", "flip"]] + [["center", "flip", z, z + "_flip"] for z in zooms]
    if len(zooms) > 1:
        view_sets.append(ev)
    for views in view_sets:
        for standardise in (False, True):
            best = max(((C,) + score(meta, train, test, views, standardise, C)[:2] for C in CS), key=lambda r: r[1])
            C, cv, sd = best
            test_acc = score(meta, train, test, views, standardise, C)[2]()
            ms = meta["servingMs"].get("+".join(views))
            print(json.dumps({"variant": meta["name"], "dim": meta["dim"], "views": "+".join(views), "standardise": standardise, "C": C, "cv": round(cv, 4), "cv_std": round(sd, 4), "test": round(test_acc, 4), "serving_ms": ms and round(ms, 1)}), flush=True)
