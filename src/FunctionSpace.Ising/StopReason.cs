namespace FunctionSpace.Ising;

/// <summary>Why an iterative computation stopped: one vocabulary for every solver, learner and trainer.</summary>
public enum StopReason
{
    /// <summary>Its convergence criterion was met (the detail says which one).</summary>
    Converged,
    /// <summary>It ran its planned course to the end (e.g. every epoch of a training schedule).</summary>
    Completed,
    /// <summary>It reached its cap on iterations, sweeps, epochs or layers before converging.</summary>
    IterationCap,
    /// <summary>Its state stopped improving (a step collapsed, a line search failed, progress stalled).</summary>
    Stalled,
    /// <summary>Its state grew without bound or became non-finite.</summary>
    Diverged,
    /// <summary>A computation it depends on failed (the detail says which).</summary>
    Failed,
    /// <summary>Nothing had to be iterated (a closed form, or the start already met the criterion).</summary>
    NotNeeded,
}

/// <summary>A <see cref="StopReason"/> with the detail a reader needs (which criterion, which cap, which failure).</summary>
/// <param name="Reason">The reason in the shared vocabulary.</param>
/// <param name="Detail">One short phrase, e.g. "gradient norm below 1e-8" or "line search failed"; empty when the reason says it all.</param>
public readonly record struct Stop(StopReason Reason, string Detail = "")
{
    /// <summary>The reason and, when present, its detail: "IterationCap (500 sweeps)".</summary>
    public override string ToString() => Detail.Length == 0 ? Reason.ToString() : $"{Reason} ({Detail})";
}
