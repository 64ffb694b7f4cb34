using FunctionSpace.Ising.Ensembles;
using FunctionSpace.Ising.Networks;

namespace FunctionSpace.Ising.Tests.Ensembles;

internal static class EnsembleTestData
{
    public static EnsembleHeader Header(Architecture? architecture = null) =>
        new EnsembleHeader(EnsembleFormat.CurrentVersion, architecture ?? Architecture.Deep, "under", 20, 0.5, 42,
            new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc)).WithParameter("networks", "7");

    public static EnsembleChunk Chunk(int block, int count, int spinCount, int seed)
    {
        var random = new Random(seed);
        var spins = new sbyte[count * spinCount];
        for (int i = 0; i < spins.Length; i++) spins[i] = random.Next(2) == 0 ? (sbyte)-1 : (sbyte)1;
        return new EnsembleChunk(count, spinCount, spins,
            Enumerable.Range(0, count).Select(i => (float)random.NextDouble()).ToArray(),
            Enumerable.Range(0, count).Select(i => block * 100 + i).ToArray(),
            Enumerable.Range(0, count).Select(i => (float)random.NextDouble()).ToArray())
        {
            Seeds = Enumerable.Range(0, count).Select(i => (ulong)random.NextInt64()).ToArray(),
            Block = block,
        };
    }

    public static string TempFile(string name)
    {
        string dir = Path.Combine(Path.GetTempPath(), "fsi-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, name);
    }

    public static void AssertSame(EnsembleChunk expected, EnsembleChunk actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(expected.SpinCount, actual.SpinCount);
        Assert.Equal(expected.Block, actual.Block);
        Assert.Equal(expected.Spins, actual.Spins);
        Assert.Equal(expected.Accuracies, actual.Accuracies);
        Assert.Equal(expected.NetworkIds, actual.NetworkIds);
        Assert.Equal(expected.TrainingLosses, actual.TrainingLosses);
        Assert.Equal(expected.Seeds, actual.Seeds);
    }
}
