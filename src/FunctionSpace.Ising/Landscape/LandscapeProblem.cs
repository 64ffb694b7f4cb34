using FunctionSpace.Ising.Ensembles;
using FunctionSpace.Ising.Models;
using FunctionSpace.Ising.Networks;

namespace FunctionSpace.Ising.Landscape;

/// <summary>The model of one part of a network and where its references come from.</summary>
/// <param name="Part">The spin range (FULL, LB, ITER, RB).</param>
/// <param name="Model">The part's Ising model (N = Part.Length).</param>
/// <param name="Architecture">The network.</param>
/// <param name="Source">Human-readable origin, e.g. "under-para/J_ITER.txt".</param>
public sealed record PartModel(SpinSlice Part, IsingModel Model, Architecture Architecture, string Source)
{
    /// <summary>The part's name.</summary>
    public string Name => Part.Name;
}

/// <summary>Where reference configurations come from: a published scenario, a refs file, or an ensemble file.</summary>
public sealed class ReferenceSource
{
    private readonly PublishedScenario? _scenario;
    private readonly IReadOnlyList<ReferenceConfiguration>? _list;
    private readonly string? _ensemblePath;

    private ReferenceSource(PublishedScenario? scenario, IReadOnlyList<ReferenceConfiguration>? list, string? ensemblePath, string description)
    {
        _scenario = scenario; _list = list; _ensemblePath = ensemblePath; Description = description;
    }

    /// <summary>Where the references come from.</summary>
    public string Description { get; }

    /// <summary>The published refs_El/Em/Eh of a scenario (ranked by their energy column).</summary>
    public static ReferenceSource Published(PublishedScenario scenario) => new(scenario, null, null, $"{scenario.Name} refs_El/Em/Eh");

    /// <summary>A file in the published refs format (energy, accuracy, spins per row; ranked by its energy column).</summary>
    public static ReferenceSource File(string path) => new(null, ReferenceSelection.ReadPublished(path), null, path);

    /// <summary>An ensemble file (ranked by the part model's energy).</summary>
    public static ReferenceSource Ensemble(string path) => new(null, null, path, path);

    /// <summary>
    /// The <paramref name="count"/> references for <paramref name="choice"/>: lowest/highest/around the median energy, or
    /// consecutive indices from INDEX. Full-length configurations.
    /// </summary>
    public IReadOnlyList<ReferenceConfiguration> Select(PartModel model, ReferenceChoice choice, int count = 1, CancellationToken ct = default)
    {
        if (_ensemblePath != null)
        {
            RequireArchitecture(_ensemblePath, model);
            return EnsembleReferences.Select(_ensemblePath, model.Model, model.Part, choice, count, ct);
        }
        var list = _scenario?.References ?? _list!;
        if (list.Any(r => r.Spins.Length != model.Architecture.WeightCount))
            throw new InputException($"{Description}: references have {list[0].Spins.Length} spins, the {model.Architecture} network has {model.Architecture.WeightCount}");
        int[] chosen = EnsembleReferences.Choose(list.Select(r => r.Energy).ToArray(), choice, count, Description);
        return chosen.Select(k => list[k]).ToArray();
    }

    // The references are whole configurations of the ensemble's network; a model of another network would read the
    // wrong spins (the first 200 of 675) as its part.
    private static void RequireArchitecture(string ensemblePath, PartModel model)
    {
        using var reader = EnsembleReader.Open(ensemblePath);
        if (!reader.Header.Architecture.Equals(model.Architecture))
            throw new InputException($"{ensemblePath}: holds {reader.Header.Architecture} networks, but the model {model.Source} is of a {model.Architecture} network");
    }
}

/// <summary>Loads part models from the published text files or from a model file.</summary>
public static class PartModels
{
    /// <summary>The named parts of a published scenario (all parts with J and h published when <paramref name="parts"/> is empty).</summary>
    public static IReadOnlyList<PartModel> FromPublished(PublishedScenario scenario, IReadOnlyList<string> parts)
    {
        var names = parts.Count == 0 ? scenario.AvailableParts() : parts;
        if (names.Count == 0) throw new InputException($"--reference-dir: {scenario.Directory}: no part has both J_<part>.txt and h_<part>.txt");
        return names.Select(name =>
        {
            var (part, model) = scenario.LoadPart(name);
            return new PartModel(part, model, scenario.Architecture, $"{scenario.Name}/J_{part.Name}.txt");
        }).ToArray();
    }

    /// <summary>
    /// A model file (ModelFile stem) as the model of <paramref name="partName"/>: either the part's own model
    /// (N = part length) or a FULL model (N = all weights) restricted to the part's spins.
    /// </summary>
    public static PartModel FromModelFile(string stem, Architecture architecture, string partName)
    {
        var model = ModelFile.Load(stem);
        var part = architecture.Part(partName);
        if (model.Size == part.Length)
        {
            RequireSidecarSlice(stem, part, architecture);
            return new PartModel(part, model, architecture, stem);
        }
        if (model.Size == architecture.WeightCount) return new PartModel(part, model.Slice(part.Start, part.Length), architecture, $"{stem} [{part.Start}:{part.End}]");
        throw new InputException($"--model: {stem} has {model.Size} spins; part {part.Name} of {architecture} has {part.Length} (or the full network {architecture.WeightCount})");
    }

    // A part model's sidecar (fsi fit) records the spins it was fitted on; a model of the same size from another part
    // or network must not be taken for this part.
    private static void RequireSidecarSlice(string stem, SpinSlice part, Architecture architecture)
    {
        using var metadata = ModelFile.LoadMetadata(stem);
        if (metadata is null || metadata.RootElement.ValueKind != System.Text.Json.JsonValueKind.Object
            || !metadata.RootElement.TryGetProperty("slice", out var slice) || slice.ValueKind != System.Text.Json.JsonValueKind.Object
            || !slice.TryGetProperty("start", out var start) || start.ValueKind != System.Text.Json.JsonValueKind.Number || !start.TryGetInt32(out int first)
            || !slice.TryGetProperty("length", out var length) || length.ValueKind != System.Text.Json.JsonValueKind.Number || !length.TryGetInt32(out int size))
            return;
        if (first != part.Start || size != part.Length)
            throw new InputException($"--model: {stem} was fitted on spins {first}..{first + size - 1} (its sidecar), not on part {part.Name} of {architecture} (spins {part.Start}..{part.End - 1})");
    }
}
