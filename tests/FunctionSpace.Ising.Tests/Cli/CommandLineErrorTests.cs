using FunctionSpace.Ising.Cli;

namespace FunctionSpace.Ising.Tests.Cli;

/// <summary>Command-line mistakes give one line on stderr, nothing on stdout, exit 1 — never help text or a stack trace.</summary>
public class CommandLineErrorTests
{
    [Fact]
    public void A_value_outside_the_range_names_the_option_and_the_help_command()
    {
        var (exit, stdout, stderr) = CliHarness.Run("tap", "--starts", "-5");
        Assert.Equal(CliApp.ExitBadInput, exit);
        Assert.Equal("", stdout);
        Assert.Equal("fsi: error: --starts: -5 is outside 1..10000000 (see `fsi tap --help`)", stderr.TrimEnd());
    }

    [Fact]
    public void A_value_that_does_not_parse_is_an_error_not_a_crash()
    {
        var (exit, stdout, stderr) = CliHarness.Run("bench", "fit", "--steps", "abc");
        Assert.Equal(CliApp.ExitBadInput, exit);
        Assert.Equal("", stdout);
        Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.StartsWith("fsi: error: Cannot parse argument 'abc' for option '--steps'", stderr);
        Assert.EndsWith("(see `fsi bench fit --help`)", stderr.TrimEnd());
    }
}
