namespace FunctionSpace.Ising.Studies;

/// <summary>What a study prints after it ran: its settings in a phrase, the key numbers, and the files it writes.</summary>
/// <param name="Details">The settings that shaped the run, e.g. "5 epochs, 3 seeds, 10 samples/network".</param>
/// <param name="Lines">The key numbers, one line each (indented by two spaces).</param>
/// <param name="Files">The files <c>Write</c> produces, the table first.</param>
public sealed record StudySummary(string Details, IReadOnlyList<string> Lines, IReadOnlyList<string> Files);

/// <summary>Which protocol a study's settings start from.</summary>
public enum StudyPreset
{
    /// <summary>Minutes on two cores.</summary>
    Quick,
    /// <summary>The study's (paper's) protocol.</summary>
    Paper,
}
