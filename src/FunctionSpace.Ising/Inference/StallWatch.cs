namespace FunctionSpace.Ising.Inference;

/// <summary>
/// Tracks the lowest change of an iteration so far; stalled when none lower came for <c>window</c> iterations (window 0:
/// never). BP's <see cref="BpOptions.StallSweeps"/> and TAP's <see cref="TapOptions.StallIterations"/>.
/// </summary>
internal struct StallWatch(int window)
{
    private double _best = double.PositiveInfinity;
    private int _bestAt;

    /// <summary>Records <paramref name="change"/> of iteration <paramref name="iteration"/>; true when the iteration has stalled.</summary>
    public bool Stalled(double change, int iteration)
    {
        if (change < _best) { _best = change; _bestAt = iteration; return false; }
        return window > 0 && iteration - _bestAt >= window;
    }
}
