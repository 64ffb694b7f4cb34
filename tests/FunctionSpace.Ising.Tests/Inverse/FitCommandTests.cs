using FunctionSpace.Ising.Cli;

namespace FunctionSpace.Ising.Tests.Inverse;

public class FitCommandTests
{
    [Fact]
    public void MissingInputIsAOneLineError()
    {
        var stdout = new StringWriter(); var stderr = new StringWriter();
        int code = CliApp.Run(["fit", "--method", "mf", "--quiet"], stdout, stderr);
        Assert.Equal(CliApp.ExitBadInput, code);
        Assert.Equal("fsi: error: give exactly one input: --moments, --moments-text, --ensemble or --spins", stderr.ToString().Trim());
    }

    [Fact]
    public void BpLearningRunsTheChosenUpdateRuleAndRecordsIt()
    {
        string dir = Path.Combine(IO.SharedData.ReferenceDirectory(), "under-para");
        string output = Path.Combine(Path.GetTempPath(), $"fsi-fit-update-{Guid.NewGuid():N}");
        try
        {
            var stdout = new StringWriter(); var stderr = new StringWriter();
            int code = CliApp.Run(["fit", "--moments-text", dir, "--method", "bp", "--bp-update", "gradient", "--part", "RB", "--max-iter", "3",
                "--quiet", "--mc-samples", "0", "-o", output], stdout, stderr);
            Assert.True(code == CliApp.ExitOk, stderr.ToString());
            string sidecar = File.ReadAllText(Path.Combine(output, "RB_bp.json"));
            Assert.Contains("\"update\": \"Gradient\"", sidecar);
            Assert.Contains("\"bp_inexact\": false", sidecar);
            Assert.Contains("\"bp_sweep_budget\": null", sidecar);

            // The bench's estimator: BP to a tenth of the best RMSE within a sweep budget, recorded in the sidecar.
            code = CliApp.Run(["fit", "--moments-text", dir, "--method", "bp", "--bp-update", "gradient", "--bp-inexact", "--bp-sweep-budget", "25",
                "--part", "RB", "--max-iter", "3", "--quiet", "--mc-samples", "0", "-o", output], stdout, stderr);
            Assert.True(code == CliApp.ExitOk, stderr.ToString());
            sidecar = File.ReadAllText(Path.Combine(output, "RB_bp.json"));
            Assert.Contains("\"bp_inexact\": true", sidecar);
            Assert.Contains("\"bp_sweep_budget\": 25", sidecar);

            var badStderr = new StringWriter();
            code = CliApp.Run(["fit", "--moments-text", dir, "--method", "bp", "--bp-update", "sgd", "--part", "RB", "--quiet"], stdout, badStderr);
            Assert.Equal(CliApp.ExitBadInput, code);
            string error = Assert.Single(badStderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains("--bp-update", error);
            Assert.Contains("'sgd'", error);
        }
        finally
        {
            if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public void PseudolikelihoodOnMomentsOnlyIsAOneLineError()
    {
        var stdout = new StringWriter(); var stderr = new StringWriter();
        string dir = Path.Combine(IO.SharedData.ReferenceDirectory(), "under-para");
        int code = CliApp.Run(["fit", "--moments-text", dir, "--method", "pl", "--part", "RB", "--quiet", "--mc-samples", "0"], stdout, stderr);
        Assert.Equal(CliApp.ExitBadInput, code);
        Assert.Contains("pseudolikelihood needs configurations", stderr.ToString());
    }
}
