using FunctionSpace.Ising.Cli;
using FunctionSpace.Ising.IO;
using FunctionSpace.Ising.Models;

namespace FunctionSpace.Ising.Tests.Inference;

public class SampleCommandTests
{
    [Fact]
    public void SampleWritesInt8SamplesAndMomentsForAModelStem()
    {
        string dir = Directory.CreateTempSubdirectory("fsi-sample").FullName;
        try
        {
            string stem = Path.Combine(dir, "tree");
            ModelFile.Save(stem, PlantedModels.Tree(7, seed: 3), new { method = "planted" });
            string output = Path.Combine(dir, "out", "s.npy");
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            int code = CliApp.Run(["sample", "--model", stem, "--chains", "3", "--samples", "20", "--burn-in", "10",
                "--rule", "heat-bath", "--seed", "5", "--out", output, "--quiet"], stdout, stderr);
            Assert.True(code == 0, stderr.ToString());
            var samples = Npy.Read(output);
            Assert.Equal("|i1", samples.Descr);
            Assert.Equal([60, 7], samples.Shape);
            Assert.All(samples.As<sbyte>(), s => Assert.True(s == 1 || s == -1));
            Assert.Equal([7, 7], Npy.Read(Path.Combine(dir, "out", "s.C.npy")).Shape);
            Assert.Contains("\"seed\": 5", File.ReadAllText(Path.Combine(dir, "out", "s.json")));
            Assert.Contains("heat-bath, seed 5", stdout.ToString());
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Theory]
    [InlineData(new[] { "sample", "--out", "x.npy" }, "fsi: error: sample: give --model STEM or both --couplings and --fields")]
    [InlineData(new[] { "sample", "--couplings", "J.txt", "--out", "x.npy" }, "fsi: error: sample: give --model STEM or both --couplings and --fields")]
    [InlineData(new[] { "sample", "--model", "/nonexistent/m", "--out", "x.npy" }, "fsi: error: /nonexistent/m.J.npy: file not found")]
    public void BadInputGivesOneLineErrors(string[] args, string message)
    {
        var stderr = new StringWriter();
        Assert.Equal(1, CliApp.Run(args, new StringWriter(), stderr));
        Assert.Equal(message, stderr.ToString().Trim());
    }
}
