using FunctionSpace.Ising.Models;
using FunctionSpace.Ising.Inference;

namespace FunctionSpace.Ising.Tests.Models;

public class IsingModelTests
{
    private static IsingModel Three() => new([0.1, -0.2, 0.3], [0, 0.5, -0.4, 0.5, 0, 0.2, -0.4, 0.2, 0]);

    [Fact]
    public void EnergyIsMinusPairsMinusFields()
    {
        var model = Three();
        // E(+,−,+) = −(0.5·(−1) + (−0.4)·1 + 0.2·(−1)) − (0.1 + 0.2 + 0.3) = 1.1 − 0.6.
        Assert.Equal(0.5, model.Energy([1, -1, 1]), 14);
    }

    [Theory]
    [InlineData(new double[] { 0, 0.5, 0.4, 0 }, "couplings: J[0,1] = 0.5 but J[1,0] = 0.4 (not symmetric)")]
    [InlineData(new double[] { 0.1, 0, 0, 0 }, "couplings: J[0,0] = 0.1 (diagonal must be zero)")]
    [InlineData(new double[] { 0, double.NaN, double.NaN, 0 }, "couplings: J[0,1] = NaN (not finite)")]
    [InlineData(new double[] { 0, 1, 1 }, "couplings: 3 values do not form a 2x2 matrix for 2 fields")]
    public void BadCouplingsGiveOneLineMessages(double[] couplings, string message)
    {
        var e = Assert.Throws<InputException>(() => new IsingModel([0, 0], couplings));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void BadFieldsAndSpinsGiveOneLineMessages()
    {
        Assert.Equal("fields: h[1] = Infinity (not finite)",
            Assert.Throws<InputException>(() => new IsingModel([0, double.PositiveInfinity], [0, 0, 0, 0])).Message);
        var model = Three();
        Assert.Equal("spins: s[1] = 0 (spins must be +1 or -1)", Assert.Throws<InputException>(() => model.Energy([1, 0, 1])).Message);
        Assert.Equal("spins: 2 spins, the model has 3", Assert.Throws<InputException>(() => model.Energy([1, 1])).Message);
        Assert.Equal("fields: 2 values, the model has 3 spins", Assert.Throws<InputException>(() => model.WithFields([0, 0])).Message);
        Assert.Equal("slice: [2, 4) is outside the model's 3 spins", Assert.Throws<InputException>(() => model.Slice(2, 2)).Message);
    }

    [Fact]
    public void SliceScaleAndTiltKeepTheRightEntries()
    {
        var model = Three();
        var slice = model.Slice(1, 2);
        Assert.Equal([-0.2, 0.3], slice.Fields);
        Assert.Equal([0, 0.2, 0.2, 0], slice.Couplings);
        var scaled = model.Scaled(2);
        Assert.Equal(2 * model.Energy([1, 1, -1]), scaled.Energy([1, 1, -1]), 14);
        var tilted = model.WithFields([1, 1, 1]);
        Assert.Same(model.Couplings, tilted.Couplings);
        Assert.Equal([1.0, 1, 1], tilted.Fields);
    }

    [Fact]
    public void ModelFileRoundTripsNpyAndSidecar()
    {
        string dir = Directory.CreateTempSubdirectory("fsi-model").FullName;
        try
        {
            string stem = Path.Combine(dir, "ITER");
            var model = Three();
            ModelFile.Save(stem, model, new { method = "test", rmse = new[] { 0.1, 0.01 } });
            var loaded = ModelFile.Load(stem);
            Assert.Equal(model.Couplings, loaded.Couplings);
            Assert.Equal(model.Fields, loaded.Fields);
            using var meta = ModelFile.LoadMetadata(stem)!;
            Assert.Equal("test", meta.RootElement.GetProperty("method").GetString());

            IO.Npy.Write<double>(ModelFile.FieldsPath(stem), [0.0, 0.0], 2);
            var e = Assert.Throws<InputException>(() => ModelFile.Load(stem));
            Assert.Equal($"{stem}.J.npy: 3x3 couplings but {stem}.h.npy has 2 fields", e.Message);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void LoadTextReadsPublishedFormatAndNamesTheFileOnError()
    {
        string dir = Directory.CreateTempSubdirectory("fsi-model").FullName;
        try
        {
            string j = Path.Combine(dir, "J.txt"), h = Path.Combine(dir, "h.txt");
            File.WriteAllText(j, "0 5.0e-01\n5.0e-01 0\n");
            File.WriteAllText(h, "1.0e-01\n-2.0e-01\n");
            var model = ModelFile.LoadText(j, h);
            Assert.Equal(0.5, model.Coupling(1, 0));
            File.WriteAllText(j, "0 5.0e-01\n4.0e-01 0\n");
            var e = Assert.Throws<InputException>(() => ModelFile.LoadText(j, h));
            Assert.Equal($"{j}: couplings: J[0,1] = 0.5 but J[1,0] = 0.4 (not symmetric)", e.Message);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void MomentsRmseAndSliceFollowTheStudysDefinition()
    {
        var a = new Moments([0.1, 0.2], [1, 0.3, 0.3, 1]);
        var b = new Moments([0.1, 0.4], [1, 0.4, 0.4, 1]);
        // mean Δm² = 0.02, mean_{i≠j} ΔC² = 0.01 ⇒ sqrt(0.03).
        Assert.Equal(Math.Sqrt(0.03), a.Rmse(b), 14);
        Assert.Equal([0.3 - 0.02, 0.3 - 0.02], new[] { a.ConnectedCorrelations()[1], a.ConnectedCorrelations()[2] });
        Assert.Equal([0.2], a.Slice(1, 1).Magnetisations);
    }
}
