using FunctionSpace.Ising.Models;
using FunctionSpace.Ising.Networks;

namespace FunctionSpace.Ising.Landscape;

/// <summary>
/// One folder of the study's published effective models (shared/reference/&lt;scenario&gt;): per-part couplings
/// J_&lt;part&gt;.txt and fields h_&lt;part&gt;.txt, and 60 reference configurations in refs_El/Em/Eh.txt.
/// </summary>
public sealed class PublishedScenario
{
    private static readonly string[] ReferenceFiles = ["refs_El.txt", "refs_Em.txt", "refs_Eh.txt"];

    private PublishedScenario(string directory, Architecture architecture, IReadOnlyList<ReferenceConfiguration> references)
    {
        Directory = directory;
        Architecture = architecture;
        References = references;
    }

    /// <summary>The folder.</summary>
    public string Directory { get; }

    /// <summary>Folder name, e.g. "under-para".</summary>
    public string Name => Path.GetFileName(Path.TrimEndingDirectorySeparator(Directory));

    /// <summary>The network: 20-15-15-10 for 675 spins, 20-10 for 200.</summary>
    public Architecture Architecture { get; }

    /// <summary>The published references, refs_El rows 0..19, then refs_Em, then refs_Eh (indices 0..59).</summary>
    public IReadOnlyList<ReferenceConfiguration> References { get; }

    /// <summary>Opens a scenario folder; InputException when it lacks the reference files or they disagree in size.</summary>
    public static PublishedScenario Open(string directory)
    {
        if (!System.IO.Directory.Exists(directory)) throw new InputException($"--reference-dir: {directory}: directory not found");
        var references = new List<ReferenceConfiguration>();
        foreach (string file in ReferenceFiles)
        {
            string path = Path.Combine(directory, file);
            if (!File.Exists(path)) throw new InputException($"--reference-dir: {path}: file not found (a published scenario has refs_El.txt, refs_Em.txt, refs_Eh.txt)");
            references.AddRange(ReferenceSelection.ReadPublished(path));
        }
        int n = references[0].Spins.Length;
        if (references.Any(r => r.Spins.Length != n))
            throw new InputException($"--reference-dir: {directory}: reference files disagree on the number of spins");
        Architecture architecture = n == Architecture.Deep.WeightCount ? Architecture.Deep
            : n == Architecture.Shallow.WeightCount ? Architecture.Shallow
            : throw new InputException($"--reference-dir: {directory}: references have {n} spins; expected 675 (20-15-15-10) or 200 (20-10)");
        return new PublishedScenario(directory, architecture, references);
    }

    /// <summary>The parts with both J and h published.</summary>
    public IReadOnlyList<string> AvailableParts() =>
        Architecture.Parts().Select(p => p.Name)
            .Where(p => File.Exists(Path.Combine(Directory, $"J_{p}.txt")) && File.Exists(Path.Combine(Directory, $"h_{p}.txt")))
            .ToArray();

    /// <summary>
    /// Loads the model of one part (FULL, LB, ITER, RB). InputException when its files are missing, naming what is
    /// published instead (under-para publishes h_FULL but no J_FULL), or when their size disagrees with the part.
    /// </summary>
    public (SpinSlice Part, IsingModel Model) LoadPart(string partName)
    {
        SpinSlice part = Architecture.Part(partName);
        string j = Path.Combine(Directory, $"J_{part.Name}.txt"), h = Path.Combine(Directory, $"h_{part.Name}.txt");
        if (!File.Exists(j))
        {
            string available = string.Join(", ", AvailableParts());
            string extra = File.Exists(h) ? $" (only h_{part.Name}.txt is)" : "";
            throw new InputException($"--part: {part.Name}: J_{part.Name}.txt is not published in {Name}{extra}; parts with a full model: {(available.Length == 0 ? "none" : available)}");
        }
        if (!File.Exists(h)) throw new InputException($"--part: {part.Name}: {h}: file not found");
        IsingModel model = ModelFile.LoadText(j, h);
        if (model.Size != part.Length)
            throw new InputException($"--part: {part.Name}: {j} has {model.Size} spins, the part of {Architecture} has {part.Length}");
        return (part, model);
    }

    /// <summary>
    /// Chooses a reference: lowest / median / highest by the published energy column over all 60 references, or
    /// by index 0..59 (El rows, then Em, then Eh).
    /// </summary>
    public ReferenceConfiguration SelectReference(ReferenceChoice choice) =>
        References[ReferenceSelection.Select(References.Select(r => r.Energy).ToArray(), choice, $"{Name} (refs_El/Em/Eh)")];
}
