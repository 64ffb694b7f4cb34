using System.CommandLine;
using System.Runtime.CompilerServices;

namespace FunctionSpace.Ising.Cli;

/// <summary>
/// Old option names that still work but are not shown: System.CommandLine prints every alias in --help, so an old
/// name is kept off the option and the command line is rewritten to the current name before it is parsed.
/// </summary>
internal static class HiddenAliases
{
    // Option → (old name, the tokens it stands for: the option's name, or the name and a value for an old flag).
    private static readonly ConditionalWeakTable<Option, List<(string Old, string[] Tokens)>> Table = new();

    /// <summary>Accepts <paramref name="old"/> as a hidden name of <paramref name="option"/>.</summary>
    public static T WithHiddenAlias<T>(this T option, params string[] old) where T : Option
    {
        foreach (string name in old) Table.GetOrCreateValue(option).Add((name, [option.Name]));
        return option;
    }

    /// <summary>Accepts the old flag <paramref name="flag"/> as <paramref name="option"/> with the value <paramref name="value"/>.</summary>
    public static T WithHiddenFlag<T>(this T option, string flag, string value) where T : Option
    {
        Table.GetOrCreateValue(option).Add((flag, [option.Name, value]));
        return option;
    }

    /// <summary>The hidden names of <paramref name="option"/>.</summary>
    public static IEnumerable<string> Of(Option option) =>
        Table.TryGetValue(option, out var list) ? list.Select(e => e.Old) : [];

    /// <summary>
    /// <paramref name="args"/> with every hidden name replaced by what it stands for, in the command the tokens name
    /// (the command path is followed from the root as the parser does; "--" ends the options).
    /// </summary>
    public static string[] Rewrite(Command root, IReadOnlyList<string> args)
    {
        var result = new List<string>(args.Count);
        var command = root;
        bool optionsEnded = false;
        foreach (string token in args)
        {
            if (optionsEnded) { result.Add(token); continue; }
            if (token == "--") { optionsEnded = true; result.Add(token); continue; }
            if (!token.StartsWith('-'))
            {
                command = command.Subcommands.FirstOrDefault(c => c.Name == token || c.Aliases.Contains(token)) ?? command;
                result.Add(token);
                continue;
            }
            int split = token.IndexOfAny(['=', ':']);
            string name = split < 0 ? token : token[..split];
            var replacement = Accepted(command).SelectMany(o => Table.TryGetValue(o, out var list) ? list : [])
                .Where(e => e.Old == name).Select(e => e.Tokens).FirstOrDefault();
            if (replacement is null) { result.Add(token); continue; }
            result.Add(split < 0 ? replacement[0] : replacement[0] + token[split..]);
            result.AddRange(replacement.Skip(1));
        }
        return result.ToArray();
    }

    /// <summary>The options a command accepts: its own and the recursive ones of its ancestors.</summary>
    public static IEnumerable<Option> Accepted(Command command)
    {
        foreach (var option in command.Options) yield return option;
        foreach (var parent in command.Parents.OfType<Command>())
            foreach (var option in Accepted(parent).Where(o => o.Recursive)) yield return option;
    }
}
