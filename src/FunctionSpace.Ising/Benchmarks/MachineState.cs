using System.Globalization;

namespace FunctionSpace.Ising.Benchmarks;

/// <summary>What the benchmarks and the collection summary report about the machine: load and peak memory.</summary>
public static class MachineState
{
    /// <summary>The first <paramref name="fields"/> load averages of /proc/loadavg (1, 5, 15 min), or "unknown".</summary>
    public static string LoadAverage(int fields = 1)
    {
        try { return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(fields)); }
        catch (IOException) { return "unknown"; }
        catch (UnauthorizedAccessException) { return "unknown"; }
    }

    /// <summary>
    /// The process's peak resident set size (VmHWM of /proc/self/status on Linux, else the runtime's peak
    /// working set), e.g. "412 MiB (VmHWM)".
    /// </summary>
    public static string PeakResidentMemory()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal)
                    && long.TryParse(line[6..].Trim().Split(' ')[0], NumberStyles.None, CultureInfo.InvariantCulture, out long kib))
                    return $"{kib / 1024.0:F0} MiB (VmHWM)";
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return $"{System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:F0} MiB (peak working set)";
    }
}
