using System.Diagnostics;

namespace FunctionSpace.Ising.Tests;

/// <summary>The built `fsi` run as a separate process (`dotnet fsi.dll …`), for what only shows across processes.</summary>
public static class FsiProcess
{
    private static readonly string Fsi = Path.Combine(AppContext.BaseDirectory, "fsi.dll");

    /// <summary>Starts `fsi <paramref name="arguments"/>`; <paramref name="environment"/> adjusts the child's variables
    /// (a null value removes one).</summary>
    public static Process Start(string arguments, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var info = new ProcessStartInfo("dotnet", $"\"{Fsi}\" {arguments}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
            if (value == null) info.Environment.Remove(name);
            else info.Environment[name] = value;
        return Process.Start(info)!;
    }

    /// <summary>Waits for the process and asserts it exited 0 (its output in the message otherwise).</summary>
    public static void Finish(Process process)
    {
        string stdout = process.StandardOutput.ReadToEnd(), stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"fsi exited {process.ExitCode}: {stderr}\n{stdout}");
        process.Dispose();
    }
}
