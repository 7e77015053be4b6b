"""Statistics of the founding network, with the definitions of shared/tools/nest_network_stats.py.

Shared by the jaxsnn and NEST benchmark children (numpy only, no simulator imports).
"""
import numpy as np


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
