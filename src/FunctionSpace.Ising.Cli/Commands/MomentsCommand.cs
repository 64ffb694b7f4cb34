using System.CommandLine;
using System.Globalization;
using FunctionSpace.Ising.Ensembles;
using FunctionSpace.Ising.Networks;

namespace FunctionSpace.Ising.Cli.Commands;

/// <summary>
/// <c>fsi moments</c>: data moments (m, ⟨s s⟩, sampled triplets) of an ensemble, optionally of its hidden-node-permutation
/// symmetric distribution, with the effective sample size, overlaps and the bootstrap noise over networks; .npy + JSON.
/// </summary>
internal static class MomentsCommand
{
    public static Command Create()
    {
        var ensemble = new Option<string[]>("--ensemble") { Description = "Ensemble file(s) (shards merge exactly)", AllowMultipleArgumentsPerToken = true };
        var spins = new Option<string?>("--spins") { Description = "int8 M×N .npy of ±1 spins (no network ids: each row counts as its own network)" };
        var architectureOption = new Option<string?>("--architecture")
        {
            Description = "Network widths of --spins, e.g. 20-15-15-10 (needed there for --symmetrize; an ensemble file records its own)",
        };
        var triplets = new Option<int>("--triplets") { Description = "Random triplets for three-point correlations", DefaultValueFactory = _ => EnsembleMomentsSettings.DefaultTriplets }.InRange(0, EnsembleMomentsSettings.MaxTriplets);
        var symmetrize = new Option<bool>("--symmetrize")
        {
            Description = "Also the moments of the hidden-node-permutation-symmetric distribution (every moment averaged exactly over the " +
                          "relabellings of each hidden layer); they become stem.*, the plain moments stem.raw.*",
        };
        var bootstrap = new Option<int>("--bootstrap")
        {
            Description = "Bootstrap replicates over networks for standard errors and the noise floor (stem.noise.*); 0 = none",
            DefaultValueFactory = _ => BootstrapSettings.DefaultReplicates,
        }.InRange(0, 100000);
        var allowMissing = AllowMissingShardsOption();
        var seed = CommonOptions.Seed();
        var output = new Option<string>("--out", "-o")
        {
            Description = "Output stem: files stem.m.npy, stem.C.npy, stem.triplets.npy, stem.t3.npy, stem.json; stem.raw.* with --symmetrize; stem.noise.*",
            DefaultValueFactory = _ => "models/moments",
        };
        var command = new Command("moments",
            "Magnetisations, second moments and sampled three-point correlations of an ensemble (streamed, matrix products), " +
            "optionally symmetrised over hidden-node relabellings, with the effective sample size and the bootstrap noise over networks")
        {
            ensemble, spins, architectureOption, triplets, symmetrize, bootstrap, seed, output, allowMissing,
        };
        command.SetAction(parse =>
        {
            string[]? ensembles = parse.GetValue(ensemble);
            string? spinsPath = parse.GetValue(spins);
            if ((ensembles is { Length: > 0 }) == (spinsPath != null)) throw new InputException("give exactly one input: --ensemble or --spins");
            string? widths = parse.GetValue(architectureOption);
            if (widths != null && spinsPath == null) throw new InputException("--architecture: only for --spins (an ensemble file records its architecture)");
            MomentsInput input;
            if (spinsPath != null) input = MomentsInput.FromSpins(spinsPath, widths == null ? null : Architecture.Parse(widths));
            else
            {
                var set = EnsembleSet.Open(ensembles!, parse.GetValue(allowMissing));
                WarnIfIncomplete(set, parse.InvocationConfiguration.Error);
                input = MomentsInput.FromEnsembles(ensembles!);
            }
            var settings = new EnsembleMomentsSettings(parse.GetValue(triplets), parse.GetValue(symmetrize), parse.GetValue(bootstrap), parse.GetValue(seed));
            var progress = new ConsoleProgress(parse.InvocationConfiguration.Error, parse.GetValue(CliApp.Quiet));
            var result = EnsembleMoments.Run(input, settings, progress);
            progress.Finish();
            string stem = parse.GetValue(output)!;
            EnsembleMoments.Write(result, input, settings, stem);
            WriteSummary(parse.InvocationConfiguration.Output, result, input.SpinCount, stem);
            return CliApp.ExitOk;
        });
        return command;
    }

    private static void WriteSummary(TextWriter output, MomentsResult result, int n, string stem)
    {
        var moments = result.Moments;
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Format(c, "moments of {0} configurations x {1} spins{2}: mean |m| {3:F4}, mean |C_conn| {4:F4}, {5} triplets -> {6}.*",
            moments.Count, n, result.Symmetric != null ? " (symmetrised over hidden-node relabellings; plain moments in .raw.*)" : "",
            moments.Magnetisations.Average(Math.Abs), moments.MeanAbsConnectedCorrelation(), moments.TripletCount, stem));
        output.WriteLine(result.NetworkIdsKnown
            ? string.Format(c, "effective sample size: {0} independently trained networks ({1} configurations)", result.Statistics.Networks, result.Statistics.Configurations)
            : string.Format(c, "effective sample size: unknown (no network ids in the input); {0} configurations counted as independent", result.Statistics.Configurations));
        foreach (var overlap in result.Statistics.Overlaps)
            output.WriteLine(string.Format(c, "  overlap {0,-4}: within a network {1}, between networks {2}", overlap.Part,
                double.IsFinite(overlap.Within) ? overlap.Within.ToString("F4", c) : "- (one configuration per network)",
                double.IsFinite(overlap.Between) ? overlap.Between.ToString("F4", c) : "-"));
        if (result.Noise != null)
            output.WriteLine(string.Format(c, "noise floor (bootstrap over {0} networks, {1} replicates; RMSE a perfect model would show): {2}",
                result.Noise.Networks, result.Noise.Settings.Replicates,
                string.Join(", ", result.Noise.Parts.Select(p => $"{p.Part} {p.NoiseFloor.ToString("F4", c)}"))));
    }

    /// <summary>The explicit request to analyse a part of a sharded collection (shared by moments, fit, merge and run).</summary>
    internal static Option<bool> AllowMissingShardsOption() => new("--allow-missing-shards")
    {
        Description = "Accept ensemble shards that do not make up their whole collection (judged from the headers' shard i/n); without it an incomplete set is an error",
    };

    /// <summary>Says loudly, on standard error, that an ensemble set is not the whole collection.</summary>
    internal static void WarnIfIncomplete(EnsembleSet set, TextWriter error)
    {
        if (!set.IsComplete)
            error.WriteLine($"fsi: warning: the ensembles hold only {set.DescribeCoverage()} of their collection; the results describe that part only");
    }
}
