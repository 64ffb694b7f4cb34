using System.CommandLine;
using FunctionSpace.Ising.Benchmarks;

namespace FunctionSpace.Ising.Cli.Commands;

/// <summary><c>fsi bench landscape</c>: the options of <see cref="BenchLandscape"/>.</summary>
internal static class BenchLandscapeCommand
{
    public static Command Create()
    {
        var defaults = new BenchLandscapeSettings();
        var dir = new Option<string?>("--reference-dir") { Description = "Published deep scenario folder [default: shared/reference/under-para]" };
        var points = new Option<int>("--points") { Description = "Sweep grid points", DefaultValueFactory = _ => defaults.Points }.InRange(2, 100_000);
        var starts = new Option<int>("--starts") { Description = "TAP starts", DefaultValueFactory = _ => defaults.Starts }.InRange(1, 10_000_000);
        var command = new Command("landscape", "Time a 200-point forward+backward landscape sweep and a 1,000-start TAP census on N = 675") { dir, points, starts };
        var dense = new Option<bool>("--dense") { Description = "Also time both workloads on a dense N = 675 model (the blocks plus weak random couplings between parts)", DefaultValueFactory = _ => defaults.Dense };
        command.Add(dense);
        var additive = new Option<bool>("--compare-additive") { Description = "Also run each sweep with BP in the additive form (exp and log per message) and print the speed ratio and the largest difference in d and s" };
        command.Add(additive);
        command.SetAction(parse =>
        {
            var settings = new BenchLandscapeSettings(parse.GetValue(dir), parse.GetValue(points), parse.GetValue(starts), parse.GetValue(dense), parse.GetValue(additive));
            BenchLandscape.Write(BenchLandscape.Run(settings), parse.InvocationConfiguration.Output);
            return CliApp.ExitOk;
        });
        return command;
    }
}
