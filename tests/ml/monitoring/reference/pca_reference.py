"""Reference numbers for tests/ml/monitoring/pca-mmd.test.ts: sklearn PCA (full SVD) on a deterministic matrix.

Run: /usr/bin/python3 tests/ml/monitoring/reference/pca_reference.py
The matrix is built from integer arithmetic only, so the TypeScript test rebuilds exactly the same values.
"""
import json
import numpy as np
import sklearn
from sklearn.decomposition import PCA

n, d = 120, 50
i = np.arange(n)[:, None]
j = np.arange(d)[None, :]
x = np.zeros((n, d))
for s, p, q in [(10, 7, 11), (6, 13, 17), (4, 19, 23), (2, 29, 31), (1, 37, 41)]:
    x += s * (((i * p) % 101) / 101 - 0.5) * (((j * q) % 103) / 103 - 0.5)
x += ((i * 131 + j * 137) % 211) / 211 * 0.1
pca = PCA(n_components=5, svd_solver="full").fit(x)
print(json.dumps({"sklearn": sklearn.__version__, "explained_variance": pca.explained_variance_.tolist(),
                  "total_variance": float(np.var(x, axis=0, ddof=1).sum()), "first_component": pca.components_[0].tolist(),
                  "projected_row0": pca.transform(x[:1])[0].tolist()}))
