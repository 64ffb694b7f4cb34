#!/usr/bin/env python3
"""Walk through a run of `fsising run` from Python: load every output, check the pieces against each
other, and redraw the main figures with matplotlib (when it is installed; otherwise everything is still
loaded and checked, and the plots are skipped with a note).

    python3 docs/python/walkthrough.py models/runs/quick [--figures DIR] [--no-plots]

Checks (exit code 1 with a message if one fails):
  - every file of the run loads (numpy arrays, JSON, CSV tables, the ensembles, the PNGs' signatures);
  - the magnetisations m_i = <s_i>, second moments <s_i s_j> and sampled triplet moments recomputed here
    from the decoded ensemble equal the tool's moments files (they are averages of ±1 products over the
    same M configurations, so they agree to rounding, 1e-9);
  - the mean test accuracy of the ensemble equals collect.json's (float32 values: relative 1e-5);
  - every fitted model has symmetric couplings with a zero diagonal, sized like its part;
  - numpy's own loader (numpy.genfromtxt) reads every CSV table without quoted text to the same numbers as
    fsi_reader.read_csv, every histogram table has the columns bin_low, bin_high, bin_centre, count, and
    manifest.json has snake_case keys.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fsi_reader  # noqa: E402

# The tool's own rule for drawing s(d) (Landscape/LandscapeReport.cs, MaxBracket): converged points further
# apart than this in d lie on two sides of a jump of d(x).
JUMP = 0.05


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", help="a run directory, e.g. models/runs/quick")
    parser.add_argument("--figures", help="where to write the redrawn figures (default: <run>/python-figures)")
    parser.add_argument("--no-plots", action="store_true", help="load and check only")
    args = parser.parse_args(argv)

    run = fsi_reader.Run(args.run)
    contents = run.load_all()
    kinds = {}
    for name in contents:
        extension = os.path.splitext(name)[1] or "(none)"
        kinds[extension] = kinds.get(extension, 0) + 1
    print(f"loaded {len(contents)} files from {run.directory}: "
          + ", ".join(f"{count} {extension}" for extension, count in sorted(kinds.items())))

    failures = []
    scenarios = run.scenarios()
    print(f"scenarios: {', '.join(scenarios)}")
    for scenario in scenarios:
        failures += check_scenario(run, scenario)
    failures += check_numpy_loaders(run)

    if failures:
        for failure in failures:
            print(f"walkthrough: check failed: {failure}", file=sys.stderr)
        return 1
    print("all checks passed")

    if args.no_plots:
        return 0
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: plots skipped (everything above was loaded and checked)")
        return 0
    figures = args.figures or os.path.join(run.directory, "python-figures")
    os.makedirs(figures, exist_ok=True)
    for scenario in scenarios:
        for path in draw_scenario(run, scenario, figures, plt):
            print(f"figure: {path}")
    return 0


def check_scenario(run: fsi_reader.Run, scenario: str):
    failures = []
    try:
        ensemble = run.ensemble(scenario)
    except KeyError:
        ensemble = None
    if ensemble is not None:
        spins = ensemble.spins
        print(f"[{scenario}] ensemble: {spins.shape[0]} configurations x {spins.shape[1]} spins from "
              f"{len(np.unique(ensemble.network_id))} networks; parts "
              + ", ".join(f"{p} {a}:{b}" for p, (a, b) in ensemble.slices.items())
              + f"; test accuracy mean {ensemble.accuracy.mean():.4f}, best {ensemble.accuracy.max():.4f}")
        collect = f"{scenario}/collect.json"
        if collect in run and "accuracy_mean" in run[collect]:
            reported = run[collect]["accuracy_mean"]
            mean = float(ensemble.accuracy.astype(np.float64).mean())
            if not np.isclose(mean, reported, rtol=1e-5, atol=0):
                failures.append(f"{collect}: accuracy_mean {reported} but the ensemble's mean is {mean}")
        if f"{scenario}/moments/moments.json" in run:
            failures += check_moments(run, scenario, spins)
    for stem in run.models(scenario):
        part = stem.split("_")[0]
        couplings, fields, _ = run.model(scenario, part, stem.split("_", 1)[1])
        n = fields.shape[0]
        if couplings.shape != (n, n):
            failures.append(f"{scenario}/fit/{stem}: J is {couplings.shape} for {n} fields")
            continue
        if not (np.array_equal(couplings, couplings.T) and not np.diagonal(couplings).any()):
            failures.append(f"{scenario}/fit/{stem}: J is not symmetric with a zero diagonal")
        if ensemble is not None and part in ensemble.slices:
            start, end = ensemble.slices[part]
            if end - start != n:
                failures.append(f"{scenario}/fit/{stem}: {n} fields but part {part} has {end - start} spins")
        print(f"[{scenario}] model {stem}: N = {n}, mean |J| = {np.abs(couplings).sum() / max(1, n * (n - 1)):.4g}, "
              f"mean |h| = {np.abs(fields).mean():.4g}")
    for reference in run.references(scenario):
        table = run.landscape(scenario, reference)
        parts = sorted(set(table["part"]))
        print(f"[{scenario}] landscape around '{reference}': {len(table['x'])} points, parts {', '.join(parts)}, "
              f"{int((~table['converged']).sum())} not converged")
    return failures


HISTOGRAM_COLUMNS = ["bin_low", "bin_high", "bin_centre", "count"]


def check_numpy_loaders(run: fsi_reader.Run):
    """Every plain CSV table loads with numpy.genfromtxt to the numbers read_csv gives; histograms share one schema."""
    failures, loaded, quoted = [], 0, 0
    for name in (f for f in run.files() if f.endswith(".csv")):
        table = run[name]
        if "hist" in os.path.basename(name) and list(table) != HISTOGRAM_COLUMNS:
            failures.append(f"{name}: histogram columns {list(table)}, expected {HISTOGRAM_COLUMNS}")
        with open(run.path(name), encoding="utf-8") as f:
            text = f.read()
        rows = len(next(iter(table.values()))) if table else 0
        if '"' in text or rows == 0:
            # Quoted text (a comma inside a field) needs the csv module; numpy splits at every comma.
            quoted += '"' in text
            continue
        array = np.atleast_1d(np.genfromtxt(run.path(name), delimiter=",", names=True, dtype=None, encoding="utf-8"))
        if array.shape[0] != rows or len(array.dtype.names) != len(table):
            failures.append(f"{name}: numpy.genfromtxt reads {array.shape[0]} rows x {len(array.dtype.names)} columns, "
                            f"read_csv {rows} x {len(table)}")
            continue
        for column, numpy_name in zip(table, array.dtype.names):
            ours, theirs = table[column], array[numpy_name]
            if ours.dtype.kind in "iuf" and not (theirs.dtype.kind in "iuf" and
                                                  np.allclose(ours, theirs, rtol=0, atol=0, equal_nan=True)):
                failures.append(f"{name}: column {column} reads as {theirs.dtype} in numpy.genfromtxt, {ours.dtype} in read_csv")
        loaded += 1
    manifest = run.manifest
    version = manifest.get("format_version")
    if not isinstance(version, int) or version < 2 or any(key != key.lower() for key in manifest):
        failures.append(f"manifest.json: format {manifest.get('format_version')}, keys {sorted(manifest)}")
    print(f"numpy.genfromtxt reads {loaded} tables to the same numbers ({quoted} with quoted text read by the csv module)")
    return failures


def check_moments(run: fsi_reader.Run, scenario: str, spins: np.ndarray):
    failures = []
    moments = run.moments(scenario)
    as_float = spins.astype(np.float64)
    count = moments["meta"].get("count")
    if count is not None and count != spins.shape[0]:
        failures.append(f"{scenario}/moments: computed from {count} configurations, the ensemble has {spins.shape[0]}")
        return failures
    m = as_float.mean(axis=0)
    second = as_float.T @ as_float / spins.shape[0]
    checks = [("m", m), ("C", second)]
    if "triplets" in moments and "t3" in moments:
        i, j, k = (moments["triplets"][:, c] for c in range(3))
        checks.append(("t3", (as_float[:, i] * as_float[:, j] * as_float[:, k]).mean(axis=0)))
    for name, recomputed in checks:
        stored = moments[name]
        if stored.shape != recomputed.shape:
            failures.append(f"{scenario}/moments {name}: shape {stored.shape}, recomputed {recomputed.shape}")
            continue
        difference = float(np.max(np.abs(stored - recomputed))) if stored.size else 0.0
        if difference > 1e-9:
            failures.append(f"{scenario}/moments {name}: differs from the ensemble's by up to {difference:.3g}")
    print(f"[{scenario}] moments: m, <s_i s_j>" + (", triplets" if len(checks) == 3 else "")
          + " recomputed from the decoded spins agree with the stored ones")
    return failures


def draw_scenario(run: fsi_reader.Run, scenario: str, figures: str, plt):
    written = []

    def save(figure, name):
        path = os.path.join(figures, f"{scenario}_{name}.png")
        figure.tight_layout()
        figure.savefig(path, dpi=110)
        plt.close(figure)
        written.append(path)

    try:
        ensemble = run.ensemble(scenario)
    except KeyError:
        ensemble = None
    if ensemble is not None and len(ensemble):
        figure, axis = plt.subplots(figsize=(5, 3.5))
        axis.hist(ensemble.accuracy, bins=40, color="tab:blue")
        axis.set_xlabel("test accuracy")
        axis.set_ylabel("configurations")
        axis.set_title(f"{scenario}: {len(ensemble)} configurations")
        save(figure, "accuracy")

    stems = run.models(scenario)
    rmse = [(s, run[f"{scenario}/fit/{s}.rmse.csv"]) for s in stems if f"{scenario}/fit/{s}.rmse.csv" in run]
    if rmse:
        figure, axis = plt.subplots(figsize=(5, 3.5))
        for stem, table in rmse:
            # Monte-Carlo learning writes step, rmse_step_estimate; the other methods iteration, rmse (or objective).
            names = table.keys()
            x = table["step"] if "step" in names else table["iteration"]
            y = table[next(c for c in ("rmse_step_estimate", "rmse", "objective") if c in names)]
            axis.plot(x, y, label=stem)
        axis.set_yscale("log")
        axis.set_xlabel("learning step")
        axis.set_ylabel("RMSE of the moments")
        axis.set_title(f"{scenario}: fits")
        axis.legend(fontsize=8)
        save(figure, "fit_rmse")
    else:
        print(f"[{scenario}] fits: no learning curves (every fit stopped at its start)")

    references = run.references(scenario)
    if references:
        reference = "lowest" if "lowest" in references else references[0]
        table = run.landscape(scenario, reference)
        parts = list(dict.fromkeys(table["part"]))
        figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
        for index, part in enumerate(parts):
            colour = f"C{index}"
            forward = (table["part"] == part) & (table["direction"] == "forward")
            backward = (table["part"] == part) & (table["direction"] == "backward")
            # s(d) of the forward sweep, broken where d jumps: between two converged points more than
            # JUMP apart in d there are no states, so a line across would invent a curve.
            good = forward & table["converged"]
            order = np.argsort(table["distance"][good])
            distance, entropy = table["distance"][good][order], table["entropy"][good][order]
            pieces = np.split(np.arange(len(distance)), np.nonzero(np.diff(distance) > JUMP)[0] + 1)
            for k, piece in enumerate(pieces):
                left.plot(distance[piece], entropy[piece], "-", color=colour, label=part if k == 0 else None,
                          marker="o" if len(piece) == 1 else None, markersize=3)
            back = backward & table["converged"]
            left.plot(table["distance"][back], table["entropy"][back], "o", mfc="none", color=colour, markersize=3)
            failed = (forward | backward) & ~table["converged"]
            left.plot(table["distance"][failed], table["entropy"][failed], "x", color="red")
            for rows, style in ((forward, "-"), (backward, "--")):
                right.plot(table["x"][rows], table["distance"][rows], style, color=colour,
                           label=part if style == "-" else None)
        if "s_max" in table:
            # The entropy bound at each point's distance (all configurations at that distance counted).
            order = np.argsort(table["distance"])
            left.plot(table["distance"][order], table["s_max"][order], ":", color="grey", label="bound")
        left.set_xlabel("distance d")
        left.set_ylabel("entropy s(d)")
        left.set_title(f"{scenario}: around the {reference} reference\n(circles: backward sweep, red x: BP not converged)", fontsize=9)
        left.legend(fontsize=8)
        right.set_xlabel("coupling x")
        right.set_ylabel("distance d")
        right.set_title("forward (solid) and backward (dashed)")
        save(figure, "landscape")

    dynamics = f"{scenario}/dynamics/dynamics.csv"
    if dynamics in run:
        table = run[dynamics]
        figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
        for axis, column, label in ((left, "energy", "energy density"), (right, "accuracy", "test accuracy")):
            mean, std = table[f"{column}_mean"], table[f"{column}_std"]
            axis.plot(table["sweep"], mean, color="tab:blue")
            axis.fill_between(table["sweep"], mean - std, mean + std, alpha=0.3, color="tab:blue")
            axis.set_xlabel("Metropolis sweep")
            axis.set_ylabel(label)
        left.set_title(f"{scenario}: dynamics from references")
        save(figure, "dynamics")
    return written


if __name__ == "__main__":
    sys.exit(main())
