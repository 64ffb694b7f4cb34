namespace FunctionSpace.Ising.Cli;

/// <summary>"Did you mean …?" for a misspelt option or command name.</summary>
internal static class Suggestions
{
    /// <summary>The most edits a suggestion may be away: one or two typos, not a different word.</summary>
    public const int MaxDistance = 2;

    /// <summary>
    /// The known name nearest to <paramref name="typed"/> (optimal-string-alignment distance at most
    /// <see cref="MaxDistance"/>; ties go to the first), mapped through <paramref name="display"/> (an alias to the
    /// option's own name); null when none is that close.
    /// </summary>
    public static string? Nearest(string typed, IEnumerable<string> known, Func<string, string> display)
    {
        string? best = null;
        int bestDistance = MaxDistance + 1;
        foreach (string name in known)
        {
            int distance = Distance(typed, name);
            if (distance < bestDistance) (best, bestDistance) = (name, distance);
        }
        return best is null ? null : display(best);
    }

    /// <summary>
    /// Damerau–Levenshtein distance in its optimal-string-alignment form: insertions, deletions, substitutions and
    /// transpositions of adjacent characters each cost 1 (no substring edited twice).
    /// </summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }
}
