"""scikit-learn's L2 logistic regression on the features exported by probe-vs-sklearn.ts (see there).

    python3 scripts/probe_sklearn.py <dir with {train,val,test}_{x,y}.npy> <C>
Prints {"val": accuracy, "test": accuracy, "seconds": fit time, "iterations": n} as JSON.
"""
import json
import sys
import time

import numpy as np
from sklearn.linear_model import LogisticRegression

folder, C = sys.argv[1], float(sys.argv[2])
load = lambda name: np.load(f"{folder}/{name}.npy")
x, y = load("train_x"), load("train_y")
t0 = time.perf_counter()
clf = LogisticRegression(C=C, max_iter=5000, tol=1e-6).fit(x, y)
seconds = time.perf_counter() - t0
score = lambda split: float(clf.score(load(f"{split}_x"), load(f"{split}_y")))
print(json.dumps({"val": score("val"), "test": score("test"), "seconds": seconds, "iterations": int(np.max(clf.n_iter_))}))
