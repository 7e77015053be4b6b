"""NEST 3.10 reference numbers for the spatial module (layers, geometry, masks, spatial connections).

Run with a Python that has nest-simulator 3.10.0:
    python nest_spatial.py OUTDIR     # writes spatial_geometry.json, spatial_connections.json,
                                      # spatial_parameters.json, spatial_statistics.json

Every case holds its scenario in plain values (layer specs, masks as NEST's mask dicts, conn_specs) and
NEST's answer; tests/test_spatial_nest.py rebuilds each scenario with jaxsnn and compares. Node ids are
stored as 0-based indices into their layer, so a case does not depend on creation order.
"""
import json
import sys

import numpy as np

import nest

nest.set_verbosity("M_ERROR")

# ----------------------------------------------------------------------------------------- scenario
rs = np.random.RandomState(11)
LAYERS = {
    "grid_default": {"kind": "grid", "shape": [3, 2]},
    "grid_wrap": {"kind": "grid", "shape": [4, 3], "extent": [2.0, 3.0], "center": [1.0, 0.5], "edge_wrap": True},
    "grid_odd": {"kind": "grid", "shape": [7, 5], "extent": [1.3, 0.9], "center": [-0.2, 0.35]},
    "grid_3d": {"kind": "grid", "shape": [3, 2, 4], "extent": [1.5, 1.0, 2.0], "center": [0.1, -0.2, 0.3]},
    "grid_3d_wrap": {"kind": "grid", "shape": [4, 4, 3], "extent": [1.0, 1.0, 0.75], "edge_wrap": True},
    "free_2d": {"kind": "free", "pos": rs.uniform(-0.5, 0.5, (25, 2)).round(6).tolist()},
    "free_2d_ext": {"kind": "free", "pos": rs.uniform(-0.4, 0.45, (30, 2)).round(6).tolist(),
                    "extent": [1.0, 1.0], "edge_wrap": True},
    "free_3d": {"kind": "free", "pos": rs.uniform(-0.5, 0.5, (20, 3)).round(6).tolist()},
    "grid_11": {"kind": "grid", "shape": [11, 11], "extent": [1.1, 1.1]},
    "grid_11_wrap": {"kind": "grid", "shape": [11, 11], "extent": [1.1, 1.1], "edge_wrap": True},
    "grid_8x6": {"kind": "grid", "shape": [8, 6], "extent": [1.6, 1.2], "center": [0.3, 0.0], "edge_wrap": True},
}

MASKS_2D = [
    {"rectangular": {"lower_left": [-0.2, -0.1], "upper_right": [0.2, 0.3]}},
    {"rectangular": {"lower_left": [-0.2, -0.1], "upper_right": [0.2, 0.3], "azimuth_angle": 30.0}},
    {"rectangular": {"lower_left": [0.0, 0.0], "upper_right": [0.3, 0.2]}, "anchor": [-0.1, 0.05]},
    {"circular": {"radius": 0.3}},
    {"circular": {"radius": 0.2, "anchor": [0.1, -0.1]}},
    {"circular": {"radius": 0.25}, "anchor": [0.1, 0.0]},
    {"doughnut": {"inner_radius": 0.1, "outer_radius": 0.3}},
    {"elliptical": {"major_axis": 0.6, "minor_axis": 0.3}},
    {"elliptical": {"major_axis": 0.6, "minor_axis": 0.2, "azimuth_angle": 45.0, "anchor": [0.05, 0.0]}},
]
MASKS_3D = [
    {"box": {"lower_left": [-0.2, -0.1, -0.3], "upper_right": [0.2, 0.3, 0.1]}},
    {"box": {"lower_left": [-0.2, -0.1, -0.3], "upper_right": [0.2, 0.3, 0.1], "azimuth_angle": 20.0,
             "polar_angle": 35.0}},
    {"spherical": {"radius": 0.35}},
    {"spherical": {"radius": 0.3, "anchor": [0.1, 0.0, -0.1]}},
    {"ellipsoidal": {"major_axis": 0.7, "minor_axis": 0.3, "polar_axis": 0.5}},
    {"ellipsoidal": {"major_axis": 0.7, "minor_axis": 0.3, "polar_axis": 0.5, "azimuth_angle": 30.0,
                     "polar_angle": 60.0}},
]


def make_layer(spec):
    if spec["kind"] == "grid":
        pos = nest.spatial.grid(shape=spec["shape"], extent=spec.get("extent"), center=spec.get("center"),
                                edge_wrap=spec.get("edge_wrap", False))
    else:
        pos = nest.spatial.free(spec["pos"], extent=spec.get("extent"), edge_wrap=spec.get("edge_wrap", False))
    return nest.Create("iaf_psc_alpha", positions=pos)


def nest_mask(m):
    kind = [k for k in m if k != "anchor"][0]
    return nest.CreateMask(kind, m[kind], anchor=m.get("anchor"))


def floats(a):
    return [float(x) for x in np.ravel(a)]


# ----------------------------------------------------------------------------------------- geometry
def geometry():
    nest.ResetKernel()
    layers = {name: make_layer(spec) for name, spec in LAYERS.items()}
    out = {"layers": LAYERS, "positions": {}, "spatial": {}, "displacement": [], "distance": [],
           "nearest": [], "center_element": {}, "inside": [], "select": []}
    for name, nc in layers.items():
        out["positions"][name] = [floats(p) for p in nest.GetPosition(nc)]
        sp = nc.spatial
        out["spatial"][name] = {"center": floats(sp["center"]), "extent": floats(sp["extent"]),
                                "edge_wrap": bool(sp["edge_wrap"])}
        out["center_element"][name] = int(nest.FindCenterElement(nc).global_id - nc[0].global_id)
    # (from layer, first, stop, to layer, first, stop): contiguous slices keep the layer's metadata
    pairs = [("grid_wrap", 0, 3, "grid_wrap", 9, 12), ("grid_wrap", 0, 1, "free_2d", 1, 5),
             ("free_2d", 0, 3, "grid_wrap", 4, 5), ("free_2d_ext", 0, 10, "free_2d_ext", 10, 20),
             ("free_2d_ext", 3, 4, "free_2d_ext", 0, 30), ("grid_3d_wrap", 0, 3, "grid_3d_wrap", 20, 23),
             ("free_3d", 1, 2, "grid_3d", 0, 24)]
    for fa, f0, f1, ta, t0, t1 in pairs:
        a, b = layers[fa][f0:f1], layers[ta][t0:t1]
        fi, ti = list(range(f0, f1)), list(range(t0, t1))
        out["displacement"].append({"from": fa, "from_idx": fi, "to": ta, "to_idx": ti,
                                    "value": [floats(d) for d in nest.Displacement(a, b)]})
        out["distance"].append({"from": fa, "from_idx": fi, "to": ta, "to_idx": ti,
                                "value": floats(nest.Distance(a, b))})
    for ta, pts in (("grid_wrap", [[0.25, 1.5], [-0.9, 1.9], [2.3, -0.95]]), ("free_2d", [[0.0, 0.0]]),
                    ("free_2d_ext", [[0.1, -0.2], [0.49, 0.49]]), ("grid_3d_wrap", [[0.1, 0.2, -0.3]])):
        for p in pts:
            b = layers[ta]
            out["displacement"].append({"from_pos": p, "to": ta, "to_idx": list(range(len(b))),
                                        "value": [floats(d) for d in nest.Displacement([p], b)]})
            out["distance"].append({"from_pos": p, "to": ta, "to_idx": list(range(len(b))),
                                    "value": floats(nest.Distance([p], b))})
            near = nest.FindNearestElement(b, p)
            out["nearest"].append({"layer": ta, "location": p, "index": int(near.global_id - b[0].global_id)})
    # mask membership: points on a fine lattice (many on the masks' edges) and random points
    lattice2 = np.array(np.meshgrid(np.arange(-0.4, 0.41, 0.05), np.arange(-0.4, 0.41, 0.05))).reshape(2, -1).T
    pts2 = np.concatenate([lattice2.round(12), rs.uniform(-0.45, 0.45, (100, 2))])
    lattice3 = np.array(np.meshgrid(*[np.arange(-0.4, 0.41, 0.1)] * 3)).reshape(3, -1).T
    pts3 = np.concatenate([lattice3.round(12), rs.uniform(-0.45, 0.45, (150, 3))])
    for masks, pts in ((MASKS_2D, pts2), (MASKS_3D, pts3)):
        for m in masks:
            nm = nest_mask(m)
            out["inside"].append({"mask": m, "points": [floats(p) for p in pts],
                                  "inside": [bool(nm.Inside(list(map(float, p)))) for p in pts]})
    algebra = [("&", MASKS_2D[0], MASKS_2D[3]), ("|", MASKS_2D[0], MASKS_2D[7]), ("-", MASKS_2D[3], MASKS_2D[2])]
    for op, m1, m2 in algebra:
        a, b = nest_mask(m1), nest_mask(m2)
        nm = a & b if op == "&" else (a | b if op == "|" else a - b)
        out["inside"].append({"op": op, "masks": [m1, m2], "points": [floats(p) for p in pts2],
                              "inside": [bool(nm.Inside(list(map(float, p)))) for p in pts2]})
    for ln, anchor, masks in (("grid_11", [0.0, 0.0], MASKS_2D), ("grid_11_wrap", [0.5, -0.5], MASKS_2D),
                              ("free_2d_ext", [0.45, 0.3], MASKS_2D), ("grid_3d_wrap", [0.375, -0.375, 0.25],
                                                                         MASKS_3D), ("free_3d", [0.1, 0.1, 0.1],
                                                                                      MASKS_3D)):
        nc = layers[ln]
        for m in masks:
            sel = nest.SelectNodesByMask(nc, anchor, nest_mask(m))
            out["select"].append({"layer": ln, "anchor": anchor, "mask": m,
                                  "indices": sorted(int(i) - nc[0].global_id for i in sel.tolist())})
    return out


# -------------------------------------------------------------------------------------- connections
CONNECTIONS = [
    ("grid_11", "grid_11", {"rule": "pairwise_bernoulli", "p": 1.0, "mask": MASKS_2D[0]}),
    ("grid_11", "grid_11", {"rule": "pairwise_bernoulli", "p": 1.0, "mask": MASKS_2D[0], "use_on_source": True}),
    ("grid_11_wrap", "grid_11_wrap", {"rule": "pairwise_bernoulli", "p": 1.0, "mask": MASKS_2D[2]}),
    ("grid_11_wrap", "grid_11_wrap", {"rule": "pairwise_bernoulli", "p": 1.0, "mask": MASKS_2D[2],
                                      "use_on_source": True}),
    ("grid_11_wrap", "grid_11_wrap", {"rule": "pairwise_bernoulli", "p": 1.0, "mask": MASKS_2D[1],
                                      "allow_autapses": False}),
    ("grid_11_wrap", "grid_11_wrap", {"rule": "pairwise_bernoulli", "p": 1.0, "mask": MASKS_2D[6]}),
    ("grid_11", "grid_11_wrap", {"rule": "pairwise_bernoulli", "p": 1.0, "mask": MASKS_2D[4]}),
    ("grid_11_wrap", "grid_11", {"rule": "pairwise_bernoulli", "p": 1.0, "mask": MASKS_2D[4]}),
    ("grid_11_wrap", "grid_11", {"rule": "pairwise_bernoulli", "p": 1.0, "mask": MASKS_2D[8],
                                 "use_on_source": True}),
    ("free_2d_ext", "grid_11_wrap", {"rule": "pairwise_bernoulli", "p": 1.0, "mask": MASKS_2D[5]}),
    ("grid_11", "free_2d", {"rule": "pairwise_bernoulli", "p": 1.0, "mask": MASKS_2D[7]}),
    ("grid_8x6", "grid_8x6", {"rule": "pairwise_bernoulli", "p": 1.0, "mask": {"grid": {"shape": [3, 2]}}}),
    ("grid_8x6", "grid_8x6", {"rule": "pairwise_bernoulli", "p": 1.0,
                              "mask": {"grid": {"shape": [3, 3]}, "anchor": [1, 1]}}),
    ("grid_11", "grid_11", {"rule": "pairwise_bernoulli", "p": 1.0, "mask": {"grid": {"shape": [2, 3]},
                                                                               "anchor": [0, 1]},
                            "use_on_source": True}),
    ("grid_3d_wrap", "grid_3d_wrap", {"rule": "pairwise_bernoulli", "p": 1.0, "mask": MASKS_3D[0]}),
    ("grid_3d_wrap", "grid_3d_wrap", {"rule": "pairwise_bernoulli", "p": 1.0, "mask": MASKS_3D[3],
                                      "use_on_source": True}),
    ("free_3d", "grid_3d", {"rule": "pairwise_bernoulli", "p": 1.0, "mask": MASKS_3D[5]}),
    ("free_2d", "free_2d", {"rule": "pairwise_bernoulli", "p": 1.0, "mask": MASKS_2D[3], "allow_autapses": False}),
]


def to_nest_spec(spec):
    return dict(spec)  # NEST 3.10's Connect takes masks as dicts (a Mask object is refused there)


def connections():
    out = []
    for src, tgt, spec in CONNECTIONS:
        nest.ResetKernel()
        a = make_layer(LAYERS[src])
        b = make_layer(LAYERS[tgt]) if tgt != src else a
        nest.Connect(a, b, to_nest_spec(spec))
        c = nest.GetConnections(a, b)
        s = np.array(c.get("source"), ndmin=1) - a[0].global_id
        t = np.array(c.get("target"), ndmin=1) - b[0].global_id
        pairs = sorted(zip(t.tolist(), s.tolist()))
        out.append({"source": src, "target": tgt, "same_layer": tgt == src, "conn_spec": spec,
                    "pairs": [[int(si), int(ti)] for ti, si in pairs]})
    return {"cases": out, "layers": LAYERS}


# --------------------------------------------------------------------------- spatial Parameters
# Expressions in a tiny shared vocabulary: sp = nest.spatial, sd = nest.spatial_distributions,
# m = nest.math; the test evaluates the same strings with jaxsnn's modules.
PARAM_CASES = [
    ("grid_11_wrap", "grid_11_wrap", {"rule": "pairwise_bernoulli", "p": 1.0, "mask": MASKS_2D[3]},
     "sd.gaussian(sp.distance, std=0.25)", "1.0 + 3.0 * sp.distance"),
    ("grid_11_wrap", "grid_11_wrap", {"rule": "pairwise_bernoulli", "p": 1.0, "mask": MASKS_2D[2],
                                      "use_on_source": True},
     "sd.exponential(sp.distance.x, beta=0.3) + sd.gamma(sp.distance, kappa=2.0, theta=0.2)",
     "0.5 + 2.0 * sp.distance.y"),
    ("grid_11", "grid_11_wrap", {"rule": "pairwise_bernoulli", "p": 1.0, "mask": MASKS_2D[4]},
     "sd.gaussian2D(sp.distance.x, sp.distance.y, mean_x=0.05, std_x=0.2, std_y=0.3, rho=0.4)",
     "2.0 + sp.source_pos.x + sp.target_pos.y"),
    ("grid_11_wrap", "grid_11", {"rule": "pairwise_bernoulli", "p": 1.0, "mask": MASKS_2D[4],
                                 "use_on_source": True},
     "sd.gabor(sp.target_pos.x - sp.source_pos.x, sp.target_pos.y - sp.source_pos.y, theta=30.0, gamma=0.7, "
     "std=0.3, lam=0.4, psi=20.0)", "m.exp(sp.distance)"),
    ("free_2d_ext", "free_2d_ext", {"rule": "pairwise_bernoulli", "p": 1.0, "mask": MASKS_2D[7]},
     "-2.5 * sd.gaussian(sp.distance, mean=0.1, std=0.15) / (1.0 + sp.distance.x)",
     "0.2 + 4.0 * sp.distance"),
    ("grid_3d_wrap", "grid_3d_wrap", {"rule": "pairwise_bernoulli", "p": 1.0, "mask": MASKS_3D[2]},
     "sd.gaussian(sp.distance, std=0.3) * (1.0 + sp.distance.z)", "1.0 + 2.0 * sp.distance"),
    ("free_3d", "grid_3d", {"rule": "pairwise_bernoulli", "p": 1.0, "mask": MASKS_3D[4]},
     "sd.exponential(sp.distance, beta=0.4) + sp.target_pos.z", "0.5 + sp.distance.z + sp.distance.x"),
]


def parameters():
    env = {"sp": nest.spatial, "sd": nest.spatial_distributions, "m": nest.math}
    out = []
    for src, tgt, spec, w, d in PARAM_CASES:
        nest.ResetKernel()
        a = make_layer(LAYERS[src])
        b = make_layer(LAYERS[tgt]) if tgt != src else a
        nest.Connect(a, b, dict(spec), {"weight": eval(w, env), "delay": eval(d, env)})
        c = nest.GetConnections(a, b)
        rows = sorted(zip((np.array(c.get("target"), ndmin=1) - b[0].global_id).tolist(),
                          (np.array(c.get("source"), ndmin=1) - a[0].global_id).tolist(),
                          np.array(c.get("weight"), ndmin=1).tolist(), np.array(c.get("delay"), ndmin=1).tolist()))
        out.append({"source": src, "target": tgt, "same_layer": tgt == src, "conn_spec": spec, "weight": w,
                    "delay": d, "resolution": nest.resolution,
                    "connections": [[s_, t_, w_, d_] for t_, s_, w_, d_ in rows]})
    return {"cases": out, "layers": LAYERS, "delay_rounding": delay_rounding()}


def delay_rounding():
    """Plain Connect's delays near half steps: NEST rounds ms to steps directly (not through tics)."""
    out = []
    for h in (0.1, 0.25):
        for d in (2.05, 0.6499388490006168, 0.64999999, 0.65, 1.05, 0.15, 0.375, 0.62499999):
            if d < h:
                continue
            nest.ResetKernel()
            nest.resolution = h
            a = nest.Create("iaf_psc_alpha", 2)
            nest.Connect(a[0], a[1], syn_spec={"delay": d})
            out.append({"resolution": h, "delay": d, "nest_delay": float(nest.GetConnections().get("delay"))})
    return out


# ------------------------------------------------------------------------------------- statistics
STAT_LAYER = {"kind": "grid", "shape": [30, 30], "extent": [1.0, 1.0], "edge_wrap": True}
STAT_BINS = [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45]
STAT_RULES = {
    "bernoulli_gaussian": ({"rule": "pairwise_bernoulli", "mask": {"circular": {"radius": 0.45}}},
                           "0.8 * sd.gaussian(sp.distance, std=0.15)"),
    "indegree_gaussian": ({"rule": "fixed_indegree", "indegree": 20, "mask": {"circular": {"radius": 0.45}}},
                          "sd.gaussian(sp.distance, std=0.15)"),
    "outdegree_doughnut": ({"rule": "fixed_outdegree", "outdegree": 15, "allow_multapses": False,
                            "mask": {"doughnut": {"inner_radius": 0.1, "outer_radius": 0.3}}}, None),
}
RATE_NET = {"layer": {"kind": "grid", "shape": [20, 20], "extent": [1.0, 1.0], "edge_wrap": True},
            "neuron": {"tau_syn_ex": 0.5, "tau_syn_in": 0.5}, "rate": 14000.0, "w_in": 25.0,
            "p": "0.4 * sd.gaussian(sp.distance, std=0.1)", "mask": {"circular": {"radius": 0.3}},
            "w": -30.0, "delay": "1.0 + 2.0 * sp.distance", "t": 1000.0, "seeds": [1, 2, 3, 4]}


def _distances(nc_src, nc_tgt):
    c = nest.GetConnections(nc_src, nc_tgt)
    s = np.array(c.get("source"), ndmin=1) - nc_src[0].global_id
    t = np.array(c.get("target"), ndmin=1) - nc_tgt[0].global_id
    pos = np.array(nest.GetPosition(nc_src))
    d = pos[t] - pos[s]
    d -= np.round(d)  # extent 1, periodic
    return np.sqrt((d ** 2).sum(axis=1)), s, t


def statistics():
    env = {"sp": nest.spatial, "sd": nest.spatial_distributions, "m": nest.math}
    out = {"layer": STAT_LAYER, "bins": STAT_BINS, "rules": {}, "rate": {}}
    for name, (spec, p) in STAT_RULES.items():
        hist, degrees = np.zeros(len(STAT_BINS) - 1), []
        for seed in (1, 2, 3):
            nest.ResetKernel()
            nest.rng_seed = seed
            layer = make_layer(STAT_LAYER)
            full = dict(spec, **({"p": eval(p, env)} if p else {}))
            nest.Connect(layer, layer, full)
            d, s, t = _distances(layer, layer)
            hist += np.histogram(d, STAT_BINS)[0]
            degrees.append(np.bincount(t if spec["rule"] != "fixed_outdegree" else s, minlength=len(layer)).tolist())
        out["rules"][name] = {"conn_spec": spec, "p": p, "seeds": 3, "histogram": hist.tolist(),
                              "degree_mean": float(np.mean(degrees)), "degree_var": float(np.var(degrees))}
    r = RATE_NET
    rates = []
    for seed in r["seeds"]:
        nest.ResetKernel()
        nest.rng_seed = seed
        nest.resolution = 0.1
        layer = make_layer(r["layer"])
        layer.set(r["neuron"])
        pg = nest.Create("poisson_generator", params={"rate": r["rate"]})
        nest.Connect(pg, layer, syn_spec={"weight": r["w_in"]})
        nest.Connect(layer, layer, {"rule": "pairwise_bernoulli", "p": eval(r["p"], env), "mask": r["mask"]},
                     {"weight": r["w"], "delay": eval(r["delay"], env)})
        sr = nest.Create("spike_recorder")
        nest.Connect(layer, sr)
        nest.Simulate(r["t"])
        rates.append(sr.n_events / len(layer) / (r["t"] / 1000.0))
    out["rate"] = {**r, "rates_hz": rates}
    return out


if __name__ == "__main__":
    outdir = sys.argv[1]
    with open(f"{outdir}/spatial_geometry.json", "w") as f:
        json.dump({"kind": "spatial_geometry", "generator": "nest_spatial.py", "nest": nest.__version__,
                   **geometry()}, f)
    with open(f"{outdir}/spatial_connections.json", "w") as f:
        json.dump({"kind": "spatial_connections", "generator": "nest_spatial.py", "nest": nest.__version__,
                   **connections()}, f)
    with open(f"{outdir}/spatial_parameters.json", "w") as f:
        json.dump({"kind": "spatial_parameters", "generator": "nest_spatial.py", "nest": nest.__version__,
                   **parameters()}, f)
    with open(f"{outdir}/spatial_statistics.json", "w") as f:
        json.dump({"kind": "spatial_statistics", "generator": "nest_spatial.py", "nest": nest.__version__,
                   **statistics()}, f)
