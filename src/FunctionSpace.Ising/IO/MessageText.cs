using System.Globalization;

namespace FunctionSpace.Ising.IO;

/// <summary>Pieces of user input quoted in one-line error messages, kept short and on one line.</summary>
public static class MessageText
{
    /// <summary>
    /// <paramref name="text"/> with control characters shown as '?' and cut to <paramref name="max"/> characters
    /// (with "…" and the full length), so a malformed 1,500-character line does not become a 1,500-character message.
    /// </summary>
    public static string Excerpt(string? text, int max = 40)
    {
        if (text is null) return "";
        string clean = new(text.Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return clean.Length <= max ? clean : $"{clean[..max]}… ({clean.Length.ToString(CultureInfo.InvariantCulture)} characters)";
    }

    /// <summary>
    /// An operating-system refusal (full disk, read-only file system, permission denied, a missing directory) as
    /// "path: reason": .NET words these as "Access to the path '/x' is denied." or "No space left on device : '/x'".
    /// </summary>
    public static string ForEnvironmentError(Exception e)
    {
        string message = e.Message.Split('\n')[0].Trim();
        var quoted = System.Text.RegularExpressions.Regex.Match(message, "'([^']+)'");
        if (!quoted.Success) return message;
        string reason = e is UnauthorizedAccessException
            ? "permission denied"
            : System.Text.RegularExpressions.Regex.Replace(message.Remove(quoted.Index, quoted.Length).Replace(" : ", " ", StringComparison.Ordinal), " +", " ").Trim().TrimEnd('.', ':', ' ');
        return $"{quoted.Groups[1].Value}: {reason}";
    }

    /// <summary>A number as a user would write it: at most <paramref name="digits"/> significant digits (never 300 of a huge fixed-point value).</summary>
    public static string Number(double value, int digits = 6) => value.ToString("G" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
}
