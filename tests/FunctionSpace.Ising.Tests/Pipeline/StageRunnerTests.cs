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

public class RunManifestFormatTests
{
    [Fact]
    public void The_manifest_is_written_with_snake_case_keys_and_its_format_version()
    {
        using var dir = new TempDirectory();
        var runner = new StageRunner(dir.Path);
        runner.Run("a", StageRunner.Key("1"), () => { File.WriteAllText(runner.PathOf("a.txt"), "A"); return ["a.txt"]; });
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(dir.File("manifest.json")))!.AsObject();

        Assert.Equal(RunManifest.CurrentFormatVersion, json["format_version"]!.GetValue<int>());
        Assert.Equal(2, RunManifest.CurrentFormatVersion);
        foreach (string key in new[] { "config", "versions", "machine", "stages", "started_utc", "total_seconds" }) Assert.True(json.ContainsKey(key), key);
        Assert.DoesNotContain(json, p => p.Key.Any(char.IsUpper));
        var stage = json["stages"]![0]!.AsObject();
        Assert.Equal(new[] { "name", "input_key", "outputs", "status", "seconds", "completed_utc" }, stage.Select(p => p.Key));
        // Output paths are data, not keys to rename.
        Assert.True(stage["outputs"]!.AsObject().ContainsKey("a.txt"));
    }

    [Fact]
    public void A_manifest_of_format_1_is_read_and_its_cached_stages_are_kept()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("a.txt"), "A");
        string hash = FunctionSpace.Ising.IO.FileHash.Sha256(dir.File("a.txt"));
        string key = StageRunner.Key("1");
        File.WriteAllText(dir.File("manifest.json"), $$"""
            {"FormatVersion": 1, "Config": {"seed": 3}, "Versions": {}, "Machine": {},
             "Stages": [{"Name": "a", "InputKey": "{{key}}", "Outputs": {"a.txt": "{{hash}}"}, "Status": "ran", "Seconds": 1.5}]}
            """);
        var old = RunManifest.LoadOrNew(dir.File("manifest.json"));
        Assert.Equal("a", Assert.Single(old.Stages).Name);
        Assert.Equal(1.5, old.Stages[0].Seconds);
        Assert.Equal(3, old.Config!["seed"]!.GetValue<int>());

        // The stage is cached under the old manifest, and the manifest is rewritten in format 2.
        var runner = new StageRunner(dir.Path);
        bool ran = false;
        runner.Run("a", key, () => { ran = true; return ["a.txt"]; });
        Assert.False(ran);
        Assert.Contains("\"format_version\": 2", File.ReadAllText(dir.File("manifest.json")));
    }
}
