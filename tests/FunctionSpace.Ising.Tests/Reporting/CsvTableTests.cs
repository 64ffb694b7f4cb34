using FunctionSpace.Ising.Landscape;
using FunctionSpace.Ising.Reporting;

namespace FunctionSpace.Ising.Tests.Tables;

/// <summary>The tables behind the figures as numpy reads them: floats that look like floats, one histogram schema, plain id columns.</summary>
public class CsvTableTests
{
    [Theory]
    [InlineData(0.0, "0.0")]
    [InlineData(-3.0, "-3.0")]
    [InlineData(0.5, "0.5")]
    [InlineData(1e20, "1E+20")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "Infinity")]
    [InlineData(double.NegativeInfinity, "-Infinity")]
    public void Doubles_always_carry_a_decimal_point_or_exponent_and_round_trip(double value, string text)
    {
        Assert.Equal(text, CsvTable.Format(value));
        Assert.Equal(value, double.Parse(CsvTable.Format(value), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("2.0", CsvTable.Format(2f));
    }

    [Fact]
    public void Integers_and_booleans_stay_as_they_are()
    {
        Assert.Equal("7", CsvTable.Format(7));
        Assert.Equal("-7", CsvTable.Format(-7L));
        Assert.Equal("True", CsvTable.Format(true));
    }

    [Fact]
    public void A_histogram_is_written_as_bin_low_bin_high_bin_centre_count()
    {
        using var dir = new TempDirectory();
        CsvTable.WriteHistogram(dir.File("h.csv"), [0.0, 0.5, 1.0], [3, 4]);
        Assert.Equal("bin_low,bin_high,bin_centre,count\n0.0,0.5,0.25,3\n0.5,1.0,0.75,4\n", File.ReadAllText(dir.File("h.csv")).ReplaceLineEndings("\n"));
        CsvTable.WriteHistogram(dir.File("empty.csv"), [0.0, 1.0], []);
        Assert.Equal("bin_low,bin_high,bin_centre,count\n", File.ReadAllText(dir.File("empty.csv")).ReplaceLineEndings("\n"));
        Assert.Throws<ArgumentException>(() => CsvTable.WriteHistogram(dir.File("bad.csv"), [0.0, 1.0], [1, 2]));
    }

    [Fact]
    public void Trajectories_and_energy_tables_name_configurations_by_integer_index_and_a_source_without_hash()
    {
        using var dir = new TempDirectory();
        var fromEnsemble = ReferenceConfiguration.FromEnsemble(1501, [1, -1], -0.5, 0.9);
        Assert.Equal("ensemble #1501", fromEnsemble.Label);
        var labelOnly = new ReferenceConfiguration("my #3, best", [1, 1], -0.25, 0.8);
        var trajectories = new[] { fromEnsemble, labelOnly }.Select(r => new DynamicsTrajectory(r.Label, [0, 2], [-0.5, -0.4], [0.9, 0.85], 0.25)
            { ReferenceSource = r.Source, ReferenceIndex = r.Index }).ToArray();
        var result = new DynamicsResult(trajectories, [0, 2], [-0.5, -0.4], [0, 0], [0.9, 0.85], [0, 0], 7);
        LandscapeReport.WriteDynamics(dir.Path, "test", result);
        var (headers, rows) = CsvTable.Read(dir.File("dynamics_trajectories.csv"));
        Assert.Equal(new[] { "reference_index", "source", "sweep", "energy", "accuracy", "acceptance_rate" }, headers);
        Assert.Equal(new[] { "1501", "ensemble", "0", "-0.5", "0.9", "0.25" }, rows[0]);
        // Known only by its label: its row in the table, and the label without '#' or ','.
        Assert.Equal(new[] { "1", "my 3; best", "2", "-0.4", "0.85", "0.25" }, rows[3]);
        Assert.DoesNotContain('#', File.ReadAllText(dir.File("dynamics_trajectories.csv")));

        var published = new ReferenceConfiguration("refs_El.txt row 4", [1, -1], -1, 0.7) { Source = "refs_El.txt", Index = 4 };
        var model = new FunctionSpace.Ising.Models.IsingModel([0.1, -0.2], [0, 0.3, 0.3, 0]);
        var part = new FunctionSpace.Ising.Networks.SpinSlice("FULL", 0, 2);
        var table = EnergyAccuracy.Evaluate(model, part, [fromEnsemble, published]);
        LandscapeReport.WriteEnergyAccuracy(dir.Path, "test", table, EnergyAccuracy.Parameters(model, bins: 2));
        (headers, rows) = CsvTable.Read(dir.File("energy_accuracy.csv"));
        Assert.Equal(new[] { "configuration_index", "source", "energy_density", "accuracy" }, headers);
        Assert.Equal(new[] { "1501", "ensemble" }, rows[0][..2]);
        Assert.Equal(new[] { "4", "refs_El.txt" }, rows[1][..2]);
        foreach (string name in new[] { "couplings", "fields" })
            Assert.Equal(CsvTable.HistogramHeaders, CsvTable.Read(dir.File($"{name}_histogram.csv")).Headers);
    }
}
