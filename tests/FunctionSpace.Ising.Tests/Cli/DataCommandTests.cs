using FunctionSpace.Ising.Cli;
using FunctionSpace.Ising.IO;

namespace FunctionSpace.Ising.Tests.Cli;

public class DataCommandTests
{
    [Fact]
    public void Missing_data_directory_gives_a_one_line_error_and_exit_1()
    {
        using var dir = new TempDirectory();
        string missing = dir.File("nowhere");
        var (exit, _, err) = CliHarness.Run("data", "--data-dir", missing);
        Assert.Equal(CliApp.ExitBadInput, exit);
        Assert.Equal($"fsi: error: {missing}: data directory not found", err.TrimEnd());
    }

    [Fact]
    public void Out_of_range_components_is_rejected()
    {
        using var data = new TempDirectory();
        Data.SyntheticIdx.Write(data.Path, 40, 10, seed: 5);
        var (exit, _, err) = CliHarness.Run("data", "--data-dir", data.Path, "--components", "65");
        Assert.Equal(CliApp.ExitBadInput, exit);
        Assert.Equal("fsi: error: --components: 65 is outside 1..64", err.TrimEnd());
    }

    [Fact]
    public void Unknown_option_is_a_usage_error()
    {
        var (exit, _, err) = CliHarness.Run("data", "--no-such-option");
        Assert.NotEqual(0, exit);
        Assert.Contains("--no-such-option", err);
    }

    [Fact]
    public void Exports_the_reduced_sets_as_npy_and_csv()
    {
        using var data = new TempDirectory();
        using var cache = new TempDirectory();
        using var export = new TempDirectory();
        Data.SyntheticIdx.Write(data.Path, 60, 12, seed: 9);
        var (exit, output, err) = CliHarness.Run("data", "--data-dir", data.Path, "-k", "4", "--cache-dir", cache.Path, "--export", export.Path);
        Assert.True(exit == 0, err);
        Assert.Contains("PCA: k = 4 of 64 components", output);
        var x = Npy.Read(export.File("train_x.npy"));
        Assert.Equal(new[] { 60, 4 }, x.Shape);
        Assert.Equal(new[] { 12 }, Npy.Read(export.File("test_y.npy")).Shape);
        var (headers, rows) = FunctionSpace.Ising.Reporting.CsvTable.Read(export.File("test.csv"));
        Assert.Equal(new[] { "pc1", "pc2", "pc3", "pc4", "label" }, headers);
        Assert.Equal(12, rows.Count);
        Assert.Equal(x.ToDoubles()[1], double.Parse(FunctionSpace.Ising.Reporting.CsvTable.Read(export.File("train.csv")).Rows[0][1], System.Globalization.CultureInfo.InvariantCulture));
    }
}
