using FunctionSpace.Ising.Cli;
using FunctionSpace.Ising.Reporting;

namespace FunctionSpace.Ising.Tests.Studies;

public class StudyCommandTests
{
    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = CliApp.Run(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>A synthetic 8x8 data set, its PCA cache and an output folder.</summary>
    private sealed class Scratch : IDisposable
    {
        public readonly TempDirectory Data = new(), Cache = new(), Out = new();
        public Scratch() => Ising.Tests.Data.SyntheticIdx.Write(Data.Path, 60, 30, seed: 2);
        public string[] Common => ["--data-dir", Data.Path, "--cache-dir", Cache.Path, "--out", Out.Path, "--quiet"];
        public void Dispose() { Data.Dispose(); Cache.Dispose(); Out.Dispose(); }
    }

    [Fact]
    public void Double_descent_writes_csv_and_one_png_per_task()
    {
        using var s = new Scratch();
        var (exit, output, err) = Run([.. "study double-descent --dimension 4 --train-count 30 --widths 2,4 --seeds 1 --real-epochs 40 --epochs 2".Split(' '), .. s.Common]);
        Assert.True(exit == 0, err);
        Assert.Contains("ten-class, real weights", output);
        Assert.Contains("parity, binary weights", output);
        var (headers, rows) = CsvTable.Read(s.Out.File("double_descent.csv"));
        Assert.Equal("task", headers[0]);
        Assert.Equal(2 * 2 * 2, rows.Count);   // tasks × weight types × widths, one seed
        Assert.Contains(rows, r => r[0] == "parity" && r[1] == "real" && r[2] == "4-2-2-1");
        Assert.Contains(rows, r => r[0] == "parity" && r[1] == "binary" && r[2] == "4-2-2-2");
        Assert.True(new FileInfo(s.Out.File("double_descent_ten-class.png")).Length > 1000);
        Assert.True(new FileInfo(s.Out.File("double_descent_parity.png")).Length > 1000);
    }

    [Fact]
    public void Frozen_width_and_projection_run_on_tiny_data()
    {
        using var s = new Scratch();
        var (exit, output, err) = Run([.. "study frozen --checkpoints 1,2 --networks 2 --train-count 0".Split(' '), .. s.Common]);
        Assert.True(exit == 0, err);
        var (_, frozenRows) = CsvTable.Read(s.Out.File("frozen.csv"));
        Assert.Equal(4, frozenRows.Count);   // two modes × two checkpoints
        Assert.Contains("frozen      2", output);

        (exit, output, err) = Run([.. "study width --widths 3 --networks 2 --epochs 1 --samples 2 --train-count 0".Split(' '), .. s.Common]);
        Assert.True(exit == 0, err);
        var (_, widthRows) = CsvTable.Read(s.Out.File("width.csv"));
        Assert.Equal(4, widthRows.Count);     // (20-10, 20-3-3-10) × 2 seeds
        Assert.True(File.Exists(s.Out.File("width.png")));

        (exit, output, err) = Run([.. "study projection --networks 3 --samples 2 --epochs 1 --train-count 0".Split(' '), .. s.Common]);
        Assert.True(exit == 0, err);
        var (headers, points) = CsvTable.Read(s.Out.File("projection.csv"));
        Assert.Equal(["origin", "network", "sample", "pc1", "pc2", "test_accuracy", "master_seed"], headers);
        Assert.Equal(3, points.Count(p => p[0] == "initial"));
        Assert.Equal(6, points.Count(p => p[0] == "trained"));
        Assert.Contains("PCA of ±1 vectors", output);
    }

    [Fact]
    public void Projection_embeds_an_ensemble_file_with_its_stored_accuracies()
    {
        using var s = new Scratch();
        string path = s.Out.File("ensemble.fsie");
        var chunk = Ising.Tests.Ensembles.EnsembleTestData.Chunk(0, 5, FunctionSpace.Ising.Networks.Architecture.Deep.WeightCount, seed: 8);
        using (var writer = FunctionSpace.Ising.Ensembles.EnsembleWriter.Create(path, Ising.Tests.Ensembles.EnsembleTestData.Header()))
            writer.Write(chunk);
        var (exit, _, err) = Run([.. "study projection --networks 2 --samples 1 --epochs 1 --train-count 0 --ensemble-limit 4 --ensemble".Split(' '), path, .. s.Common]);
        Assert.True(exit == 0, err);
        var (_, points) = CsvTable.Read(s.Out.File("projection.csv"));
        var ensemble = points.Where(p => p[0] == "ensemble").ToArray();
        Assert.Equal(4, ensemble.Length);
        for (int i = 0; i < 4; i++)
            Assert.Equal(chunk.Accuracies[i], float.Parse(ensemble[i][5], System.Globalization.CultureInfo.InvariantCulture), 6);
    }

    [Fact]
    public void Projection_rejects_an_ensemble_of_another_architecture()
    {
        using var s = new Scratch();
        string path = s.Out.File("shallow.fsie");
        var shallow = FunctionSpace.Ising.Networks.Architecture.Shallow;
        using (var writer = FunctionSpace.Ising.Ensembles.EnsembleWriter.Create(path, Ising.Tests.Ensembles.EnsembleTestData.Header(shallow)))
            writer.Write(Ising.Tests.Ensembles.EnsembleTestData.Chunk(0, 3, shallow.WeightCount, seed: 1));
        var (exit, _, err) = Run([.. "study projection --networks 2 --samples 1 --epochs 1 --train-count 0 --ensemble".Split(' '), path, .. s.Common]);
        Assert.Equal(CliApp.ExitBadInput, exit);
        Assert.Equal($"fsi: error: {path}: ensemble architecture 20-10 differs from the networks trained here (20-15-15-10)", err.TrimEnd());
    }

    [Theory]
    [InlineData("study width --widths 4,x", "fsi: error: --widths: 'x' is not a positive integer")]
    [InlineData("study double-descent --tasks ten-class,mnist", "fsi: error: --tasks: 'mnist' is not one of ten-class, parity")]
    [InlineData("study frozen --checkpoints 3,2", "fsi: error: --epochs: checkpoints '3,2' must be ascending, distinct and at least 1")]
    [InlineData("study frozen --arch 20-10", "fsi: error: --architecture: 20-10 has no hidden-to-hidden layer to freeze")]
    [InlineData("study width --seeds 0", "fsi: error: --networks: 0 is outside 1..100000")]
    [InlineData("study width --seeds 2147483647", "fsi: error: --networks: 2147483647 is outside 1..100000")]
    public void Bad_options_give_one_line_errors(string args, string message)
    {
        using var s = new Scratch();
        var (exit, _, err) = Run([.. args.Split(' '), .. s.Common]);
        Assert.Equal(CliApp.ExitBadInput, exit);
        Assert.Equal(message, err.TrimEnd());
    }

    [Fact]
    public void Unknown_preset_is_a_usage_error()
    {
        var (exit, _, err) = Run("study", "width", "--preset", "huge");
        Assert.NotEqual(0, exit);
        Assert.Contains("huge", err);
    }
}
