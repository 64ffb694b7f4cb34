using System.CommandLine;

namespace FunctionSpace.Ising.Cli;

/// <summary>Factories for options that several commands share, so they read the same everywhere.</summary>
internal static class CommonOptions
{
    public static Option<string?> DataDir() => new("--data-dir")
    {
        Description = "Directory holding the four IDX files (train/t10k images/labels, gzipped or raw) [default: the embedded MNIST]",
    };

    public static Option<int> Components() => new("--components", "-k")
    {
        Description = "Number of principal components kept (the network input width)",
        DefaultValueFactory = _ => 20,
    };

    public static Option<string?> CacheDir() => new("--cache-dir")
    {
        Description = "Where the PCA projection is cached [default: $FSI_CACHE_DIR, $XDG_CACHE_HOME/fsi or ~/.cache/fsi]",
    };

    public static Option<ulong> Seed() => new("--seed")
    {
        Description = "Seed of every random draw; the same seed gives the same output",
        DefaultValueFactory = _ => 1UL,
    };

    /// <summary>Rejects values outside [min, max] with a one-line message naming the option.</summary>
    public static T InRange<T>(this T option, double min, double max) where T : Option
    {
        option.Validators.Add(result =>
        {
            // Read the token itself: a value that does not convert (e.g. "abc" for an int) is reported by the parser,
            // and asking for the typed value here would throw instead.
            if (result.Tokens.Count == 0) return;
            string text = result.Tokens[^1].Value;
            if (!double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double v)) return;
            if (v < min || v > max) result.AddError($"{option.Name}: {text} is outside {min}..{max}");
        });
        return option;
    }
}
