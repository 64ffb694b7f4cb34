using FunctionSpace.Ising.Cli;
using FunctionSpace.Ising.Ensembles;
using FunctionSpace.Ising.IO;

namespace FunctionSpace.Ising.Tests.Ensembles;

public class EnsembleCliTests
{
    private static (int Code, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CliApp.Run([.. args, "--quiet"], output, error);
        return (code, error.ToString().Trim());
    }

    [Fact]
    public void CollectInfoExportAndMergeFromTheCommandLine()
    {
        string dir = Path.GetDirectoryName(EnsembleTestData.TempFile("x"))!;
        string file = Path.Combine(dir, "over.fsie");
        string[] collect = ["collect", "--scenario", "over", "--networks", "3", "--block", "2", "--samples", "3", "--epochs", "1", "--created", "2026-01-01T00:00:00Z"];
        Assert.Equal((0, ""), Run([.. collect, "--out", file]));
        using (var reader = EnsembleReader.Open(file))
        {
            Assert.Equal(9L, reader.Count);
            Assert.Equal("over", reader.Header.Scenario);
            Assert.Equal("500", reader.Header.Parameter("train_count"));
            Assert.Equal("100", reader.Header.Parameter("batch_size"));
            Assert.Equal(new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc), reader.Header.CreatedUtc);
        }
        Assert.Equal(0, Run("ensemble", "info", file).Code);

        string npy = Path.Combine(dir, "spins.npy"), acc = Path.Combine(dir, "acc.npy");
        Assert.Equal(0, Run("ensemble", "export", file, "--out", npy, "--accuracies", acc).Code);
        var array = Npy.Read(npy);
        Assert.Equal("|i1", array.Descr);
        Assert.Equal(new[] { 9, 675 }, array.Shape);
        using (var reader = EnsembleReader.Open(file))
        {
            Assert.Equal(reader.ReadAllSpins(), array.As<sbyte>());
            using var again = EnsembleReader.Open(file);
            Assert.Equal(again.ReadChunks().SelectMany(c => c.Accuracies), Npy.Read(acc).As<float>());
        }

        string s0 = Path.Combine(dir, "s0.fsie"), s1 = Path.Combine(dir, "s1.fsie"), merged = Path.Combine(dir, "merged.fsie");
        Assert.Equal(0, Run([.. collect, "--shard", "0/2", "--out", s0]).Code);
        Assert.Equal(0, Run([.. collect, "--shard", "1/2", "--out", s1]).Code);
        Assert.Equal(0, Run("ensemble", "merge", s1, s0, "--out", merged).Code);
        Assert.Equal(File.ReadAllBytes(file), File.ReadAllBytes(merged));
    }

    [Fact]
    public void BadInputsGiveOneLineErrors()
    {
        string file = EnsembleTestData.TempFile("e.fsie");
        Assert.Equal((1, "fsi: error: --shard: '2/2' is not i/n with 0 <= i < n"), Run("collect", "--shard", "2/2", "--out", file));
        Assert.Equal((1, "fsi: error: --freeze-interior: the shallow network 20-10 has no hidden-to-hidden layer"),
            Run("collect", "--scenario", "shallow", "--freeze-interior", "--out", file));
        Assert.Equal((1, $"fsi: error: {file}: file not found"), Run("ensemble", "info", file));
        Assert.Equal((1, "fsi: error: --created: 'yesterday' is neither unix seconds nor an ISO 8601 time"), Run("collect", "--created", "yesterday", "--out", file));
    }
}
