using System.CommandLine;
using FunctionSpace.Ising.Ensembles;

namespace FunctionSpace.Ising.Cli.Commands;

/// <summary><c>fsi ensemble info|merge|export</c>: inspect, merge and export ensemble files.</summary>
internal static class EnsembleCommand
{
    public static Command Create()
    {
        var command = new Command("ensemble", "Inspect, merge and export ensemble files written by fsi collect");
        command.Subcommands.Add(Info());
        command.Subcommands.Add(Merge());
        command.Subcommands.Add(Export());
        return command;
    }

    private static Command Info()
    {
        var file = new Argument<string>("file") { Description = "Ensemble file" };
        var command = new Command("info", "Header, verified chunk count, configurations and accuracy distribution") { file };
        command.SetAction(parse =>
        {
            var summary = EnsembleTools.Summarize(parse.GetValue(file)!);
            var output = parse.InvocationConfiguration.Output;
            var h = summary.Header;
            output.WriteLine($"ensemble: {Path.GetFullPath(parse.GetValue(file)!)}");
            output.WriteLine($"  format version {h.FormatVersion}, network {h.Architecture} ({h.SpinCount} spins, {EnsembleFormat.PackedBytes(h.SpinCount)} bytes each)");
            output.WriteLine($"  slices: {string.Join(", ", h.Architecture.Parts().Select(p => $"{p.Name} {p.Start}..{p.End - 1}"))}");
            output.WriteLine($"  scenario {h.Scenario}, PCA k = {h.PcaComponents}, threshold {h.Threshold}, seed {h.Seed}, created {h.CreatedUtc:yyyy-MM-ddTHH:mm:ssZ}");
            foreach (var (key, value) in h.Parameters) output.WriteLine($"  {key}: {value}");
            var shards = ShardCoverage.Parse(h.Parameter("shard"), parse.GetValue(file)!);
            if (!shards.IsComplete) output.WriteLine($"  holds {shards.Describe()} of the collection (missing: {string.Join(", ", shards.Missing)})");
            output.WriteLine($"  chunks: {summary.Chunks} verified, configurations: {summary.Configurations} from {summary.Networks} networks");
            if (summary.Accuracies.Length > 0) output.WriteLine($"  accuracy: {Training.CollectionReports.Describe(summary.Accuracies)}");
            if (summary.Statistics is { } statistics)
            {
                output.WriteLine($"  effective sample size: {statistics.EffectiveSampleSize} independently trained networks");
                foreach (var overlap in statistics.Overlaps)
                    output.WriteLine(string.Format(System.Globalization.CultureInfo.InvariantCulture,
                        "  overlap {0,-4}: within a network {1}, between networks {2}", overlap.Part,
                        double.IsFinite(overlap.Within) ? overlap.Within.ToString("F4", System.Globalization.CultureInfo.InvariantCulture) : "- (one configuration per network)",
                        double.IsFinite(overlap.Between) ? overlap.Between.ToString("F4", System.Globalization.CultureInfo.InvariantCulture) : "-"));
            }
            if (summary.Problem != null)
            {
                output.WriteLine($"  problem: {summary.Problem}");
                parse.InvocationConfiguration.Error.WriteLine($"fsi: error: {summary.Problem}");
                return CliApp.ExitBadInput;
            }
            return CliApp.ExitOk;
        });
        return command;
    }

    private static Command Merge()
    {
        var inputs = new Argument<string[]>("inputs") { Description = "Shard files of one collection", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out", "-o") { Description = "Output file: the merged ensemble (.fsie)", Required = true };
        var allowMissing = MomentsCommand.AllowMissingShardsOption();
        var command = new Command("merge", "Merge shard files (chunks in network-block order; equals the single-run file)") { inputs, output, allowMissing };
        command.SetAction(parse =>
        {
            var files = parse.GetValue(inputs)!;
            var set = EnsembleSet.Open(files, parse.GetValue(allowMissing));
            MomentsCommand.WarnIfIncomplete(set, parse.InvocationConfiguration.Error);
            long count = EnsembleTools.Merge(files, parse.GetValue(output)!, allowMissingShards: parse.GetValue(allowMissing));
            parse.InvocationConfiguration.Output.WriteLine($"merged {files.Length} files: {count} configurations -> {Path.GetFullPath(parse.GetValue(output)!)}" +
                                  (set.IsComplete ? "" : $" (shard field {set.Shards}: incomplete)"));
            return CliApp.ExitOk;
        });
        return command;
    }

    private static Command Export()
    {
        var file = new Argument<string>("file") { Description = "Ensemble file" };
        var output = new Option<string>("--out", "-o") { Description = "Output file: the spins (.npy, int8, M × N)", Required = true };
        var accuracies = new Option<string?>("--accuracies") { Description = "Also write the accuracies as .npy (float32, M)" };
        var command = new Command("export", "Export the spins to NumPy .npy (int8, shape M x N, the study's spin order)") { file, output, accuracies };
        command.SetAction(parse =>
        {
            long count = EnsembleTools.ExportNpy(parse.GetValue(file)!, parse.GetValue(output)!, parse.GetValue(accuracies));
            parse.InvocationConfiguration.Output.WriteLine($"exported {count} configurations -> {Path.GetFullPath(parse.GetValue(output)!)}");
            return CliApp.ExitOk;
        });
        return command;
    }
}
