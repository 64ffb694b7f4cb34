using System.CommandLine;
using System.Text.RegularExpressions;
using FunctionSpace.Ising.Cli;

namespace FunctionSpace.Ising.Tests.Cli;

/// <summary>
/// One CLI vocabulary: the same option name for the same idea in every command. Walks every command's options
/// (hidden aliases excluded) and fails on a name from a synonym group other than the group's chosen one, and on
/// defaults written into descriptions instead of shown as [default: …].
/// </summary>
public class CliVocabularyTests
{
    // A visible option name that matches a pattern must be replaced by the shared form (hidden aliases may keep
    // the old names for one release). Suffix rules, so that prefixed options follow too (--pl-iter → --pl-max-iterations).
    private static readonly (Regex Pattern, string Say)[] Vocabulary =
    [
        (new(@"(^--|-)(max-)?iter$"), "…-max-iterations"),
        (new(@"^--[a-z]+-steps$"), "…-max-iterations (a cap on learning steps)"),
        (new(@"(^--|-)tol$"), "…-tolerance"),
        (new(@"^--stall-sweeps$"), "--stall-iterations"),
        (new(@"^--arch$"), "--architecture"),
        (new(@"^--dimension$"), "--components"),
        (new(@"^--(heat-bath|metropolis)$"), "--rule heat-bath|metropolis"),
        (new(@"^--seeds$"), "--networks (a count; --seed is the seed)"),
        (new(@"^--configs$"), "--configurations"),
    ];

    private static IEnumerable<(string Path, Option Option)> AllOptions(Command command, string path)
    {
        foreach (var option in command.Options.Where(o => !o.Hidden)) yield return (path, option);
        foreach (var sub in command.Subcommands)
            foreach (var item in AllOptions(sub, $"{path} {sub.Name}")) yield return item;
    }

    [Fact]
    public void Every_command_uses_the_shared_option_names()
    {
        var root = CliApp.BuildRoot();
        var offences = AllOptions(root, "fsi")
            .SelectMany(t => new[] { t.Option.Name }.Concat(t.Option.Aliases).Select(name => (t.Path, Name: name)))
            .SelectMany(t => Vocabulary.Where(v => v.Pattern.IsMatch(t.Name)).Select(v => $"{t.Path}: {t.Name} (say {v.Say})"))
            .Distinct().ToArray();
        Assert.True(offences.Length == 0, "synonyms:\n" + string.Join("\n", offences));
    }

    [Fact]
    public void Defaults_are_shown_one_way()
    {
        var root = CliApp.BuildRoot();
        var offences = AllOptions(root, "fsi")
            .Where(t => t.Option.Description is { } d && (d.Contains("(default", StringComparison.OrdinalIgnoreCase) || d.Contains("Default:", StringComparison.Ordinal)))
            .Select(t => $"{t.Path} {t.Option.Name}: {t.Option.Description}").ToArray();
        Assert.True(offences.Length == 0, "defaults in descriptions:\n" + string.Join("\n", offences));
    }

    private static IEnumerable<(string[] Path, Command Command)> AllCommands(Command command, string[] path)
    {
        yield return (path, command);
        foreach (var sub in command.Subcommands)
            foreach (var item in AllCommands(sub, [.. path, sub.Name])) yield return item;
    }

    [Fact]
    public void Old_names_still_reach_their_option_and_help_does_not_show_them()
    {
        var root = CliApp.BuildRoot();
        int checkedAliases = 0;
        foreach (var (path, command) in AllCommands(root, []))
        {
            var help = new StringWriter();
            root.Parse([.. path, "--help"]).Invoke(new InvocationConfiguration { Output = help });
            foreach (var option in command.Options)
            {
                foreach (string old in HiddenAliases.Of(option))
                {
                    string[] rewritten = HiddenAliases.Rewrite(root, [.. path, old, "7"]);
                    Assert.Equal(option.Name, rewritten[path.Length]);
                    Assert.Equal([.. path, option.Name], rewritten[..(path.Length + 1)]);
                    Assert.DoesNotMatch($@"(^|[\s,]){Regex.Escape(old)}([\s,=]|$)", help.ToString());
                    checkedAliases++;
                }
            }
        }
        Assert.True(checkedAliases >= 15, $"{checkedAliases} hidden aliases");
    }

    [Fact]
    public void An_old_name_parses_to_the_same_value_as_the_new_one()
    {
        var root = CliApp.BuildRoot();
        var fit = root.Subcommands.Single(c => c.Name == "fit");
        var cap = (Option<int>)fit.Options.Single(o => o.Name == "--max-iterations");
        var tolerance = (Option<double>)fit.Options.Single(o => o.Name == "--tolerance");
        var parse = root.Parse(HiddenAliases.Rewrite(root, ["fit", "--max-iter", "7", "--tol=0.25"]));
        Assert.Empty(parse.Errors);
        Assert.Equal(7, parse.GetValue(cap));
        Assert.Equal(0.25, parse.GetValue(tolerance));

        // An old flag that became a value: dynamics --heat-bath is --rule heat-bath.
        Assert.Equal(["dynamics", "--rule", "heat-bath", "--sweeps", "3"], HiddenAliases.Rewrite(root, ["dynamics", "--heat-bath", "--sweeps", "3"]));
        // The same word after "--" or in another command is left alone.
        Assert.Equal(["fit", "--", "--tol"], HiddenAliases.Rewrite(root, ["fit", "--", "--tol"]));
        Assert.Equal(["tap", "--tol"], HiddenAliases.Rewrite(root, ["tap", "--tol"]));
    }

    [Fact]
    public void The_study_presets_are_quick_and_paper_and_full_is_still_accepted()
    {
        var root = CliApp.BuildRoot();
        var width = root.Subcommands.Single(c => c.Name == "study").Subcommands.Single(c => c.Name == "width");
        var preset = (Option<string>)width.Options.Single(o => o.Name == "--preset");
        Assert.Contains("quick (minutes on two cores) or paper", preset.Description);
        Assert.Empty(root.Parse(["study", "width", "--preset", "paper"]).Errors);
        Assert.Empty(root.Parse(["study", "width", "--preset", "full"]).Errors);
        var (exit, _, stderr) = CliHarness.Run("study", "width", "--preset", "huge");
        Assert.Equal(CliApp.ExitBadInput, exit);
        Assert.Equal("fsi: error: --preset: 'huge' is not quick or paper (see `fsi study width --help`)", stderr.TrimEnd());
    }

    [Fact]
    public void Fit_and_run_offer_the_same_methods()
    {
        var root = CliApp.BuildRoot();
        var fit = root.Subcommands.Single(c => c.Name == "fit").Options.Single(o => o.Name == "--method");
        var run = root.Subcommands.Single(c => c.Name == "run").Options.Single(o => o.Name == "--method");
        Assert.StartsWith(fit.Description!, run.Description);
        foreach (string method in FunctionSpace.Ising.Inverse.FitNames.Methods)
            Assert.Empty(root.Parse(["run", "--method", method]).Errors);
        Assert.NotEmpty(root.Parse(["run", "--method", "magic"]).Errors);
    }

    [Fact]
    public void Every_out_option_says_whether_it_is_a_file_a_folder_or_a_stem()
    {
        var outs = AllOptions(CliApp.BuildRoot(), "fsi").Where(t => t.Option.Name == "--out").ToArray();
        Assert.True(outs.Length >= 10, $"{outs.Length} --out options");
        var offences = outs.Where(t => !(t.Option.Description ?? "").StartsWith("Output file", StringComparison.Ordinal)
                                       && !(t.Option.Description ?? "").StartsWith("Output folder", StringComparison.Ordinal)
                                       && !(t.Option.Description ?? "").StartsWith("Output stem", StringComparison.Ordinal))
            .Select(t => $"{t.Path} --out: {t.Option.Description}").ToArray();
        Assert.True(offences.Length == 0, string.Join("\n", offences));
        Assert.All(outs, t => Assert.Contains("-o", t.Option.Aliases));
    }

    [Fact]
    public void Collect_help_shows_the_training_defaults_of_the_scenarios()
    {
        var under = FunctionSpace.Ising.Training.CollectionSettings.ForScenario("under", "");
        var over = FunctionSpace.Ising.Training.CollectionSettings.ForScenario("over", "");
        var (exit, help, _) = CliHarness.Run("collect", "--help");
        Assert.Equal(0, exit);
        string Line(string option) => help.Split('\n').Single(l => l.TrimStart().StartsWith(option + " ", StringComparison.Ordinal)).Trim();
        Assert.EndsWith($"Training epochs [default: {under.Training.Epochs}]", Line("--epochs"));
        Assert.NotEqual(under.Training.BatchSize, over.Training.BatchSize);
        Assert.EndsWith($"[default: {under.Training.BatchSize}; {over.Training.BatchSize} for over]", Line("--batch-size"));
        Assert.EndsWith($"[default: {under.TrainCount}; {over.TrainCount} for over]", Line("--train-count"));
        Assert.Equal(1e-5, under.Training.L2);
        Assert.EndsWith("[default: 1e-5]", Line("--l2"));
    }

    [Fact]
    public void Every_value_of_run_shows_its_default()
    {
        // Inputs (a configuration file, ensembles to start from) have no default; every other value does, from the
        // preset or written beside it.
        string[] inputs = ["--config", "--from-ensembles"];
        var run = CliApp.BuildRoot().Subcommands.Single(c => c.Name == "run");
        var silent = run.Options.Where(o => o.ValueType != typeof(bool) && !inputs.Contains(o.Name) && !o.HasDefaultValue
                                            && !(o.Description ?? "").Contains("[default: ", StringComparison.Ordinal))
            .Select(o => o.Name).ToArray();
        Assert.True(silent.Length == 0, "no default shown: " + string.Join(", ", silent));
    }
}
