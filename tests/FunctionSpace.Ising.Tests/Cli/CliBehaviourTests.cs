using System.Text.Json.Nodes;
using FunctionSpace.Ising.Cli;
using FunctionSpace.Ising.Tests.Data;

namespace FunctionSpace.Ising.Tests.Cli;

/// <summary>What the command line does with no command, a misspelt name, --dry-run and --quiet.</summary>
public class CliBehaviourTests
{
    [Theory]
    [InlineData(new string[0], "fsi — FunctionSpace.Ising")]
    [InlineData(new[] { "bench" }, "Measure performance")]
    [InlineData(new[] { "theory" }, "Usage:")]
    [InlineData(new[] { "study" }, "Usage:")]
    [InlineData(new[] { "ensemble" }, "Usage:")]
    public void A_command_group_alone_prints_its_usage_to_stdout_and_exits_1(string[] args, string expected)
    {
        var (exit, stdout, stderr) = CliHarness.Run(args);
        Assert.Equal(CliApp.ExitBadInput, exit);
        Assert.Equal("", stderr);
        Assert.Contains(expected, stdout);
        Assert.Contains("Usage:", stdout);
        Assert.Contains("Commands:", stdout);
    }

    [Theory]
    [InlineData(new[] { "fit", "--max-iterr", "3" }, "fsi: error: unknown option '--max-iterr' (did you mean {0}?) (see `fsi fit --help`)")]
    [InlineData(new[] { "fitt" }, "fsi: error: unknown command 'fitt' (did you mean fit?) (see `fsi --help`)")]
    [InlineData(new[] { "bench", "fti" }, "fsi: error: unknown command 'fti' (did you mean fit?) (see `fsi bench --help`)")]
    [InlineData(new[] { "tap", "--quiett" }, "fsi: error: unknown option '--quiett' (did you mean --quiet?) (see `fsi tap --help`)")]
    [InlineData(new[] { "run", "--dryrun" }, "fsi: error: unknown option '--dryrun' (did you mean --dry-run?) (see `fsi run --help`)")]
    [InlineData(new[] { "run", "--bogus" }, "fsi: error: unknown option '--bogus' (see `fsi run --help`)")]
    [InlineData(new[] { "frobnicate" }, "fsi: error: unknown command 'frobnicate' (see `fsi --help`)")]
    public void A_misspelt_name_is_one_line_naming_the_nearest_known_one(string[] args, string expected)
    {
        var (exit, stdout, stderr) = CliHarness.Run(args);
        Assert.Equal(CliApp.ExitBadInput, exit);
        Assert.Equal("", stdout);
        // A misspelt option is answered with the option's current name, whichever alias it resembles.
        string fitCap = CliApp.BuildRoot().Subcommands.Single(c => c.Name == "fit").Options
            .Single(o => o.Name is "--max-iterations" or "--max-iter" || o.Aliases.Contains("--max-iter")).Name;
        Assert.Equal(string.Format(expected, fitCap), stderr.TrimEnd());
    }

    [Theory]
    [InlineData("--max-iter", "--max-iter", 0)]
    [InlineData("--max-iterr", "--max-iter", 1)]
    [InlineData("--mxa-iter", "--max-iter", 1)]   // an adjacent transposition is one edit
    [InlineData("fti", "fit", 1)]
    [InlineData("--seeds", "--seed", 1)]
    [InlineData("abc", "", 3)]
    public void Edit_distance_counts_insertions_deletions_substitutions_and_transpositions(string a, string b, int distance)
    {
        Assert.Equal(distance, Suggestions.Distance(a, b));
        Assert.Equal(distance, Suggestions.Distance(b, a));
    }

    [Fact]
    public void No_suggestion_is_further_than_two_edits()
    {
        Assert.Null(Suggestions.Nearest("--frobnicate", ["--format", "--seed"], n => n));
        Assert.Equal("--seed", Suggestions.Nearest("--sed", ["--format", "--seed"], n => n));
        Assert.Equal("--tolerance", Suggestions.Nearest("--tl", ["--tol"], _ => "--tolerance"));
    }

    [Fact]
    public void A_dry_run_prints_the_configuration_and_every_stage_and_writes_nothing()
    {
        using var root = new TempDirectory();
        string data = Directory.CreateDirectory(root.File("data")).FullName;
        SyntheticIdx.Write(data, train: 300, test: 80, seed: 1);
        string cache = root.File("cache"), runs = root.File("runs");
        var (exit, stdout, stderr) = CliHarness.Run("run", "--dry-run", "--scenario", "shallow", "--data-dir", data, "-k", "4",
            "--cache-dir", cache, "--runs-dir", runs, "--name", "dry", "--points", "9", "--seed", "11");
        Assert.True(exit == 0, stderr);
        Assert.Equal("", stderr);

        // The configuration as config.json would hold it, with the options applied; then the stages.
        int end = stdout.IndexOf("\nstages in ", StringComparison.Ordinal);
        var config = JsonNode.Parse(stdout[..end])!;
        Assert.Equal(11UL, config["seed"]!.GetValue<ulong>());
        Assert.Equal(9, config["landscape"]!["points"]!.GetValue<int>());
        Assert.Equal("shallow", Assert.Single(config["scenarios"]!.AsArray())!.GetValue<string>());
        string[] stages = ["data", "shallow/collect", "shallow/moments", "shallow/fit", "shallow/landscape", "report"];
        foreach (string stage in stages)
            Assert.Matches($@"\n  {System.Text.RegularExpressions.Regex.Escape(stage)} +would run\n", stdout);
        Assert.Contains(" stages would run; nothing was written (dry run)", stdout);
        Assert.False(Directory.Exists(runs));
        Assert.False(Directory.Exists(cache));
    }

    [Fact]
    public void Quiet_draws_no_progress_even_for_long_stages()
    {
        double now = 0;
        var log = new StringWriter();
        var quiet = new ConsoleProgress(log, quiet: true, interactive: false, () => now += 10);
        var loud = new ConsoleProgress(log, quiet: false, interactive: false, () => now += 10);
        for (int k = 0; k <= 4; k++) quiet.Report(new ProgressReport("collect", k, 4, "blocks"));
        quiet.Finish();
        Assert.Equal("", log.ToString());
        // The same reports without --quiet, from a stage longer than the log interval, do leave lines.
        for (int k = 0; k <= 4; k++) loud.Report(new ProgressReport("collect", k, 4, "blocks"));
        Assert.Contains("collect [", log.ToString());
    }
}
