using System.CommandLine;
using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.IO;
using FunctionSpace.Ising.Models;

namespace FunctionSpace.Ising.Cli.Commands;

/// <summary><c>fsi sample</c>: Monte-Carlo samples of an Ising model, written as int8 .npy with a moments summary.</summary>
internal static class SampleCommand
{
    private sealed record Settings(string? ModelStem, string? CouplingsPath, string? FieldsPath, string Out,
        MonteCarloOptions Options, bool Quiet);

    /// <summary>The single-spin update rule, shared with fsi dynamics.</summary>
    internal static Option<string> RuleOption()
    {
        var rule = new Option<string>("--rule") { Description = "Single-spin update: metropolis or heat-bath", DefaultValueFactory = _ => "metropolis" };
        rule.AcceptOnlyFromAmong("metropolis", "heat-bath");
        return rule;
    }

    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "Model stem: reads STEM.J.npy, STEM.h.npy (and STEM.json)" };
        var couplings = new Option<string?>("--couplings") { Description = "Couplings as a whitespace text matrix (e.g. shared/reference/under-para/J_ITER.txt)" };
        var fields = new Option<string?>("--fields") { Description = "Fields as a whitespace text vector (e.g. h_ITER.txt)" };
        var chains = new Option<int>("--chains") { Description = "Independent chains, run in parallel", DefaultValueFactory = _ => 16 }.InRange(1, 100000);
        var samples = new Option<int>("--samples") { Description = "Samples kept per chain", DefaultValueFactory = _ => 1000 }.InRange(1, 100_000_000);
        var burnIn = new Option<int>("--burn-in") { Description = "Sweeps discarded at the start of each chain", DefaultValueFactory = _ => 1000 }.InRange(0, 100_000_000);
        var thin = new Option<int>("--thin") { Description = "Sweeps between kept samples", DefaultValueFactory = _ => 1 }.InRange(1, 1_000_000);
        var rule = RuleOption();
        var seed = CommonOptions.Seed();
        var output = new Option<string>("--out", "-o") { Description = "Output file: the samples (.npy, int8, (chains·samples) × N); beside it STEM.energies.npy, STEM.m.npy, STEM.C.npy, STEM.json", Required = true };

        var command = new Command("sample", "Monte-Carlo samples of an Ising model (Metropolis or heat bath, parallel seeded chains) with their moments")
        {
            model, couplings, fields, chains, samples, burnIn, thin, rule, seed, output,
        };
        command.SetAction(parse => Run(new Settings(parse.GetValue(model), parse.GetValue(couplings), parse.GetValue(fields),
            parse.GetValue(output)!,
            new MonteCarloOptions(parse.GetValue(chains), parse.GetValue(burnIn), parse.GetValue(samples), parse.GetValue(thin),
                parse.GetValue(rule) == "heat-bath" ? MetropolisRule.HeatBath : MetropolisRule.Metropolis, parse.GetValue(seed)),
            parse.GetValue(CliApp.Quiet)), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
        return command;
    }

    private static int Run(Settings settings, TextWriter output, TextWriter error)
    {
        var (model, source) = LoadModel(settings);
        SamplingJob.CheckSamplesPath(settings.Out);
        var options = settings.Options;
        output.WriteLine($"model: {source}, N = {model.Size}");
        output.WriteLine($"sampling: {options.Chains} chains × {options.Samples} samples, burn-in {options.BurnInSweeps}, thin {options.ThinSweeps}, " +
                         $"{SamplingJob.RuleName(options.Rule)}, seed {options.Seed}");
        var result = SamplingJob.Run(model, source, options, new ConsoleProgress(error, settings.Quiet));
        string stem = SamplingJob.Write(result, settings.Out);
        var run = result.Run;
        // InvariantGlobalization is on, so interpolation formats numbers culture-independently.
        output.WriteLine(($"acceptance {run.AcceptanceRate:F3}; energy {run.MeanEnergy:F4} ± {run.EnergyStandardError:F4} (τ_int {run.EnergyAutocorrelationTime:F2} samples), Var E {run.EnergyVariance:F4}"));
        output.WriteLine(($"moments: mean |m_i| {result.MeanAbsMagnetisation:F4}" +
            (run.Chains >= 2 ? $", largest SE of m_i {result.MaxMagnetisationStandardError:F4} (spread of chain means)" : "")));
        output.WriteLine($"wrote {settings.Out} (int8, {run.SampleCount}×{model.Size}), {stem}.energies.npy, {stem}.m.npy, {stem}.C.npy, {stem}.json");
        return CliApp.ExitOk;
    }

    private static (IsingModel, string) LoadModel(Settings settings)
    {
        bool text = settings.CouplingsPath != null || settings.FieldsPath != null;
        if (settings.ModelStem != null && text)
            throw new InputException("sample: give either --model or --couplings/--fields, not both");
        if (settings.ModelStem != null) return (ModelFile.Load(settings.ModelStem), settings.ModelStem);
        if (settings.CouplingsPath == null || settings.FieldsPath == null)
            throw new InputException("sample: give --model STEM or both --couplings and --fields");
        return (ModelFile.LoadText(settings.CouplingsPath, settings.FieldsPath), $"{settings.CouplingsPath} + {settings.FieldsPath}");
    }
}
