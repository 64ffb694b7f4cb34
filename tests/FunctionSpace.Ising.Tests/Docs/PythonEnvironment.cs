using System.Diagnostics;

namespace FunctionSpace.Ising.Tests.Docs;

/// <summary>
/// A Python 3 interpreter that has numpy, for the tests of docs/python. Debian's /usr/bin/python3 first (the
/// `python3` on PATH may be a pyenv or virtualenv one without numpy), then `python3` on PATH.
/// </summary>
internal static class PythonEnvironment
{
    private static readonly Lazy<string?> Interpreter = new(() =>
        new[] { "/usr/bin/python3", "python3" }.FirstOrDefault(candidate => Run(candidate, ["-c", "import numpy"], null).Exit == 0));

    private static readonly Lazy<bool> Matplotlib = new(() =>
        Interpreter.Value is { } python && Run(python, ["-c", "import matplotlib"], null).Exit == 0);

    /// <summary>The interpreter's command, or null when no python3 with numpy was found.</summary>
    public static string? PythonWithNumpy => Interpreter.Value;

    /// <summary>Whether that interpreter also has matplotlib (the walkthrough then draws its figures).</summary>
    public static bool HasMatplotlib => Matplotlib.Value;

    public const string Missing =
        "no python3 with numpy (tried /usr/bin/python3 and python3 on PATH): install Debian's python3-numpy (.ci/run does)";

    /// <summary>Runs a program to its end (at most five minutes) and returns its exit code and output.</summary>
    public static (int Exit, string Out, string Err) Run(string program, IEnumerable<string> arguments, string? workingDirectory,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (string argument in arguments) info.ArgumentList.Add(argument);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, "", $"{program}: {e.Message}");
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
            {
                process.Kill(entireProcessTree: true);
                return (-1, stdout.Result, stderr.Result + $"\n{program}: killed after five minutes");
            }
            return (process.ExitCode, stdout.Result, stderr.Result);
        }
    }

    /// <summary>The repository's root (the folder with the solution), found from the test binaries upwards.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "FunctionSpace.Ising.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no FunctionSpace.Ising.sln above {AppContext.BaseDirectory}");
    }
}

/// <summary>A fact that needs python3 with numpy; skipped, with the reason, where there is none.</summary>
public sealed class PythonFactAttribute : FactAttribute
{
    public PythonFactAttribute()
    {
        if (PythonEnvironment.PythonWithNumpy is null) Skip = PythonEnvironment.Missing;
    }
}
