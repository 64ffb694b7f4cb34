using System.Diagnostics;

namespace FunctionSpace.Ising.Cli;

/// <summary>
/// Renders <see cref="ProgressReport"/>s on standard error: a bar with percentage, throughput and ETA
/// that redraws in place on a terminal; plain lines at most every few seconds into a log (stderr redirected), once a
/// stage has run that long; nothing at all with --quiet.
/// </summary>
internal sealed class ConsoleProgress : IProgress<ProgressReport>
{
    private readonly TextWriter _error;
    private readonly bool _interactive;
    private readonly bool _quiet;
    private readonly Func<double> _seconds;
    private readonly object _gate = new();
    private string _stage = "";
    private double _stageStart;
    private double _lastDraw = double.NegativeInfinity;
    private bool _lineOpen;

    public ConsoleProgress(TextWriter error, bool quiet) : this(error, quiet, interactive: !Console.IsErrorRedirected, Stopwatch.StartNew()) { }

    private ConsoleProgress(TextWriter error, bool quiet, bool interactive, Stopwatch clock)
        : this(error, quiet, interactive, () => clock.Elapsed.TotalSeconds) { }

    /// <summary>A renderer with its own terminal check and clock (seconds since start).</summary>
    internal ConsoleProgress(TextWriter error, bool quiet, bool interactive, Func<double> seconds)
    {
        _error = error;
        _quiet = quiet;
        _interactive = !quiet && interactive;
        _seconds = seconds;
    }

    public void Report(ProgressReport value)
    {
        // --quiet: the commands' own result lines and errors only.
        if (_quiet) return;
        lock (_gate)
        {
            double now = _seconds();
            if (value.Stage != _stage)
            {
                Finish();
                _stage = value.Stage;
                _stageStart = now;
                _lastDraw = double.NegativeInfinity;
            }
            bool complete = value.Total > 0 && value.Done >= value.Total;
            double interval = _interactive ? 0.2 : 5.0;
            if (!complete && now - _lastDraw < interval) return;
            // A log (stderr redirected) gets lines only from stages that run longer than one interval: short work
            // stays silent there, so an error is the only line a quick failing command leaves.
            if (!_interactive && now - _stageStart < interval) return;
            _lastDraw = now;
            string line = Format(value, now - _stageStart);
            if (_interactive)
            {
                _error.Write("\r" + line.PadRight(Math.Max(line.Length, 100)));
                _lineOpen = true;
                if (complete) Finish();
            }
            else
            {
                _error.WriteLine(line);
            }
        }
    }

    /// <summary>Ends the current bar's line.</summary>
    public void Finish()
    {
        lock (_gate)
        {
            if (_lineOpen) _error.WriteLine();
            _lineOpen = false;
        }
    }

    internal static string Format(ProgressReport value, double elapsed)
    {
        double rate = elapsed > 0 ? value.Done / elapsed : 0;
        string rateText = rate >= 100 ? $"{rate:F0}" : $"{rate:F2}";
        string detail = value.Detail is null ? "" : $" | {value.Detail}";
        if (value.Total <= 0)
            return $"{value.Stage}: {value.Done} {value.Unit} | {rateText} {value.Unit}/s | {FormatTime(elapsed)} elapsed{detail}";
        double fraction = Math.Clamp((double)value.Done / value.Total, 0, 1);
        const int width = 24;
        int filled = (int)Math.Round(fraction * width);
        string bar = new string('#', filled) + new string('-', width - filled);
        string eta = rate > 0 ? FormatTime((value.Total - value.Done) / rate) : "?";
        return $"{value.Stage} [{bar}] {fraction * 100,5:F1}% {value.Done}/{value.Total} {value.Unit} | {rateText}/s | ETA {eta}{detail}";
    }

    internal static string FormatTime(double seconds)
    {
        if (double.IsNaN(seconds) || double.IsInfinity(seconds)) return "?";
        var t = TimeSpan.FromSeconds(Math.Max(0, seconds));
        return t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:D2}m" : t.TotalMinutes >= 1 ? $"{t.Minutes}m{t.Seconds:D2}s" : $"{t.TotalSeconds:F1}s";
    }
}
