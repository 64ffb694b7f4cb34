namespace FunctionSpace.Ising.Inverse;

/// <summary>The inverse methods of a fit (<see cref="FitPipeline.Solver"/>).</summary>
public enum FitMethod
{
    /// <summary>Persistent-chain Monte-Carlo learning with verified checks (<see cref="PersistentChainLearning"/>).</summary>
    Mc,
    /// <summary>The study's rule (<see cref="StudyLearning"/>): BP, plain gradient, fixed rates.</summary>
    Study,
    /// <summary>Boltzmann learning with BP moments (<see cref="BoltzmannLearning"/>).</summary>
    Bp,
    /// <summary>Pseudolikelihood (<see cref="Pseudolikelihood"/>).</summary>
    Pl,
    /// <summary>TAP mean-field inversion (<see cref="MeanFieldInversion"/>).</summary>
    Tap,
    /// <summary>Naive mean-field inversion (<see cref="MeanFieldInversion"/>).</summary>
    Nmf,
}

/// <summary>Where a fit's learning starts (<see cref="FitSettings.Init"/>).</summary>
public enum FitInit
{
    /// <summary>h = 0, J = 0 (the study's start).</summary>
    Zero,
    /// <summary>The independent-site model h = atanh m, J = 0.</summary>
    Independent,
    /// <summary>The best cheap estimate (<see cref="FitPipeline.CheapEstimates"/>).</summary>
    Best,
    /// <summary>The TAP inversion of the data.</summary>
    Tap,
    /// <summary>The naive mean-field inversion of the data.</summary>
    Nmf,
}

/// <summary>
/// The names of the fit methods and starts, in one table each: the command line's choices and help, the run
/// configuration's validation and the pipeline all read them here.
/// </summary>
public static class FitNames
{
    /// <summary>Every method name in the order shown to users, with what it stands for and a description (mf is TAP's alias).</summary>
    public static readonly IReadOnlyList<(string Name, FitMethod Method, string Description)> MethodTable =
    [
        ("mc", FitMethod.Mc, "Monte-Carlo Boltzmann learning with verified checks"),
        ("study", FitMethod.Study, "the study's rule: BP, plain gradient, rates 0.01/0.3, L2 1e-4, 100 steps from zero"),
        ("bp", FitMethod.Bp, "Boltzmann learning with BP"),
        ("pl", FitMethod.Pl, "pseudolikelihood"),
        ("mf", FitMethod.Tap, "= tap"),
        ("tap", FitMethod.Tap, ""),
        ("nmf", FitMethod.Nmf, ""),
    ];

    /// <summary>Every start name in the order shown to users.</summary>
    public static readonly IReadOnlyList<(string Name, FitInit Init)> InitTable =
    [
        ("zero", FitInit.Zero), ("independent", FitInit.Independent), ("best", FitInit.Best), ("tap", FitInit.Tap), ("nmf", FitInit.Nmf),
    ];

    /// <summary>The method names (aliases included).</summary>
    public static IReadOnlyList<string> Methods { get; } = MethodTable.Select(m => m.Name).ToArray();

    /// <summary>The start names.</summary>
    public static IReadOnlyList<string> Inits { get; } = InitTable.Select(i => i.Name).ToArray();

    /// <summary>"mc (…), study (…), …, mf (= tap), tap, nmf": the methods with their descriptions.</summary>
    public static string DescribeMethods() =>
        string.Join(", ", MethodTable.Select(m => m.Description.Length == 0 ? m.Name : $"{m.Name} ({m.Description})"));

    /// <summary>The method named <paramref name="name"/> (case-insensitive); an unknown name is an error naming <paramref name="setting"/>.</summary>
    public static FitMethod ParseMethod(string? name, string setting = "method") =>
        MethodTable.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase)) is { Name: not null } found
            ? found.Method
            : throw new InputException($"{setting}: '{IO.MessageText.Excerpt(name ?? "null")}' is not one of {string.Join(", ", Methods)}");

    /// <summary>The start named <paramref name="name"/> (case-insensitive); an unknown name is an error naming <paramref name="setting"/>.</summary>
    public static FitInit ParseInit(string? name, string setting = "init") =>
        InitTable.FirstOrDefault(i => string.Equals(i.Name, name, StringComparison.OrdinalIgnoreCase)) is { Name: not null } found
            ? found.Init
            : throw new InputException($"{setting}: '{IO.MessageText.Excerpt(name ?? "null")}' is not one of {string.Join(", ", Inits)}");

    /// <summary>The name of a method as outputs record it (tap for <see cref="FitMethod.Tap"/>).</summary>
    public static string Name(this FitMethod method) => MethodTable.Last(m => m.Method == method).Name;

    /// <summary>The name of a start as outputs record it.</summary>
    public static string Name(this FitInit init) => InitTable.First(i => i.Init == init).Name;
}
