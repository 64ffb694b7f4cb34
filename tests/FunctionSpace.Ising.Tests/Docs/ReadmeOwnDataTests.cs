using System.Globalization;
using System.Text.RegularExpressions;

namespace FunctionSpace.Ising.Tests.Docs;

/// <summary>
/// The README's "Use it on your own ±1 data" section, run as written: its python blocks are saved under the file
/// name their first comment gives, and every line of its bash blocks is run (`python3 X` with the numpy python,
/// `fsi …` as the built CLI) in one empty directory.
/// </summary>
public sealed partial class ReadmeOwnDataTests
{
    private const string Section = "## Use it on your own ±1 data";

    [PythonFact]
    public void The_own_data_example_runs_as_written_and_recovers_the_planted_couplings()
    {
        string readme = File.ReadAllText(Path.Combine(PythonEnvironment.RepositoryRoot(), "README.md"));
        int start = readme.IndexOf(Section, StringComparison.Ordinal);
        Assert.True(start >= 0, $"README.md has no section \"{Section}\"");
        int end = readme.IndexOf("\n## ", start + Section.Length, StringComparison.Ordinal);
        string section = end < 0 ? readme[start..] : readme[start..end];
        var blocks = CodeBlock().Matches(section).Select(m => (Language: m.Groups[1].Value, Body: m.Groups[2].Value)).ToArray();
        Assert.Contains(blocks, b => b.Language == "python");
        Assert.Contains(blocks, b => b.Language == "bash");

        using var work = new TempDirectory();
        string fsi = Path.Combine(AppContext.BaseDirectory, "fsi.dll");
        var printed = new List<string>();
        foreach (var (language, body) in blocks)
        {
            if (language == "python")
            {
                var name = PythonFileName().Match(body);
                Assert.True(name.Success, $"a python block of the section does not start with '# name.py:':\n{body}");
                File.WriteAllText(work.File(name.Groups[1].Value), body);
                continue;
            }
            Assert.Equal("bash", language);
            foreach (string line in body.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0))
            {
                string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var (exit, stdout, stderr) = words[0] switch
                {
                    "python3" => PythonEnvironment.Run(PythonEnvironment.PythonWithNumpy!, words[1..], work.Path),
                    "fsi" => PythonEnvironment.Run("dotnet", [fsi, .. words[1..]], work.Path),
                    _ => throw new InvalidOperationException($"README line '{line}': only python3 and fsi lines can run here"),
                };
                Assert.True(exit == 0, $"README line '{line}' exited {exit}:\n{stderr}\n{stdout}");
                printed.Add(stdout);
            }
        }

        // The planted model: 30 spins, 4000 independent samples. Pseudolikelihood's error per coupling is about
        // 1/sqrt(M · Var) ≈ 0.02 against a planted spread of 0.4/sqrt(30) = 0.073, so the expected correlation is
        // 1/sqrt(1 + (0.02/0.073)²) ≈ 0.96; 0.9 leaves room for a different random stream, not for a broken fit.
        var r = PlantedCorrelation().Match(string.Join("\n", printed));
        Assert.True(r.Success, string.Join("\n", printed));
        Assert.True(double.Parse(r.Groups[1].Value, CultureInfo.InvariantCulture) > 0.9, r.Value);
        Assert.True(File.Exists(work.File(Path.Combine("mine", "landscape", "landscape.csv"))));
        // The findings table's "BP failed" column reads "0 of <points>" when BP converged at every point.
        string summary = File.ReadAllText(work.File(Path.Combine("mine", "landscape", "summary.md")));
        Assert.Matches(@"\| FULL \| 30 \|.*\| 0 of \d+ \|", summary);
    }

    [GeneratedRegex(@"```(\w+)\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();

    [GeneratedRegex(@"^# ([\w.-]+\.py):")]
    private static partial Regex PythonFileName();

    [GeneratedRegex(@"fitted vs planted couplings: r = ([0-9.]+)")]
    private static partial Regex PlantedCorrelation();
}
