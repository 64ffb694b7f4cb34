using System.CommandLine;
using System.CommandLine.Parsing;
using FunctionSpace.Ising.Cli.Commands;

namespace FunctionSpace.Ising.Cli;

/// <summary>
/// The <c>fsi</c> command tree. Each command lives in one file under Commands/: its options (definition)
/// and one action that maps the parse result to a settings record and calls the library.
/// Exit codes: 0 success; 1 bad input or a bad command line (one-line message); 70 internal error.
/// </summary>
internal static class CliApp
{
    public const int ExitOk = 0, ExitBadInput = 1, ExitInternal = 70;

    /// <summary>
    /// Commands that keep finished work when they fail (a collection's whole blocks, a run's finished stages) and read
    /// back what they wrote; every other command runs inside an <see cref="IO.OutputSet"/>.
    /// </summary>
    private static readonly string[] ResumableCommands = ["run", "collect"];

    /// <summary>Longest error message printed: paths and excerpts of input fit; a runaway message is cut.</summary>
    private const int MaxMessageLength = 1000;

    /// <summary>Prints full exception details instead of one-line errors.</summary>
    public static readonly Option<bool> Verbose = new("--verbose")
    {
        Description = "Print stack traces and extra diagnostics on errors",
        Recursive = true,
    };

    /// <summary>Plain log lines instead of progress bars.</summary>
    public static readonly Option<bool> Quiet = new("--quiet")
    {
        Description = "No progress at all: only results, finished stages and errors",
        Recursive = true,
    };

    public static RootCommand BuildRoot()
    {
        var root = new RootCommand(
            "fsi — FunctionSpace.Ising: the statistical physics of the weight space of binary neural networks.\n" +
            "Collect weight ensembles, fit maximum-entropy Ising models, analyse their landscapes.");
        root.Options.Add(Verbose);
        root.Options.Add(Quiet);
        foreach (var command in Commands()) root.Subcommands.Add(command);
        return root;
    }

    // One line per command; each factory builds its definition and binds its action.
    private static IEnumerable<Command> Commands()
    {
        yield return RunCommand.Create();
        yield return DataCommand.Create();
        yield return SampleCommand.Create();
        yield return BenchCommand.Create();
        yield return TheoryCommand.Create();
        yield return CollectCommand.Create();
        yield return EnsembleCommand.Create();
        yield return StudyCommand.Create();
        yield return MomentsCommand.Create();
        yield return FitCommand.Create();
        yield return LandscapeCommand.Create();
        yield return TapCommand.Create();
        yield return DynamicsCommand.Create();
    }

    /// <summary>
    /// A parse error as one line that names its option: System.CommandLine's "must be one of" message spans
    /// several lines (one per allowed value) and does not say which option it is about.
    /// </summary>
    static string OneLine(ParseError error)
    {
        string message = string.Join(' ', error.Message.Split(['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries)
            .Select(part => part.Trim())).TrimEnd('.');
        SymbolResult? symbol = error.SymbolResult;
        while (symbol is not null and not OptionResult) symbol = symbol.Parent;
        if (symbol is OptionResult option && !message.Contains(option.Option.Name, StringComparison.Ordinal))
            message = $"{option.Option.Name}: {message}";
        return message;
    }

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = BuildRoot();
        ParseResult parse = root.Parse(HiddenAliases.Rewrite(root, args));
        bool verbose = parse.GetValue(Verbose);
        var configuration = new InvocationConfiguration
        {
            EnableDefaultExceptionHandler = false,
            Output = stdout,
            Error = stderr,
        };
        if (parse.Errors.Count > 0)
        {
            var commandResult = parse.CommandResult;
            string[] path = ["fsi", .. CommandPath(commandResult)];
            // A command group named alone (`fsi`, `fsi bench`): its usage on stdout, and exit 1 since nothing was done.
            if (parse.UnmatchedTokens.Count == 0 && commandResult.Command.Subcommands.Count > 0 && commandResult.Command.Action is null)
            {
                root.Parse([.. path.Skip(1), "--help"]).Invoke(configuration);
                return ExitBadInput;
            }
            // One line naming the option and the problem (not System.CommandLine's default of help text plus errors);
            // an unknown name gets the nearest known one.
            var messages = UnknownTokens(commandResult.Command, parse.UnmatchedTokens)
                .Concat(parse.Errors.Where(e => !IsAboutUnmatched(e, parse.UnmatchedTokens, commandResult.Command)).Select(OneLine))
                .ToArray();
            stderr.WriteLine($"fsi: error: {string.Join("; ", messages)} (see `{string.Join(' ', path)} --help`)");
            return ExitBadInput;
        }
        try
        {
            // A command's outputs appear together when it succeeds and not at all when it fails; the resumable commands
            // keep what they finished instead (their own records say what is complete).
            if (ResumableCommands.Contains(CommandPath(parse.CommandResult).FirstOrDefault() ?? "")) return parse.Invoke(configuration);
            using var outputs = IO.OutputSet.Begin();
            int code = parse.Invoke(configuration);
            if (code == ExitOk) outputs.Commit();
            return code;
        }
        catch (Exception e) when (Unwrap(e) is InputException or NumericalException)
        {
            // Bad input, or a computation that failed on valid input: either way the message says what to change.
            var failure = Unwrap(e);
            stderr.WriteLine($"fsi: error: {OneLineMessage(failure.Message)}");
            if (verbose) stderr.WriteLine(failure);
            return ExitBadInput;
        }
        catch (Exception e) when (Unwrap(e) is IOException or UnauthorizedAccessException)
        {
            // The environment refused (full disk, read-only file system, permission denied, a path through a file):
            // .NET's message names the path; not an internal error.
            var inner = Unwrap(e);
            stderr.WriteLine($"fsi: error: {OneLineMessage(IO.MessageText.ForEnvironmentError(inner))}");
            if (verbose) stderr.WriteLine(inner);
            return ExitBadInput;
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine("fsi: cancelled");
            return 130;
        }
        catch (Exception e)
        {
            var inner = Unwrap(e);
            stderr.WriteLine($"fsi: internal error: {inner.GetType().Name}: {FirstLine(inner.Message)}" +
                             (verbose ? "" : " (rerun with --verbose for details)"));
            if (verbose) stderr.WriteLine(inner);
            return ExitInternal;
        }
    }

    // Unknown options and commands, each with the nearest known name of the command (within two edits). A word right
    // after an unknown option is taken as its value, not reported again.
    private static IEnumerable<string> UnknownTokens(Command command, IReadOnlyList<string> unmatched)
    {
        bool afterUnknownOption = false;
        foreach (string token in unmatched)
        {
            if (token.StartsWith('-'))
            {
                string name = token.Split('=', 2)[0];
                var options = HiddenAliases.Accepted(command).ToArray();
                string? near = Suggestions.Nearest(name, options.SelectMany(o => new[] { o.Name }.Concat(o.Aliases).Concat(HiddenAliases.Of(o))),
                    alias => options.First(o => o.Name == alias || o.Aliases.Contains(alias) || HiddenAliases.Of(o).Contains(alias)).Name);
                afterUnknownOption = !token.Contains('=');
                yield return near is null ? $"unknown option '{name}'" : $"unknown option '{name}' (did you mean {near}?)";
            }
            else if (afterUnknownOption)
            {
                afterUnknownOption = false;
            }
            else
            {
                string? near = Suggestions.Nearest(token, command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name), name => name);
                yield return command.Subcommands.Count == 0 ? $"unexpected argument '{token}'"
                    : near is null ? $"unknown command '{token}'" : $"unknown command '{token}' (did you mean {near}?)";
            }
        }
    }

    // System.CommandLine's own error for an unmatched token, or its "required command" error when the command was
    // misspelt: both are replaced by the lines above.
    private static bool IsAboutUnmatched(ParseError error, IReadOnlyList<string> unmatched, Command command) =>
        unmatched.Count > 0 && (unmatched.Any(t => error.Message.Contains($"'{t}'", StringComparison.Ordinal))
                                || (command.Subcommands.Count > 0 && command.Action is null && error.SymbolResult is CommandResult));

    // The subcommand names from the root down, e.g. ["bench", "fit"].
    private static IEnumerable<string> CommandPath(System.CommandLine.Parsing.CommandResult result)
    {
        var names = new Stack<string>();
        for (var current = result; current?.Parent is System.CommandLine.Parsing.CommandResult parent; current = parent)
            names.Push(current.Command.Name);
        return names;
    }

    private static Exception Unwrap(Exception e)
    {
        while (e is AggregateException { InnerExceptions.Count: 1 } or System.Reflection.TargetInvocationException && e.InnerException != null)
            e = e.InnerException!;
        return e;
    }

    private static string OneLineMessage(string message)
    {
        string line = string.Join(' ', message.Split(['\n', '\r'], StringSplitOptions.RemoveEmptyEntries).Select(part => part.Trim()));
        return line.Length <= MaxMessageLength ? line : line[..MaxMessageLength] + "…";
    }

    private static string FirstLine(string message)
    {
        int newline = message.IndexOf('\n');
        return newline < 0 ? message : message[..newline].TrimEnd();
    }
}
