using System.CommandLine;
using System.Globalization;
using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Landscape;
using FunctionSpace.Ising.Networks;

namespace FunctionSpace.Ising.Cli.Commands;

/// <summary>Options shared by <c>fsi landscape</c>, <c>fsi tap</c> and <c>fsi dynamics</c>: where the model and the references come from.</summary>
internal sealed class LandscapeOptions
{
    public readonly Option<string?> ReferenceDir = new("--reference-dir")
    {
        Description = "A published scenario folder (shared/reference/<scenario>): J_<part>.txt, h_<part>.txt, refs_El/Em/Eh.txt",
    };
    public readonly Option<string?> Model = new("--model")
    {
        Description = "A fitted model file stem (<stem>.J.npy, <stem>.h.npy): the part's model or a FULL model (restricted to --part)",
    };
    public readonly Option<string> Architecture = new("--architecture")
    {
        Description = "Network of --model, e.g. 20-15-15-10 or 20-10",
        DefaultValueFactory = _ => "20-15-15-10",
    };
    public readonly Option<string?> Ensemble = new("--ensemble")
    {
        Description = "Ensemble file the references are drawn from (ranked by the part model's energy); with --model",
    };
    public readonly Option<string?> References = new("--references")
    {
        Description = "Reference file in the published format (energy, accuracy, spins per row); with --model",
    };
    public readonly Option<string> Reference = new("--reference")
    {
        Description = "Reference configuration: lowest, median, highest (by energy) or an index (published: 0..59 = refs_El, Em, Eh rows)",
        DefaultValueFactory = _ => "lowest",
    };

    public IEnumerable<Option> All => [ReferenceDir, Model, Architecture, Ensemble, References, Reference];

    /// <summary>The part models and the reference source named on the command line.</summary>
    public (IReadOnlyList<PartModel> Parts, ReferenceSource References, string Scenario) Resolve(ParseResult parse, IReadOnlyList<string> parts)
    {
        string? dir = parse.GetValue(ReferenceDir), stem = parse.GetValue(Model);
        if (dir is null == stem is null) throw new InputException("--reference-dir / --model: give exactly one of them");
        if (dir != null)
        {
            if (parse.GetValue(Ensemble) != null || parse.GetValue(References) != null)
                throw new InputException("--ensemble / --references: only with --model (a published scenario brings its own refs_El/Em/Eh)");
            var scenario = PublishedScenario.Open(dir);
            return (PartModels.FromPublished(scenario, parts), ReferenceSource.Published(scenario), scenario.Name);
        }
        var architecture = Networks.Architecture.Parse(parse.GetValue(Architecture)!);
        string? ensemble = parse.GetValue(Ensemble), refs = parse.GetValue(References);
        if (ensemble is null == refs is null) throw new InputException("--ensemble / --references: with --model give exactly one of them");
        if (ensemble != null)
        {
            // The ensemble's header says which network its configurations are; --architecture may only confirm it.
            using var reader = Ensembles.EnsembleReader.Open(ensemble);
            var held = reader.Header.Architecture;
            if (parse.GetResult(Architecture) is { Implicit: false } && !held.Equals(architecture))
                throw new InputException($"--architecture: {architecture}, but the ensemble {ensemble} holds {held} networks");
            architecture = held;
        }
        if (refs != null && ReferenceSelection.ReadPublished(refs).FirstOrDefault(r => r.Spins.Length != architecture.WeightCount) is { } wrong)
            throw new InputException($"--references: {refs} holds configurations of {wrong.Spins.Length} spins, the {architecture} network has {architecture.WeightCount}");
        var source = ensemble != null ? ReferenceSource.Ensemble(ensemble) : ReferenceSource.File(refs!);
        var names = parts.Count == 0 ? ["FULL"] : parts;
        return (names.Select(p => PartModels.FromModelFile(stem!, architecture, p)).ToArray(), source, Path.GetFileName(stem!));
    }

    /// <summary>Splits "LB,ITER" / repeated --part values; upper-cases names.</summary>
    public static IReadOnlyList<string> SplitParts(IEnumerable<string>? values) =>
        (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(v => v.ToUpperInvariant()).Distinct().ToArray();

    /// <summary>Parses "XMIN:XMAX".</summary>
    public static (double Min, double Max) ParseRange(string text, string option)
    {
        string[] f = text.Split(':');
        if (f.Length != 2 || !double.TryParse(f[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double a)
            || !double.TryParse(f[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double b) || !double.IsFinite(a) || !double.IsFinite(b) || a >= b)
            throw new InputException($"{option}: '{text}' is not XMIN:XMAX with XMIN < XMAX (e.g. -2:2)");
        return (a, b);
    }

    public static Option<double> Damping(double value) => new Option<double>("--damping") { Description = "Message damping", DefaultValueFactory = _ => value }.InRange(0, 0.999);
    public static Option<double> Tolerance(double value) => new Option<double>("--tolerance") { Description = "Convergence tolerance (max message change)", DefaultValueFactory = _ => value }.InRange(1e-15, 1);
    public static Option<int> MaxIterations(int value) => new Option<int>("--max-iterations") { Description = "Iteration cap per solve", DefaultValueFactory = _ => value }.InRange(1, 10_000_000);
    public static Option<string> Out(string value) => new("--out", "-o") { Description = "Output folder (CSV, PNG, summary)", DefaultValueFactory = _ => value };
}
