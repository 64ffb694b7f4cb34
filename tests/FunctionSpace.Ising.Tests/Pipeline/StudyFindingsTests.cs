using System.Text.Json.Nodes;
using FunctionSpace.Ising.Landscape;
using FunctionSpace.Ising.Pipeline;

namespace FunctionSpace.Ising.Tests.Pipeline;

/// <summary>
/// The report's table of the study's findings, read from a run's files: a claim holds or does not hold only when the fits,
/// the split halves and the noise floors carry it, and otherwise names what leaves it open.
/// </summary>
public class StudyFindingsTests
{
    private static readonly DistanceJump Jump = new("forward", 0.019, 0.021, 0.51, 0.44, 0.019, 0.51, 0.44);

    private static LandscapeFindings Part(string part, double gap, bool jump = false) =>
        new(part, 100, "lowest", gap, [], jump ? [Jump] : [], [], jump ? [new HysteresisLoop(-0.06, 0.02, 0.07, 0.003, 0.07)] : [], [],
            1.0, 0, 200, 0, 0.05);

    private static void Write(string directory, string relative, JsonNode node)
    {
        string path = Path.Combine(directory, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, node.ToJsonString());
    }

    // A deep run with LB, ITER, RB at the given gaps (one reference), fits with the given floors (all reproduce), and a
    // split-half file with the halves' gaps.
    private static string Table(double floor, (string Part, double Gap, double A, double B)[] parts, bool lbJumps = false, bool halfFitFails = false)
    {
        using var dir = new TempDirectory();
        var findings = parts.Select(p => Part(p.Part, p.Gap, lbJumps && p.Part == "LB")).ToArray();
        Write(dir.Path, "under/landscape/landscape.json", new JsonArray(new JsonObject
        {
            ["reference"] = "lowest",
            ["label"] = "under, lowest energy reference",
            ["summary"] = "",
            ["bp_solves"] = 0,
            ["bp_sweeps"] = 0,
            ["findings"] = JsonNode.Parse(LandscapeFindings.ToJson(findings)),
        }));
        Write(dir.Path, "under/fit/fit.json", new JsonArray(parts.Select(p => (JsonNode)new JsonObject
        {
            ["part"] = p.Part, ["reproduces"] = true, ["verdict"] = "reproduces the data", ["data_noise_floor"] = floor,
        }).ToArray()));
        Write(dir.Path, "under/split-half/split_half.json", new JsonObject
        {
            ["agree"] = !halfFitFails,
            ["parts"] = new JsonArray(parts.Select(p => (JsonNode)new JsonObject
            {
                ["part"] = p.Part, ["max_gap_a"] = p.A, ["max_gap_b"] = p.B, ["split_half_error"] = 0.5 * Math.Abs(p.A - p.B),
                ["jumps_a"] = lbJumps && p.Part == "LB" ? 1 : 0, ["jumps_b"] = lbJumps && p.Part == "LB" ? 1 : 0,
                ["hysteresis_a"] = lbJumps && p.Part == "LB" ? 1 : 0, ["hysteresis_b"] = lbJumps && p.Part == "LB" ? 1 : 0,
                ["transitions_agree"] = true,
                ["fits_reproduce"] = !(halfFitFails && p.Part == "LB"),
            }).ToArray()),
        });
        var config = RunConfig.FromPreset("standard", ["under"]);
        return RunReport.StudyFindings(StageRunner.OpenReadOnly(dir.Path), config);
    }

    private static string Row(string table, string claim) => table.Split('\n').Single(l => l.Contains(claim, StringComparison.Ordinal));

    [Fact]
    public void Well_separated_parts_from_precise_data_settle_the_ranking_and_a_jump_seen_by_both_halves_refutes_smoothness()
    {
        string table = Table(0.005, [("LB", 0.10, 0.101, 0.099), ("ITER", 0.02, 0.021, 0.019), ("RB", 0.06, 0.061, 0.059)], lbJumps: true);
        Assert.EndsWith("| **holds** |", Row(table, "the interior (ITER) is closest").TrimEnd());
        Assert.EndsWith("| **holds** |", Row(table, "the input layer (LB) is the most constrained").TrimEnd());
        string smooth = Row(table, "landscapes smooth");
        Assert.EndsWith("| **does not hold** |", smooth.TrimEnd());
        Assert.Contains("LB (lowest): forward x = 0.020", smooth);
    }

    [Fact]
    public void A_wrong_ranking_is_refuted_only_when_settled()
    {
        // RB, not ITER, is closest to the bound, by far more than the halves differ.
        string table = Table(0.005, [("LB", 0.10, 0.101, 0.099), ("ITER", 0.06, 0.061, 0.059), ("RB", 0.02, 0.021, 0.019)]);
        Assert.EndsWith("| **does not hold** |", Row(table, "the interior (ITER) is closest").TrimEnd());
        Assert.EndsWith("| **holds** |", Row(table, "landscapes smooth").TrimEnd());
    }

    [Fact]
    public void Overlapping_halves_a_high_noise_floor_or_a_failing_half_fit_leave_the_claims_open_with_their_reasons()
    {
        // LB and RB 0.01 apart while LB's halves differ by 0.04: the most constrained part is not resolved.
        string overlap = Row(Table(0.005, [("LB", 0.10, 0.12, 0.08), ("ITER", 0.02, 0.021, 0.019), ("RB", 0.09, 0.091, 0.089)]),
            "the input layer (LB) is the most constrained");
        Assert.Contains("not settled: ", overlap);
        Assert.Contains("LB and RB differ by 0.010, less than twice their split-half error", overlap);

        // Floors above the fit target: the models are fitted to noisy moments, the ranking stays open however the halves agree.
        string noisy = Row(Table(0.04, [("LB", 0.10, 0.101, 0.099), ("ITER", 0.02, 0.021, 0.019), ("RB", 0.06, 0.061, 0.059)]),
            "the interior (ITER) is closest");
        Assert.Contains("not settled: the data's noise floor for ITER (0.040) is above the fit target 0.01", noisy);

        string failing = Row(Table(0.005, [("LB", 0.10, 0.101, 0.099), ("ITER", 0.02, 0.021, 0.019), ("RB", 0.06, 0.061, 0.059)], lbJumps: true, halfFitFails: true),
            "landscapes smooth");
        Assert.Contains("not settled: the fit of LB does not reproduce the data of both halves of the networks", failing);
    }
}
