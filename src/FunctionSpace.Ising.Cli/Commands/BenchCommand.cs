using System.CommandLine;

namespace FunctionSpace.Ising.Cli.Commands;

/// <summary>
/// <c>fsi bench</c>: the performance measurements quoted in the README. Each subcommand prints its figures
/// and their ratio to its baseline (the study's numpy code where one is named); none of them is a timed test.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var command = new Command("bench", "Measure performance (results go in the README's performance section)");
        foreach (var sub in Subcommands()) command.Subcommands.Add(sub);
        return command;
    }

    // One line per benchmark; each lives in its own file beside this one.
    private static IEnumerable<Command> Subcommands()
    {
        yield return BenchBpCommand.Create();
        yield return BenchCollectCommand.Create();
        yield return BenchLandscapeCommand.Create();
        yield return BenchFitCommand.Create();
    }
}
