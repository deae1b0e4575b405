"""Reference number for tests/ml/monitoring/out-of-scope.test.ts: sklearn's Ledoit-Wolf shrinkage.

Run: /usr/bin/python3 tests/ml/monitoring/reference/oos_reference.py
The matrix is integer arithmetic only, rebuilt identically in the test.
"""
import numpy as np
from sklearn.covariance import ledoit_wolf_shrinkage

n, d = 60, 12
i = np.arange(n)[:, None]
j = np.arange(d)[None, :]
x = ((i * 37 + j * 11 + i * j * 5) % 29) / 29 - 0.5 + (j == 0) * (((i * 7) % 13) / 13)
print(repr(float(ledoit_wolf_shrinkage(x, assume_centered=True))))
