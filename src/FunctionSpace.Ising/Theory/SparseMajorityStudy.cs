using FunctionSpace.Ising.Reporting;
using static FunctionSpace.Ising.Theory.TheoryText;

namespace FunctionSpace.Ising.Theory;

/// <summary>Settings of the sparse MAJ-k job (<c>fsi theory sparse</c>).</summary>
public sealed record SparseMajorityStudySettings
{
    /// <summary>The defaults (the CLI's option defaults read them).</summary>
    public static SparseMajorityStudySettings Default { get; } = new();

    /// <summary>Fan-in k of the MAJ-k gates (odd, 3..51).</summary>
    public int FanIn { get; init; } = 3;

    /// <summary>Magnetisation m⁰ of the random ±1 input (0 = unbiased; a small bias selects the m &gt; 0 branch).</summary>
    public double InputMagnetisation { get; init; } = 0.1;

    /// <summary>Layers of the δ(l) curves.</summary>
    public int Layers { get; init; } = 40;

    /// <summary>Flip probabilities p in [0, 0.5] for the stationary-state curves.</summary>
    public int Points { get; init; } = 101;

    /// <summary>Flip probabilities of the δ(l) curves.</summary>
    public double[] Probabilities { get; init; } = [0.02, 0.05, 0.1, 0.15, 0.2, 0.3];

    /// <summary>Largest change between successive layers that counts as stationary.</summary>
    public double Tolerance { get; init; } = 1e-12;

    /// <summary>Cap on the layers iterated towards the stationary state.</summary>
    public int MaxLayers { get; init; } = 20_000;

    /// <summary>Throws an <see cref="InputException"/> naming the option when a value is out of range.</summary>
    public void Validate()
    {
        _ = new SparseMajority(FanIn, 0);  // checks k
        RequireRange("--m0", InputMagnetisation, -1, 1);
        RequireRange("--layers", Layers, 1, 100000);
        RequireRange("--points", Points, 3, 10001);
        foreach (double p in Probabilities) _ = new SparseMajority(FanIn, p);  // checks p ∈ [0, 0.5]
        if (!(Tolerance > 0)) throw new InputException($"sparse tolerance: {F(Tolerance, "R")} must be positive");
        if (MaxLayers < 1) throw new InputException($"sparse layer cap: {MaxLayers} must be at least 1");
    }
}

/// <summary>The stationary state at one flip probability, with its closed form (k = 3) or m-map fixed point.</summary>
/// <param name="FlipProbability">p.</param>
/// <param name="Stationary">The L → ∞ state of the recursion and why its iteration stopped.</param>
/// <param name="Predicted">±√((1−6p)/(1−2p)³) for k = 3, else the fixed point of the single-network m-map (sign of m⁰).</param>
public sealed record SparseStationaryPoint(double FlipProbability, SparseStationary Stationary, double Predicted);

/// <summary>Everything the sparse MAJ-k job computed.</summary>
/// <param name="Settings">What was asked.</param>
/// <param name="CriticalFlipProbability">p_c where m = 0 loses stability.</param>
/// <param name="Stationary">The stationary state along p ∈ [0, 0.5].</param>
/// <param name="InternalError">The states of layers 0..L at each p of <see cref="SparseMajorityStudySettings.Probabilities"/>.</param>
/// <param name="Examples">The stationary state at p = 0.05, 0.1, 0.15, 0.2 (for the summary).</param>
public sealed record SparseMajorityStudyResult(SparseMajorityStudySettings Settings, double CriticalFlipProbability, SparseStationaryPoint[] Stationary,
    SparseState[][] InternalError, SparseStationaryPoint[] Examples);

/// <summary>
/// Sparse MAJ-k networks (Mozeika, Saad &amp; Raymond): the stationary m^∞, q^∞ and ε against the flip probability
/// (transition at p_c) and the internal error δ(l) along the layers, from <see cref="SparseMajority"/>.
/// </summary>
public static class SparseMajorityStudy
{
    /// <summary>Iterates the recursion at every p of the grid and of the δ(l) curves.</summary>
    public static SparseMajorityStudyResult Run(SparseMajorityStudySettings settings, CancellationToken ct = default)
    {
        settings.Validate();
        SparseStationaryPoint At(double p)
        {
            var sparse = new SparseMajority(settings.FanIn, p);
            var stationary = sparse.Stationary(settings.InputMagnetisation, settings.Tolerance, settings.MaxLayers);
            double sign = Math.Sign(settings.InputMagnetisation);
            double predicted = settings.FanIn == 3 ? sign * SparseMajority.Maj3StationaryMagnetisation(p) : sign * sparse.StationaryMagnetisation();
            return new SparseStationaryPoint(p, stationary, predicted);
        }
        var grid = new SparseStationaryPoint[settings.Points];
        for (int i = 0; i < grid.Length; i++)
        {
            ct.ThrowIfCancellationRequested();
            grid[i] = At(0.5 * i / (settings.Points - 1));
        }
        var delta = settings.Probabilities.Select(p => new SparseMajority(settings.FanIn, p).Layers(settings.Layers, settings.InputMagnetisation)).ToArray();
        var examples = new[] { 0.05, 0.1, 0.15, 0.2 }.Select(At).ToArray();
        return new SparseMajorityStudyResult(settings, SparseMajority.CriticalFlipProbability(settings.FanIn), grid, delta, examples);
    }

    /// <summary>Writes stationary.csv/png and internal_error.csv/png into <paramref name="directory"/>.</summary>
    public static void Write(SparseMajorityStudyResult result, string directory)
    {
        Directory.CreateDirectory(directory);
        var s = result.Settings;
        double[] ps = result.Stationary.Select(x => x.FlipProbability).ToArray();
        double[] mInf = result.Stationary.Select(x => x.Stationary.State.Magnetisation).ToArray();
        double[] qInf = result.Stationary.Select(x => x.Stationary.State.Overlap).ToArray();
        double[] eps = result.Stationary.Select(x => x.Stationary.State.InternalError).ToArray();
        double[] closed = result.Stationary.Select(x => x.Predicted).ToArray();
        CsvTable.Write(Path.Combine(directory, "stationary.csv"), ["p", "m_hat_inf", "m_inf", "q_inf", "epsilon", s.FanIn == 3 ? "m_inf_closed_form" : "m_inf_fixed_point", "layers", "stop"],
            result.Stationary.Select(x => (IReadOnlyList<object?>)[x.FlipProbability, x.Stationary.State.ReferenceMagnetisation, x.Stationary.State.Magnetisation,
                x.Stationary.State.Overlap, x.Stationary.State.InternalError, x.Predicted, x.Stationary.Layers, x.Stationary.Stop.ToString()]));
        TheoryFigures.Lines(Path.Combine(directory, "stationary.png"), $"MAJ-{s.FanIn}: stationary state (m⁰ = {F(s.InputMagnetisation)}), p_c = {F(result.CriticalFlipProbability, "F4")}", "p", "value",
        [
            new Curve("m^∞ (recursion)", ps, mInf, MarkersOnly: true),
            new Curve(s.FanIn == 3 ? "±√((1−6p)/(1−2p)³)" : "fixed point of m-map", ps, closed),
            new Curve("q^∞", ps, qInf),
            new Curve("ε = (1 − q^∞)/2", ps, eps),
        ]);
        var deltaRows = new List<IReadOnlyList<object?>>();
        for (int c = 0; c < s.Probabilities.Length; c++)
            for (int l = 0; l <= s.Layers; l++)
            {
                var state = result.InternalError[c][l];
                deltaRows.Add([s.Probabilities[c], l, state.ReferenceMagnetisation, state.Magnetisation, state.Overlap, state.InternalError]);
            }
        CsvTable.Write(Path.Combine(directory, "internal_error.csv"), ["p", "layer", "m_hat", "m", "q", "delta"], deltaRows);
        TheoryFigures.Lines(Path.Combine(directory, "internal_error.png"), $"MAJ-{s.FanIn}: internal error δ(l) = (1 − qˡ)/2, m⁰ = {F(s.InputMagnetisation)}", "layer l", "δ(l)", DeltaCurves(result));
    }

    private static IEnumerable<Curve> DeltaCurves(SparseMajorityStudyResult result)
    {
        double[] ls = Enumerable.Range(0, result.Settings.Layers + 1).Select(l => (double)l).ToArray();
        return result.Settings.Probabilities.Select((p, c) => new Curve($"p = {F(p)}", ls, result.InternalError[c].Select(x => x.InternalError).ToArray()));
    }

    /// <summary>The key numbers: p_c, the stationary state at four p, the peak and end of each δ(l) curve.</summary>
    public static IEnumerable<string> Summary(SparseMajorityStudyResult result)
    {
        var s = result.Settings;
        yield return $"sparse MAJ-{s.FanIn}: p_c = {F(result.CriticalFlipProbability, "F6")}, input magnetisation m⁰ = {F(s.InputMagnetisation)}";
        foreach (var example in result.Examples)
        {
            var st = example.Stationary;
            yield return $"  p = {F(example.FlipProbability, "F2")}: m^∞ = {F(st.State.Magnetisation, "F6")}, q^∞ = {F(st.State.Overlap, "F6")}, ε = {F(st.State.InternalError, "F6")} ({st.Stop} after {st.Layers} layers)";
        }
        foreach (var curve in DeltaCurves(result))
        {
            int peak = Array.IndexOf(curve.Y.ToArray(), curve.Y.Max());
            yield return $"  δ(l), {curve.Label}: peak {F(curve.Y[peak], "F4")} at l = {peak}, δ(L = {s.Layers}) = {F(curve.Y[^1], "F4")}";
        }
    }
}
