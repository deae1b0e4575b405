"""Reference numbers for tests/ml/monitoring/drift-stats.test.ts, from Debian's scipy/numpy.

Run: /usr/bin/python3 tests/ml/monitoring/reference/drift_reference.py
(apt-get install -y python3-scipy python3-sklearn). PSI follows Evidently's get_binned_data + psi (Sturges bins
over both samples, zero shares -> 0.0001), re-implemented here with numpy because Evidently is not installed.
"""
import json
import numpy as np
import scipy
from scipy import stats
from scipy.spatial import distance

rng = np.random.default_rng(12)
a = np.round(rng.normal(0, 1, 40), 3)
b = np.round(rng.normal(0.5, 1.2, 35), 3)
c = np.round(rng.normal(0, 1, 30), 3)
d = np.round(rng.normal(0.3, 1, 30), 3)
ta = rng.integers(0, 8, 50).astype(float)  # many ties
tb = rng.integers(1, 9, 45).astype(float)

def big(mult, mod, off, n):
    i = np.arange(n, dtype=np.int64)
    return ((i * mult) % mod) / mod + off

la = big(7919, 10007, 0.0, 12000)
lb = big(104729, 10009, 0.01, 11000)

def psi(ref, cur):
    if len(np.unique(ref)) > 20:
        bins = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
        r = np.histogram(ref, bins)[0] / len(ref)
        q = np.histogram(cur, bins)[0] / len(cur)
    else:  # Evidently: one bin per distinct value of either sample
        keys = sorted(set(ref) | set(cur))
        r = np.array([np.sum(ref == k) / len(ref) for k in keys])
        q = np.array([np.sum(cur == k) / len(cur) for k in keys])
        bins = keys + [None]
    for arr in (r, q):
        m = min(arr[arr != 0])
        np.place(arr, arr == 0, m / 10**6 if m <= 0.0001 else 0.0001)
    return float(np.sum((r - q) * np.log(r / q))), len(bins) - 1

out = {"scipy": scipy.__version__, "numpy": np.__version__, "a": a.tolist(), "b": b.tolist(), "c": c.tolist(), "d": d.tolist(), "ta": ta.tolist(), "tb": tb.tolist()}
for name, (x, y) in {"ab": (a, b), "cd": (c, d), "ties": (ta, tb)}.items():
    r = stats.ks_2samp(x, y, method="exact")
    out[f"ks_{name}"] = [float(r.statistic), float(r.pvalue)]
r = stats.ks_2samp(la, lb)  # auto -> asymptotic (both > 10000)
out["ks_large_D"] = float(r.statistic)
en = len(la) * len(lb) / (len(la) + len(lb))
out["ks_large_p_kstwobign"] = float(stats.kstwobign.sf(np.sqrt(en) * r.statistic))
out["ks_large_p_scipy"] = float(r.pvalue)
out["kstwobign"] = {str(x): float(stats.kstwobign.sf(x)) for x in [0.3, 0.6, 0.9, 1.0, 1.36, 2.0]}
out["wasserstein_ab"] = float(stats.wasserstein_distance(a, b))
out["wasserstein_norm_ab"] = float(stats.wasserstein_distance(a, b) / max(np.std(a), 0.001))
out["wasserstein_large"] = float(stats.wasserstein_distance(la, lb))
out["psi_ab"], out["psi_ab_bins"] = psi(a, b)
out["psi_ties"], _ = psi(ta, tb)
p_counts = np.array([30, 20, 10, 0, 5]); q_counts = np.array([25, 25, 5, 5, 0])
out["js_pq"] = float(distance.jensenshannon(p_counts / p_counts.sum(), q_counts / q_counts.sum(), 2))
obs = np.array([18, 22, 30, 30]); exp = np.array([25.0, 25.0, 25.0, 25.0])
cs = stats.chisquare(obs, exp)
out["chisq"] = [float(cs.statistic), float(cs.pvalue)]
ct = stats.chi2_contingency(np.array([p_counts, q_counts]), correction=False)
out["chi2_contingency"] = [float(ct[0]), float(ct[1]), int(ct[2])]
out["chi2_sf"] = {f"{x},{k}": float(stats.chi2.sf(x, k)) for x, k in [(3.84, 1), (20.0, 12), (100.0, 60), (0.5, 3)]}
out["binom_sf_at_least"] = {f"{k},{n},{p}": float(stats.binom.sf(k - 1, n, p)) for k, n, p in [(10, 100, 0.05), (3, 60, 0.05), (25, 100, 0.05), (1, 10, 0.5)]}
out["norm_ppf"] = {str(p): float(stats.norm.ppf(p)) for p in [0.975, 0.5, 0.995, 0.05]}
print(json.dumps(out))
