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
    public void PseudolikelihoodOnMomentsOnlyIsAOneLineError()
    {
        var stdout = new StringWriter(); var stderr = new StringWriter();
        string dir = Path.Combine(IO.SharedData.ReferenceDirectory(), "under-para");
        int code = CliApp.Run(["fit", "--moments-text", dir, "--method", "pl", "--part", "RB", "--quiet", "--mc-samples", "0"], stdout, stderr);
        Assert.Equal(CliApp.ExitBadInput, code);
        Assert.Contains("pseudolikelihood needs configurations", stderr.ToString());
    }
}
