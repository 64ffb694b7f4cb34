using System.CommandLine;
using FunctionSpace.Ising.Data;
using FunctionSpace.Ising.IO;
using FunctionSpace.Ising.Reporting;

namespace FunctionSpace.Ising.Cli.Commands;

/// <summary><c>fsi data</c>: dataset summary and PCA; optional export of the reduced sets.</summary>
internal static class DataCommand
{
    private sealed record Settings(string? DataDir, int Components, string? CacheDir, string? ExportDir, string Format);

    public static Command Create()
    {
        var dataDir = CommonOptions.DataDir();
        var components = CommonOptions.Components();
        var cacheDir = CommonOptions.CacheDir();
        var export = new Option<string?>("--export")
        {
            Description = "Write the PCA-reduced train and test sets to this directory",
        };
        var format = new Option<string>("--format")
        {
            Description = "Export format: npy (train_x.npy, train_y.npy, test_x.npy, test_y.npy), csv (train.csv, test.csv) or both",
            DefaultValueFactory = _ => "both",
        };
        format.AcceptOnlyFromAmong("npy", "csv", "both");

        var command = new Command("data", "Summarise the dataset (counts, class balance) and its PCA reduction (explained variance); export the reduced sets")
        {
            dataDir, components, cacheDir, export, format,
        };
        command.SetAction(parse => Run(new Settings(parse.GetValue(dataDir), parse.GetValue(components),
            parse.GetValue(cacheDir), parse.GetValue(export), parse.GetValue(format)!), parse.InvocationConfiguration.Output));
        return command;
    }

    private static int Run(Settings settings, TextWriter output)
    {
        var loaded = DatasetLoader.Load(settings.DataDir, settings.Components, settings.CacheDir);
        var raw = loaded.Raw;
        var reduced = loaded.Reduced;
        output.WriteLine($"dataset: {raw.Directory}{(raw.IsEmbeddedMnist ? " (embedded MNIST, SHA-256 verified)" : "")}");
        output.WriteLine($"  train: {raw.Train.Count} images of {raw.Train.Images.Rows}x{raw.Train.Images.Columns}");
        output.WriteLine($"  test:  {raw.Test.Count} images of {raw.Test.Images.Rows}x{raw.Test.Images.Columns}");
        WriteBalance(output, "train", raw.Train);
        WriteBalance(output, "test", raw.Test);
        string cacheText = loaded.Cache switch
        {
            PcaCacheOutcome.Hit => "read from cache",
            PcaCacheOutcome.Computed => "computed, cached",
            PcaCacheOutcome.ComputedNotCached => "computed; the cache directory could not be written, so it is not cached",
            _ => "cache was corrupt: recomputed, cache rewritten",
        };
        output.WriteLine($"PCA: k = {reduced.Dimension} of {reduced.Pca.InputDimension} components, fitted on the {raw.Train.Count} training images " +
                         "(pixels scaled to [0,1]; training images centred on the training mean, test images on the test mean; " +
                         "components oriented as the study's eigensolver, LAPACK dgeev, returns them)");
        output.WriteLine($"  explained variance: {reduced.Pca.ExplainedVarianceFraction * 100:F2} %");
        output.WriteLine($"  top variances: {string.Join(" ", reduced.Pca.Variances.Take(5).Select(v => v.ToString("F3", System.Globalization.CultureInfo.InvariantCulture)))} …");
        output.WriteLine($"  {cacheText}: {loaded.CachePath}");

        if (settings.ExportDir is { } dir)
        {
            Export(dir, settings.Format, reduced);
            output.WriteLine($"exported ({settings.Format}) to {Path.GetFullPath(dir)}");
        }
        return CliApp.ExitOk;
    }

    private static void WriteBalance(TextWriter output, string name, LabeledImages set)
    {
        int[] counts = set.ClassCounts();
        var parts = counts.Select((c, label) => $"{label}:{c} ({100.0 * c / set.Count:F1}%)");
        output.WriteLine($"  {name} classes: {string.Join("  ", parts)}");
    }

    private static void Export(string dir, string format, ReducedDataset reduced)
    {
        int k = reduced.Dimension;
        if (format is "npy" or "both")
        {
            Npy.Write<double>(Path.Combine(dir, "train_x.npy"), reduced.TrainInputs, reduced.TrainCount, k);
            Npy.Write<byte>(Path.Combine(dir, "train_y.npy"), reduced.TrainLabels);
            Npy.Write<double>(Path.Combine(dir, "test_x.npy"), reduced.TestInputs, reduced.TestCount, k);
            Npy.Write<byte>(Path.Combine(dir, "test_y.npy"), reduced.TestLabels);
        }
        if (format is "csv" or "both")
        {
            string[] headers = [.. Enumerable.Range(1, k).Select(i => $"pc{i}"), "label"];
            WriteCsv(Path.Combine(dir, "train.csv"), headers, reduced.TrainInputs, reduced.TrainLabels, k);
            WriteCsv(Path.Combine(dir, "test.csv"), headers, reduced.TestInputs, reduced.TestLabels, k);
        }
    }

    private static void WriteCsv(string path, string[] headers, double[] x, byte[] y, int k) =>
        CsvTable.Write(path, headers, Enumerable.Range(0, y.Length).Select(i =>
        {
            var row = new object?[k + 1];
            for (int j = 0; j < k; j++) row[j] = x[i * k + j];
            row[k] = (int)y[i];
            return (IReadOnlyList<object?>)row;
        }));
}
