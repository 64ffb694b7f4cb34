using FunctionSpace.Ising.Ensembles;

namespace FunctionSpace.Ising.Pipeline;

/// <summary>Checks of what a run starts from, made before its directory is touched.</summary>
public static class RunInputs
{
    /// <summary>
    /// For a run that starts from ensemble files: the configuration with the scenarios their headers hold (so that
    /// config.json records what is analysed), each scenario's files checked as one <see cref="EnsembleSet"/> (one
    /// collection, each shard once, none missing unless <see cref="RunConfig.AllowMissingShards"/>). Scenarios named
    /// explicitly (<paramref name="requested"/>) must be exactly those. Incomplete sets that were allowed are reported on
    /// <paramref name="warnings"/>. Without ensembles the configuration is returned as it is.
    /// </summary>
    public static RunConfig WithEnsembleScenarios(RunConfig config, IReadOnlyList<string>? requested, TextWriter? warnings)
    {
        if (config.FromEnsembles is not { Length: > 0 } files) return config;
        var byScenario = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (string file in files)
        {
            using var reader = EnsembleReader.Open(file);
            string scenario = reader.Header.Scenario;
            if (!RunConfig.KnownScenarios.Contains(scenario))
                throw new InputException($"{file}: its scenario '{IO.MessageText.Excerpt(scenario)}' is not one of {string.Join(", ", RunConfig.KnownScenarios)}");
            if (!byScenario.TryGetValue(scenario, out var list)) byScenario[scenario] = list = [];
            list.Add(file);
        }
        string[] held = byScenario.Keys.ToArray();
        if (requested != null && !requested.Order().SequenceEqual(held.Order()))
            throw new InputException($"--scenario: {string.Join(",", requested)}, but the ensembles hold {string.Join(",", held)}; name the scenarios they hold, or leave --scenario out");
        foreach (var (scenario, list) in byScenario)
        {
            var set = EnsembleSet.Open(list, config.AllowMissingShards);
            if (!set.IsComplete)
                warnings?.WriteLine($"fsi: warning: {scenario}: the ensembles hold only {set.DescribeCoverage()} of their collection; the run analyses that part only");
        }
        return config with { Scenarios = held };
    }
}
