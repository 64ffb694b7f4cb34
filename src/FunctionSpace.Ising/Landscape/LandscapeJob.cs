using System.Text.Json.Nodes;
using FunctionSpace.Ising.Inference;
using static FunctionSpace.Ising.IO.JsonNumbers;

namespace FunctionSpace.Ising.Landscape;

/// <summary>
/// Settings of the landscape analysis of fitted part models around references: the sweeps and the analyses built on
/// them. The one record behind <c>fsi landscape</c> and the run's landscape stage; every default lives here.
/// </summary>
/// <param name="Sweep">The x-sweeps (range, grid, refinement, BP).</param>
/// <param name="References">The references, each analysed separately (by the ranking model's energy, or an index).</param>
/// <param name="IsoEnergyPoints">Distances on the iso-energy curve per part (0: skip).</param>
/// <param name="HeatCapacityPoints">x values with a Monte-Carlo heat-capacity entropy per part (0: skip).</param>
/// <param name="HeatCapacityNodes">Gauss–Legendre β nodes of the heat-capacity integral.</param>
/// <param name="MonteCarlo">Chains and samples of the heat-capacity checks; null: <see cref="DefaultMonteCarlo"/>.</param>
/// <param name="EnergyAccuracy">Energy-vs-accuracy table and parameter histograms per part, over every configuration of the reference source.</param>
public sealed record LandscapeJobSettings(LandscapeSettings Sweep, IReadOnlyList<ReferenceChoice> References,
    int IsoEnergyPoints = LandscapeJobSettings.DefaultIsoEnergyPoints, int HeatCapacityPoints = 0,
    int HeatCapacityNodes = LandscapeJobSettings.DefaultHeatCapacityNodes, MonteCarloOptions? MonteCarlo = null, bool EnergyAccuracy = false)
{
    /// <summary>Default number of distances on the iso-energy curve (Eq. 20) per part and reference.</summary>
    public const int DefaultIsoEnergyPoints = 15;

    /// <summary>Default Gauss–Legendre nodes of the heat-capacity integral over β (App. H).</summary>
    public const int DefaultHeatCapacityNodes = 12;

    /// <summary>The heat-capacity checks' Monte Carlo when none is given: 8 chains of 2,000 samples after 500 sweeps.</summary>
    public static MonteCarloOptions DefaultMonteCarlo { get; } = new(Chains: 8, BurnInSweeps: 500, Samples: 2000, Seed: 1);

    /// <summary>The Monte-Carlo options in use.</summary>
    public MonteCarloOptions MonteCarloOrDefault => MonteCarlo ?? DefaultMonteCarlo;

    /// <summary>Checks the settings; a bad value gives a one-line <see cref="InputException"/>.</summary>
    public void Validate()
    {
        Sweep.Validate();
        if (References.Count == 0) throw new InputException("--reference (landscape.references): none given");
        if (References.Distinct().Count() != References.Count) throw new InputException($"--reference (landscape.references): '{string.Join(",", References)}' names a reference twice");
        if (IsoEnergyPoints < 0) throw new InputException($"landscape iso-energy points: {IsoEnergyPoints} must be ≥ 0");
        if (HeatCapacityPoints < 0) throw new InputException($"landscape heat-capacity points: {HeatCapacityPoints} must be ≥ 0");
        if (HeatCapacityNodes < 2) throw new InputException($"landscape heat-capacity nodes: {HeatCapacityNodes} must be ≥ 2");
    }
}

/// <summary>The landscape of every part around one reference, with the analyses built on its sweeps.</summary>
/// <param name="Choice">How the reference was chosen.</param>
/// <param name="Reference">The reference configuration (all weights of the network).</param>
/// <param name="Label">Scenario and reference, as titles and summaries carry it.</param>
/// <param name="Sweeps">One sweep per part, in the order of the models.</param>
/// <param name="IsoEnergy">Iso-energy curves per part (empty when not asked for).</param>
/// <param name="HeatCapacity">Heat-capacity checks per part (empty when not asked for).</param>
public sealed record ReferenceLandscape(ReferenceChoice Choice, ReferenceConfiguration Reference, string Label, IReadOnlyList<LandscapeSweep> Sweeps,
    IReadOnlyDictionary<string, IReadOnlyList<IsoEnergyPoint>> IsoEnergy, IReadOnlyDictionary<string, IReadOnlyList<HeatCapacityCheck>> HeatCapacity);

/// <summary>One reference's entry of landscape.json (<see cref="LandscapeJob.Write"/>, read by <see cref="LandscapeJob.ReadSummaries"/>).</summary>
/// <param name="Reference">How the reference was chosen (lowest, median, highest or an index).</param>
/// <param name="Label">Scenario and reference.</param>
/// <param name="Summary">The findings table and notes (summary.md).</param>
/// <param name="BpSolves">BP solves of all parts' sweeps.</param>
/// <param name="BpSweeps">BP sweeps of all those solves.</param>
/// <param name="Findings">Per part: gaps, proven jumps, hysteresis, coverage.</param>
public sealed record LandscapeReferenceSummary(string Reference, string Label, string Summary, int BpSolves, long BpSweeps,
    IReadOnlyList<LandscapeFindings> Findings);

/// <summary>The landscape analysis: one <see cref="ReferenceLandscape"/> per reference, and the energy-vs-accuracy tables when asked for.</summary>
/// <param name="Scenario">The scenario (or model) name titles carry.</param>
/// <param name="References">Per reference, in the order of the settings.</param>
/// <param name="EnergyAccuracy">Per part (in the order of the models), when asked for.</param>
public sealed record LandscapeJobResult(string Scenario, IReadOnlyList<ReferenceLandscape> References,
    IReadOnlyList<(PartModel Part, EnergyAccuracyTable Table)> EnergyAccuracy);

/// <summary>
/// Entropy landscapes of fitted part models around references (Zou &amp; Huang Sec. IV): the x-sweeps of every
/// (reference, part) pair run together, then the analyses that build on each sweep. Settings → <see cref="Run"/> →
/// <see cref="LandscapeJobResult"/> → <see cref="Write"/>.
/// </summary>
public static class LandscapeJob
{
    /// <summary>Part of the run's cache key: changed whenever the same inputs and settings would give other outputs.</summary>
    public const string AlgorithmVersion = "landscape-v5";

    /// <summary>
    /// Sweeps every part around every reference. References are ranked by the FULL model's energy when it is among
    /// <paramref name="models"/> (one reference for every part), else by the first model's.
    /// </summary>
    public static LandscapeJobResult Run(IReadOnlyList<PartModel> models, ReferenceSource source, string scenario, LandscapeJobSettings settings,
        IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(source);
        settings.Validate();
        if (models.Count == 0) throw new InputException("landscape: no part model given");
        var ranking = models.FirstOrDefault(m => m.Name == "FULL") ?? models[0];
        var chosen = settings.References.Select(choice => (Choice: choice, Reference: source.Select(ranking, choice, 1, ct)[0])).ToArray();
        var jobs = chosen.SelectMany(c => models.Select(m => new EntropyLandscape.SweepJob(m.Name, m.Model, c.Reference.Slice(m.Part.Start, m.Part.Length)))).ToArray();
        var sweeps = EntropyLandscape.SweepAll(jobs, settings.Sweep, $"landscape {scenario}", progress, ct);
        var references = new List<ReferenceLandscape>();
        for (int r = 0; r < chosen.Length; r++)
        {
            var (choice, reference) = chosen[r];
            var own = sweeps.Skip(r * models.Count).Take(models.Count).ToArray();
            var iso = new Dictionary<string, IReadOnlyList<IsoEnergyPoint>>();
            var heat = new Dictionary<string, IReadOnlyList<HeatCapacityCheck>>();
            foreach (var (part, sweep) in models.Zip(own))
            {
                var sigma = reference.Slice(part.Part.Start, part.Part.Length);
                if (settings.IsoEnergyPoints > 0)
                    iso[part.Name] = LandscapeAnalyses.IsoEnergyCurve(part.Model, sigma, sweep, settings.IsoEnergyPoints, new IsoEnergySettings(), progress, ct);
                if (settings.HeatCapacityPoints > 0)
                    heat[part.Name] = LandscapeAnalyses.HeatCapacityChecks(part.Model, sigma, sweep, settings.HeatCapacityPoints, settings.HeatCapacityNodes,
                        settings.MonteCarloOrDefault, progress, ct);
            }
            string label = $"{scenario}, {choice} energy reference ({reference.Label}, test accuracy {reference.Accuracy:F3})";
            references.Add(new ReferenceLandscape(choice, reference, label, own, iso, heat));
        }
        var energyAccuracy = settings.EnergyAccuracy
            ? models.Select(part => (part, EnergyAccuracyTable(part, source, ct))).ToArray()
            : [];
        return new LandscapeJobResult(scenario, references, energyAccuracy);
    }

    private static EnergyAccuracyTable EnergyAccuracyTable(PartModel part, ReferenceSource source, CancellationToken ct) =>
        Landscape.EnergyAccuracy.Evaluate(part.Model, part.Part, source.Select(part, new ReferenceChoice(ReferenceRank.Index, 0), int.MaxValue, ct));

    /// <summary>
    /// Writes one reference's landscapes into <paramref name="directory"/>: landscape.csv, transitions.csv, figures and
    /// summary.md (<see cref="LandscapeReport.WriteSweeps"/>).
    /// </summary>
    public static ReportOutput WriteReference(string directory, ReferenceLandscape landscape, IReadOnlyDictionary<string, PartFitVerdict>? fits = null) =>
        LandscapeReport.WriteSweeps(directory, landscape.Sweeps, landscape.Label, landscape.IsoEnergy, landscape.HeatCapacity, fits);

    /// <summary>
    /// Writes every reference into its own folder <c>directory/&lt;choice&gt;</c> (or, with <paramref name="referenceFolders"/>
    /// false and a single reference, into <paramref name="directory"/> itself), the energy-vs-accuracy tables into
    /// <c>directory/&lt;part&gt;</c>, and landscape.json (per reference: label, summary, BP cost and the findings).
    /// Returns the summaries of the references and of the energy-vs-accuracy tables, in order.
    /// </summary>
    public static IReadOnlyList<string> Write(LandscapeJobResult result, string directory, IReadOnlyDictionary<string, PartFitVerdict>? fits = null,
        bool referenceFolders = true)
    {
        ArgumentNullException.ThrowIfNull(result);
        Directory.CreateDirectory(directory);
        var summaries = new List<string>();
        var json = new JsonArray();
        foreach (var landscape in result.References)
        {
            bool flat = !referenceFolders && result.References.Count == 1;
            var written = WriteReference(flat ? directory : Path.Combine(directory, landscape.Choice.ToString()), landscape, fits);
            summaries.Add(written.Summary);
            json.Add(SummaryJson(landscape, written));
        }
        foreach (var (part, table) in result.EnergyAccuracy)
        {
            var written = LandscapeReport.WriteEnergyAccuracy(Path.Combine(directory, part.Name), $"{result.Scenario} {part.Name}", table, Landscape.EnergyAccuracy.Parameters(part.Model));
            summaries.Add(written.Summary);
        }
        IO.AtomicFile.WriteAllText(Path.Combine(directory, SummaryFile), json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        return summaries;
    }

    /// <summary>The name of the summary <see cref="Write"/> puts beside the references' folders.</summary>
    public const string SummaryFile = "landscape.json";

    /// <summary>The entries of a landscape.json written by <see cref="Write"/>, in order.</summary>
    public static IReadOnlyList<LandscapeReferenceSummary> ReadSummaries(string path)
    {
        try
        {
            if (JsonNode.Parse(File.ReadAllText(path)) is not JsonArray entries) throw new InputException($"{path}: not a landscape summary (expected a JSON array)");
            return entries.Select(e => new LandscapeReferenceSummary(
                Field(e, "reference").GetValue<string>(), Field(e, "label").GetValue<string>(), Field(e, "summary").GetValue<string>(),
                Field(e, "bp_solves").GetValue<int>(), Field(e, "bp_sweeps").GetValue<long>(),
                e!["findings"] is { } findings ? LandscapeFindings.FromJson(findings.ToJsonString()) : [])).ToArray();
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            throw new InputException($"{path}: not a landscape summary written by fsi (a field has the wrong type)", e);
        }

        JsonNode Field(JsonNode? entry, string key) =>
            entry?[key] ?? throw new InputException($"{path}: not a landscape summary written by fsi (an entry lacks '{key}')");
    }

    // One reference's entry of landscape.json: what the run's report and a reader of the run need without the CSVs.
    private static JsonObject SummaryJson(ReferenceLandscape landscape, ReportOutput written) => new()
    {
        ["reference"] = landscape.Choice.ToString(),
        ["label"] = landscape.Label,
        ["summary"] = written.Summary,
        ["bp_solves"] = landscape.Sweeps.Sum(s => s.BpSolves),
        ["bp_sweeps"] = landscape.Sweeps.Sum(s => s.BpSweeps),
        ["findings"] = JsonNode.Parse(LandscapeFindings.ToJson(written.Findings.Select(f => f with { Reference = landscape.Choice.ToString() }).ToArray())),
        ["parts"] = new JsonArray(written.Findings.Select(f => (JsonNode)new JsonObject
        {
            ["part"] = f.Part,
            ["size"] = f.Size,
            ["max_gap_to_bound"] = Finite(f.MaxGapToBound),
            ["jumps"] = f.Jumps.Count,
            ["small_bistabilities"] = f.SmallBistabilities.Count,
            ["hysteresis_width"] = f.Hysteresis.Sum(h => h.Width),
            ["coverage"] = f.Coverage,
            ["failed_points"] = f.FailedPoints,
            ["points"] = f.Points,
        }).ToArray()),
    };
}
