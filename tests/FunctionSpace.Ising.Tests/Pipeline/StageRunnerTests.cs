using FunctionSpace.Ising.Pipeline;

namespace FunctionSpace.Ising.Tests.Pipeline;

public class StageRunnerTests
{
    private static List<string> RunPipeline(string dir, string parameterA, string parameterB)
    {
        var ran = new List<string>();
        var runner = new StageRunner(dir);
        runner.Run("a", StageRunner.Key(parameterA), () =>
        {
            ran.Add("a");
            File.WriteAllText(runner.PathOf("a.txt"), "A" + parameterA);
            return ["a.txt"];
        });
        runner.Run("b", StageRunner.Key(parameterB, runner.OutputsKey("a")), () =>
        {
            ran.Add("b");
            File.WriteAllText(runner.PathOf("b.txt"), File.ReadAllText(runner.PathOf("a.txt")) + parameterB);
            return ["b.txt"];
        });
        return ran;
    }

    [Fact]
    public void Reruns_only_what_changed_and_everything_after_it()
    {
        using var dir = new TempDirectory();
        Assert.Equal(new[] { "a", "b" }, RunPipeline(dir.Path, "1", "x"));
        Assert.Empty(RunPipeline(dir.Path, "1", "x"));                    // all cached
        Assert.Equal(new[] { "b" }, RunPipeline(dir.Path, "1", "y"));     // downstream parameter tweak
        Assert.Equal(new[] { "a", "b" }, RunPipeline(dir.Path, "2", "y")); // upstream change cascades
        File.Delete(dir.File("a.txt"));
        Assert.Equal(new[] { "a", "b" }, RunPipeline(dir.Path, "2", "y")); // deleted output: that stage and later
        File.WriteAllText(dir.File("b.txt"), "tampered");
        Assert.Equal(new[] { "b" }, RunPipeline(dir.Path, "2", "y"));     // changed output is not trusted
        var manifest = RunManifest.LoadOrNew(dir.File("manifest.json"));
        Assert.Equal(new[] { "a", "b" }, manifest.Stages.Select(s => s.Name));
        Assert.Equal("skipped (cached)", manifest.Stages[0].Status);
        Assert.Equal("ran", manifest.Stages[1].Status);
    }
}
