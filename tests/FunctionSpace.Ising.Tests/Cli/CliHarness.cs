using FunctionSpace.Ising.Cli;

namespace FunctionSpace.Ising.Tests.Cli;

/// <summary>Runs <c>fsi</c> in-process and captures what it writes.</summary>
internal static class CliHarness
{
    public static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = CliApp.Run(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }
}
