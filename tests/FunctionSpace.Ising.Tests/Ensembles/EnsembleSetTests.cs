using FunctionSpace.Ising.Cli;
using FunctionSpace.Ising.Ensembles;
using FunctionSpace.Ising.Networks;
using FunctionSpace.Ising.Pipeline;
using FunctionSpace.Ising.Tests.Cli;
using static FunctionSpace.Ising.Tests.Ensembles.EnsembleTestData;

namespace FunctionSpace.Ising.Tests.Ensembles;

/// <summary>
/// Several ensembles read as one (moments, fit, merge, run --from-ensembles) must be the shards of one collection, each
/// once, all of them unless asked otherwise; and a file's chunks must keep the promises of its header.
/// </summary>
public class EnsembleSetTests
{
    private static readonly Architecture Shallow = Architecture.Shallow;

    // A collection of 4 networks in blocks of 1, split into 2 shards: shard i holds blocks i and i + 2.
    private static EnsembleHeader ShardHeader(string shard, ulong seed = 42) =>
        new EnsembleHeader(EnsembleFormat.CurrentVersion, Shallow, "shallow", 20, 0.5, seed, new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc))
            .WithParameter("networks", "4").WithParameter("block_size", "1").WithParameter("shard", shard);

    // Three configurations of block b, all from network b (blocks of one network).
    private static EnsembleChunk BlockChunk(int block) =>
        Chunk(block, 3, Shallow.WeightCount, seed: block + 1) with { NetworkIds = [block, block, block] };

    private static string WriteFile(TempDirectory dir, string name, EnsembleHeader header, params EnsembleChunk[] chunks)
    {
        string path = dir.File(name);
        using var writer = EnsembleWriter.Create(path, header);
        foreach (var chunk in chunks) writer.Write(chunk);
        return path;
    }

    private static (string S0, string S1, string Whole) Shards(TempDirectory dir) => (
        WriteFile(dir, "s0.fsie", ShardHeader("0/2"), BlockChunk(0), BlockChunk(2)),
        WriteFile(dir, "s1.fsie", ShardHeader("1/2"), BlockChunk(1), BlockChunk(3)),
        WriteFile(dir, "whole.fsie", ShardHeader("0/1"), BlockChunk(0), BlockChunk(1), BlockChunk(2), BlockChunk(3)));

    [Fact]
    public void The_shards_of_one_collection_merge_to_the_whole_and_their_moments_equal_the_whole_ones()
    {
        using var dir = new TempDirectory();
        var (s0, s1, whole) = Shards(dir);
        var set = EnsembleSet.Open([s1, s0]);
        Assert.True(set.IsComplete);
        Assert.Equal("0/1", set.Header.Parameter("shard"));
        Assert.Equal(12L, EnsembleTools.Merge([s1, s0], dir.File("merged.fsie")));
        Assert.Equal(File.ReadAllBytes(whole), File.ReadAllBytes(dir.File("merged.fsie")));
        var fromShards = new Ising.Inverse.FitInput(Ensembles: [s0, s1]).Load(keepSamples: false).Moments;
        var fromWhole = new Ising.Inverse.FitInput(Ensembles: [whole]).Load(keepSamples: false).Moments;
        // Sums of ±1 products are exact in double, so the order of the files does not matter.
        Assert.Equal(fromWhole.Magnetisations, fromShards.Magnetisations);
        Assert.Equal(fromWhole.SecondMoments, fromShards.SecondMoments);
    }

    [Fact]
    public void The_same_file_twice_overlapping_shards_and_other_collections_are_refused()
    {
        using var dir = new TempDirectory();
        var (s0, s1, whole) = Shards(dir);
        File.CreateSymbolicLink(dir.File("alias.fsie"), s0);
        Assert.Equal($"{s0}: given twice (the same file as {s0}); each ensemble file may appear once",
            Assert.Throws<InputException>(() => EnsembleSet.Open([s0, s0, s1])).Message);
        Assert.Equal($"{dir.File("alias.fsie")}: given twice (the same file as {s0}); each ensemble file may appear once",
            Assert.Throws<InputException>(() => EnsembleSet.Open([s0, dir.File("alias.fsie")])).Message);

        File.Copy(s0, dir.File("copy.fsie"));
        Assert.Equal($"{dir.File("copy.fsie")}: holds shard 0 of 2, as does {s0} (overlapping inputs would count those blocks twice)",
            Assert.Throws<InputException>(() => EnsembleSet.Open([s0, dir.File("copy.fsie"), s1])).Message);
        Assert.Equal($"{s0}: holds shard 0 of 2, but {whole} holds the whole collection: the two overlap or come from different splits; give the shards of one split once each",
            Assert.Throws<InputException>(() => EnsembleSet.Open([whole, s0])).Message);

        string otherSeed = WriteFile(dir, "seed7.fsie", ShardHeader("1/2", seed: 7), BlockChunk(1), BlockChunk(3));
        Assert.Equal($"{otherSeed}: not a shard of the same collection as {s0} (different seed 7 vs 42)",
            Assert.Throws<InputException>(() => EnsembleSet.Open([s0, otherSeed])).Message);

        // The commands that read several ensembles go through the same checks.
        var (exit, _, err) = CliHarness.Run("moments", "--ensemble", whole, s0, "-o", dir.File("m"), "--quiet");
        Assert.Equal(CliApp.ExitBadInput, exit);
        Assert.StartsWith($"fsi: error: {s0}: holds shard 0 of 2, but {whole}", err);
        (exit, _, err) = CliHarness.Run("fit", "--ensemble", s0, otherSeed, "--method", "mf", "--mc-samples", "0", "-o", dir.File("fit"), "--quiet");
        Assert.Equal(CliApp.ExitBadInput, exit);
        Assert.Equal($"fsi: error: {otherSeed}: not a shard of the same collection as {s0} (different seed 7 vs 42)", err.TrimEnd());
        Assert.False(Directory.Exists(dir.File("fit")));
    }

    [Fact]
    public void Missing_shards_are_refused_unless_allowed_and_then_recorded_in_the_header()
    {
        using var dir = new TempDirectory();
        var (s0, _, _) = Shards(dir);
        string expected = $"{s0}: incomplete collection: shard 1 of 2 is missing (the files hold shard 0 of 2); give every shard, or allow missing shards explicitly to analyse a part";
        Assert.Equal(expected, Assert.Throws<InputException>(() => EnsembleSet.Open([s0])).Message);
        Assert.Equal(expected, Assert.Throws<InputException>(() => EnsembleTools.Merge([s0], dir.File("m.fsie"))).Message);
        Assert.False(File.Exists(dir.File("m.fsie")));

        Assert.Equal(6L, EnsembleTools.Merge([s0], dir.File("m.fsie"), allowMissingShards: true));
        using (var reader = EnsembleReader.Open(dir.File("m.fsie")))
        {
            Assert.Equal("0/2", reader.Header.Parameter("shard"));
            Assert.False(reader.Shards.IsComplete);
        }

        var (exit, _, err) = CliHarness.Run("moments", "--ensemble", s0, "-o", dir.File("mom"), "--quiet");
        Assert.Equal((CliApp.ExitBadInput, $"fsi: error: {expected}"), (exit, err.TrimEnd()));
        (exit, _, err) = CliHarness.Run("moments", "--ensemble", s0, "-o", dir.File("mom"), "--allow-missing-shards", "--quiet");
        Assert.Equal(0, exit);
        Assert.Contains("fsi: warning: the ensembles hold only shard 0 of 2 (missing: 1) of their collection", err);

        // fsi run --from-ensembles with one of two shards refuses before it touches the run directory.
        using var runs = new TempDirectory();
        (exit, _, err) = CliHarness.Run("run", "--from-ensembles", s0, "--runs-dir", runs.Path, "--name", "half", "--quiet");
        Assert.Equal((CliApp.ExitBadInput, $"fsi: error: {expected}"), (exit, err.TrimEnd()));
        Assert.False(Directory.Exists(Path.Combine(runs.Path, "half")));
    }

    [Fact]
    public void Run_from_ensembles_records_the_scenarios_the_headers_hold_and_refuses_others()
    {
        using var dir = new TempDirectory();
        var (s0, s1, _) = Shards(dir);
        var config = RunConfig.FromPreset("quick", ["under", "shallow"]) with { FromEnsembles = [s0, s1] };
        Assert.Equal(["shallow"], RunInputs.WithEnsembleScenarios(config, null, null).Scenarios);
        Assert.Equal("--scenario: under, but the ensembles hold shallow; name the scenarios they hold, or leave --scenario out",
            Assert.Throws<InputException>(() => RunInputs.WithEnsembleScenarios(config, ["under"], null)).Message);
    }

    [Fact]
    public void Chunks_that_break_the_header_s_promises_are_reported_even_with_valid_checksums()
    {
        using var dir = new TempDirectory();
        var cases = new (string Name, EnsembleChunk[] Chunks, string Problem)[]
        {
            ("duplicate", [BlockChunk(0), BlockChunk(2), BlockChunk(2)], "chunk 2 at byte {0} is inconsistent (repeats block 2: a duplicated chunk)"),
            ("order", [BlockChunk(2), BlockChunk(0)], "chunk 1 at byte {0} is inconsistent (block 0 after block 2: blocks are written in increasing order)"),
            ("range", [BlockChunk(0), BlockChunk(6)], "chunk 1 at byte {0} is inconsistent (block 6 is outside 0..3: the header has 4 networks in blocks of 1)"),
            ("shard", [BlockChunk(0), BlockChunk(1)], "chunk 1 at byte {0} is inconsistent (block 1 does not belong to shard 0 of 2)"),
            ("nan", [BlockChunk(0), BlockChunk(2) with { Accuracies = [0.5f, float.NaN, 0.5f] }], "chunk 1 at byte {0} is inconsistent (configuration 1 has test accuracy NaN, outside 0..1)"),
            ("network", [BlockChunk(0), BlockChunk(2) with { NetworkIds = [2, 3, 2] }], "chunk 1 at byte {0} is inconsistent (configuration 1 comes from network 3, which is not in block 2: networks 2..2)"),
        };
        foreach (var (name, chunks, problem) in cases)
        {
            string path = WriteFile(dir, name + ".fsie", ShardHeader("0/2"), chunks);
            long at = new FileInfo(path).Length - EnsembleFormat.EncodeChunk(chunks[^1]).Length;
            string message = $"{path}: {string.Format(problem, at)}";
            using (var reader = EnsembleReader.Open(path))
                Assert.Equal(message, Assert.Throws<InputException>(() => reader.ReadChunks().ToList()).Message);
            Assert.Equal(message, EnsembleTools.Summarize(path).Problem);
            Assert.Equal(CliApp.ExitBadInput, CliHarness.Run("ensemble", "info", path).Exit);
            // A resumed collection must not continue after such a chunk (nor cut it off silently): the file is left as it is.
            byte[] before = File.ReadAllBytes(path);
            var error = Assert.Throws<InputException>(() => EnsembleWriter.OpenForResume(path, ShardHeader("0/2"), out _));
            Assert.Equal($"{message}; the file cannot be continued", error.Message);
            Assert.Equal(before, File.ReadAllBytes(path));
        }
    }
}
