using System.Diagnostics;
using FunctionSpace.Ising.IO;
using FunctionSpace.Ising.Tests.Data;

namespace FunctionSpace.Ising.Tests.Pipeline;

/// <summary>Scale-out: four separate `fsi collect --shard i/4` processes, merged, equal one process.</summary>
public class ShardProcessTests
{
    private static Process Start(string arguments, string cacheDir) =>
        FsiProcess.Start(arguments, new Dictionary<string, string?> { ["FSI_CACHE_DIR"] = cacheDir });

    [Fact]
    public void Four_shard_processes_merged_give_the_same_moments_as_one_process()
    {
        using var data = new TempDirectory();
        using var work = new TempDirectory();
        data.SyntheticIdx(300, 60);
        string common = $"collect --data-dir \"{data.Path}\" -k 4 --scenario shallow --train-count 300 --networks 8 --block 2 " +
                        "--samples 10 --epochs 1 --seed 5 --created 0 --threads 1 --quiet";
        FsiProcess.Finish(Start($"{common} --out \"{work.File("single.fsie")}\"", work.File("cache")));
        var shards = Enumerable.Range(0, 4)
            .Select(i => Start($"{common} --shard {i}/4 --out \"{work.File($"s{i}.fsie")}\"", work.File("cache"))).ToArray();
        foreach (var p in shards) FsiProcess.Finish(p);
        FsiProcess.Finish(Start($"ensemble merge {string.Join(" ", Enumerable.Range(0, 4).Select(i => $"\"{work.File($"s{i}.fsie")}\""))} --out \"{work.File("merged.fsie")}\"", work.File("cache")));
        FsiProcess.Finish(Start($"moments --ensemble \"{work.File("single.fsie")}\" --triplets 20 --seed 2 -o \"{work.File("single")}\"", work.File("cache")));
        FsiProcess.Finish(Start($"moments --ensemble \"{work.File("merged.fsie")}\" --triplets 20 --seed 2 -o \"{work.File("merged")}\"", work.File("cache")));

        Assert.Equal(File.ReadAllBytes(work.File("single.fsie")), File.ReadAllBytes(work.File("merged.fsie")));
        foreach (string part in new[] { "m", "C", "t3" })
            Assert.Equal(Npy.Read(work.File($"single.{part}.npy")).ToDoubles(), Npy.Read(work.File($"merged.{part}.npy")).ToDoubles());
    }
}
