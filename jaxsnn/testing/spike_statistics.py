"""Statistics of spike trains sent to parrot_neurons by one generator, as the generator reference cases
(``tests/reference/tools/nest_generators.py``, ``kind: "generator_stats"``) hold them for NEST: the same
function computes NEST's numbers and jaxsnn's (numpy only, so NEST's python can load it by path)."""
import numpy as np


def spike_stats(times, senders, ids, t_sim, bin_ms, period=None, n_phase=20, h=0.1):
    """The statistics of ``kind: "generator_stats"`` (``tests/reference/README.md``) for the parrots ``ids``
    whose spikes (``times`` in ms, ``senders``) a generator caused through connections of delay 1 ms."""
    t = np.asarray(times) - 1.0  # emission times
    s = np.asarray(senders)
    T = t_sim - 1.0  # spikes emitted after t_sim - 1 ms reach the parrots after the run
    keep = t <= T + 1e-9
    t, s = t[keep], s[keep]
    counts = np.array([np.sum(s == i) for i in ids], float)
    rates = counts / (T / 1000.0)
    cvs, dmin = [], []
    edges = np.arange(0.0, T + 1e-9, bin_ms)
    binned = []
    for i in ids:
        ti = np.sort(t[s == i])
        isi = np.diff(ti)
        if len(isi) > 2:
            cvs.append(np.std(isi) / np.mean(isi))
            dmin.append(isi.min())
        binned.append(np.histogram(ti, edges)[0])
    binned = np.array(binned, float)
    fano = np.nanmean(binned.var(axis=1, ddof=1) / np.maximum(binned.mean(axis=1), 1e-12))
    cc = np.corrcoef(binned) if len(ids) > 1 else np.ones((1, 1))
    off = cc[~np.eye(len(ids), dtype=bool)]
    steps, n_at = np.unique(np.round(t / h).astype(np.int64), return_counts=True)
    shared = float(np.sum(n_at[n_at == len(ids)]) / max(len(t), 1))
    out = dict(rate=float(rates.mean()), rate_sd=float(rates.std(ddof=1)) if len(ids) > 1 else 0.0,
               cv=float(np.mean(cvs)) if cvs else float("nan"), fano=float(fano),
               corr=float(np.nanmean(off)) if len(off) else 1.0, shared=shared,
               dead_time_min=float(np.min(dmin)) if dmin else float("nan"))
    if period:
        ph = np.floor((t % period) / period * n_phase).astype(int)
        n_periods = T / period
        out["phase_rates"] = (np.bincount(ph, minlength=n_phase) / len(ids) / (n_periods * period / n_phase / 1000.0)
                              ).tolist()
    return out
