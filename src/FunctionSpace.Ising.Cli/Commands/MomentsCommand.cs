using System.CommandLine;
using System.Globalization;
using FunctionSpace.Ising.Ensembles;
using FunctionSpace.Ising.Inverse;

namespace FunctionSpace.Ising.Cli.Commands;

/// <summary><c>fsi moments</c>: data moments (m, ⟨s s⟩, sampled connected triplets) of an ensemble, saved as .npy + JSON.</summary>
internal static class MomentsCommand
{
    public static Command Create()
    {
        var ensemble = new Option<string[]>("--ensemble") { Description = "Ensemble file(s) (shards merge exactly)", AllowMultipleArgumentsPerToken = true };
        var spins = new Option<string?>("--spins") { Description = "int8 M×N .npy of ±1 spins" };
        var triplets = new Option<int>("--triplets") { Description = "Random triplets for three-point correlations", DefaultValueFactory = _ => 10000 }.InRange(0, Pipeline.FitConfig.MaxTriplets);
        var allowMissing = AllowMissingShardsOption();
        var seed = CommonOptions.Seed();
        var output = new Option<string>("--out", "-o") { Description = "Output stem (writes stem.m.npy, stem.C.npy, stem.triplets.npy, stem.t3.npy, stem.json)", DefaultValueFactory = _ => "models/moments" };
        var command = new Command("moments", "Magnetisations, second moments and sampled three-point correlations of an ensemble (streamed, matrix products)")
        {
            ensemble, spins, triplets, seed, output, allowMissing,
        };
        command.SetAction(parse =>
        {
            var input = new FitInput(Ensembles: parse.GetValue(ensemble), SpinsNpy: parse.GetValue(spins)) { AllowMissingShards = parse.GetValue(allowMissing) };
            if (input.Ensembles is not { Count: > 0 } && input.SpinsNpy == null) throw new InputException("give --ensemble or --spins");
            int n;
            string? shards = null;
            if (input.SpinsNpy != null)
            {
                var shape = IO.Npy.Read(input.SpinsNpy).Shape;
                if (shape.Length != 2) throw new InputException($"--spins: {input.SpinsNpy}: expected an M×N array of spins, found shape ({string.Join(",", shape)})");
                n = shape[1];
            }
            else
            {
                var set = EnsembleSet.Open(input.Ensembles!, input.AllowMissingShards);
                WarnIfIncomplete(set, parse.InvocationConfiguration.Error);
                n = set.Header.Architecture.WeightCount;
                shards = set.Shards.ToString();
            }
            ulong seedValue = parse.GetValue(seed);
            var sample = TripletSampler.Sample(n, parse.GetValue(triplets), new Random(unchecked((int)seedValue)));
            var (moments, _, _, architecture) = input.Load(sample, keepSamples: false);
            long count = moments.Count;
            string stem = parse.GetValue(output)!;
            var extra = new Dictionary<string, object?> { ["seed"] = seedValue, ["architecture"] = architecture?.ToString() };
            if (shards != null) extra["shards"] = shards;
            moments.Save(stem, extra);
            var connected = moments.ConnectedCorrelations();
            double meanAbs = 0; int pairs = 0;
            for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) { meanAbs += Math.Abs(connected[i * n + j]); pairs++; }
            Console.Out.WriteLine(string.Format(CultureInfo.InvariantCulture,
                "moments of {0} configurations x {1} spins: mean |m| {2:F4}, mean |C_conn| {3:F4}, {4} triplets -> {5}.*",
                count, n, moments.Magnetisations.Average(Math.Abs), pairs == 0 ? 0 : meanAbs / pairs, moments.TripletCount, stem));
            return CliApp.ExitOk;
        });
        return command;
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
