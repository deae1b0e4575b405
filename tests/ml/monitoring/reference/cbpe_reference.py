"""Reference numbers for tests/ml/monitoring/performance.test.ts.

Run: /usr/bin/python3 tests/ml/monitoring/reference/cbpe_reference.py
Isotonic: sklearn IsotonicRegression(out_of_bounds='clip', increasing=True) on integer-built data.
Wilson: the closed form with scipy.stats.norm.ppf (independent evaluation in another language).
"""
import json
import numpy as np
from scipy.stats import norm
from sklearn.isotonic import IsotonicRegression

i = np.arange(200)
x = ((i * 37) % 101) / 100  # confidences in [0, 1], with repeats
y = (((i * 53) % 97) / 97 < x * 0.8).astype(float)  # correct more often when confident
iso = IsotonicRegression(out_of_bounds="clip", increasing=True).fit(x, y)
probe = [0.0, 0.05, 0.333, 0.5, 0.77, 0.99, 1.0, 1.2]

def wilson(k, n, conf):
    z = norm.ppf(1 - (1 - conf) / 2)
    p = k / n
    c = (p + z * z / (2 * n)) / (1 + z * z / n)
    h = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return [max(0.0, c - h), min(1.0, c + h)]

print(json.dumps({"isotonic": dict(zip(map(str, probe), iso.predict(probe).tolist())),
                  "wilson": {"8,10,0.95": wilson(8, 10, 0.95), "0,10,0.95": wilson(0, 10, 0.95), "170,200,0.9": wilson(170, 200, 0.9)}}))
