"""Statistics of the founding network, with the definitions of tests/reference/tools/nest_network_stats.py,
and NEST's band for each (the test and ``benchmarks/founding_stats.py`` judge by it).

numpy only, no simulator imports: the NEST benchmark child loads this file by its path.
"""
import numpy as np

KEYS = ("rate_0", "rate_1", "cv_isi_mean_0", "cv_isi_mean_1", "frac_first_step", "w_mean_0", "w_mean_1",
        "w_std_0", "w_std_1")


def window_stats(t, s, w, nE, t0, t1, k):
    """E spike times ``t`` and senders ``s``, e_syn weights ``w``: statistics of the window (t0, t1] ms."""
    t, s, w = np.asarray(t), np.asarray(s), np.asarray(w, float)
    m = (t > t0) & (t <= t1)
    cvs = []
    for nid in np.unique(s[m]):
        ts = np.sort(t[m][s[m] == nid])
        if len(ts) > 3:
            isi = np.diff(ts)
            cvs.append(isi.std() / isi.mean())
    h, _ = np.histogram(t[m], bins=np.arange(t0, t1 + 1, 1.0))
    return {f"rate_{k}": float(m.sum() / nE / ((t1 - t0) / 1000.0)),
            f"w_mean_{k}": float(w.mean()), f"w_std_{k}": float(w.std()),
            f"w_q_{k}": [float(x) for x in np.quantile(w, [0.01, 0.1, 0.5, 0.9, 0.99])],
            f"cv_isi_mean_{k}": float(np.mean(cvs)) if cvs else float("nan"),
            f"psth_fano_{k}": float(h.var() / max(h.mean(), 1e-9))}


def band(key, nest):
    """NEST's min–max of ``key`` over its seeds, widened on each side by 5 % of NEST's mean (for the
    weight mean: 5 % of NEST's mean weight change, w_mean − 1)."""
    vals = np.array([r[key] for r in nest])
    if key.startswith("w_mean"):
        widen = 0.05 * abs(vals.mean() - 1.0)
    else:
        widen = 0.05 * abs(vals.mean())
    return vals.min() - widen, vals.max() + widen


def compare(ours, nest):
    """One row per statistic: our mean and sd over seeds, NEST's range and band, and whether we pass."""
    rows = []
    for key in KEYS:
        lo, hi = band(key, nest)
        m = float(np.mean([r[key] for r in ours]))
        rows.append({"statistic": key, "jaxsnn_mean": m, "jaxsnn_sd": float(np.std([r[key] for r in ours])),
                     "nest_min": min(r[key] for r in nest), "nest_max": max(r[key] for r in nest),
                     "band_lo": lo, "band_hi": hi, "pass": bool(lo <= m <= hi)})
    return rows
