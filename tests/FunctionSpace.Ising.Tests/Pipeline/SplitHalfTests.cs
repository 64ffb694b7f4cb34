using FunctionSpace.Ising.Landscape;
using FunctionSpace.Ising.Models;
using FunctionSpace.Ising.Pipeline;

namespace FunctionSpace.Ising.Tests.Pipeline;

/// <summary>
/// The split-half check: the halves partition the networks reproducibly, and the comparison reads agreement and
/// disagreement correctly on models whose landscapes are known (independent sites: no transition, a gap that grows with
/// the field; Curie–Weiss below its critical temperature: a first-order jump with hysteresis).
/// </summary>
public class SplitHalfTests
{
    private const int N = 64;

    [Fact]
    public void The_halves_partition_the_networks_by_the_seed_alone()
    {
        var ids = Enumerable.Range(100, 257).ToArray();
        var (a, b) = SplitHalf.Halves(ids.Concat(ids), 7);          // a network's configurations come once per configuration
        Assert.Equal(128, a.Count);
        Assert.Equal(129, b.Count);
        Assert.Empty(a.Intersect(b));
        Assert.Equal(ids.Order(), a.Concat(b).Order());
        var (a2, _) = SplitHalf.Halves(ids.Reverse(), 7);             // the order the ids arrive in does not matter
        Assert.Equal(a.Order(), a2.Order());
        var (a3, _) = SplitHalf.Halves(ids, 8);
        Assert.NotEqual(a.Order(), a3.Order());
        // Neither half is a block of consecutive ids (a shuffle, not a cut): both hold ids from each end.
        Assert.Contains(a, id => id < 150);
        Assert.Contains(a, id => id > 300);
        Assert.Throws<InputException>(() => SplitHalf.Halves([3, 3], 1));
    }

    [Fact]
    public void Sub_networks_are_compared_without_the_whole_network_and_a_single_network_on_its_own()
    {
        Assert.Equal(["LB", "ITER", "RB"], SplitHalf.Parts(["FULL", "LB", "ITER", "RB"]));
        Assert.Equal(["FULL"], SplitHalf.Parts(["FULL"]));
    }

    // Independent sites with fields h u_i σ*_i around the reference σ*, u_i spread over [0.25, 1.75]: equal fields would put
    // every site at the same flip probability and s(d) on the bound; unequal ones open a gap that grows with h. No transition.
    private static (IsingModel, sbyte[]) Independent(double field, int seed)
    {
        var random = new Random(seed);
        var sigma = Enumerable.Range(0, N).Select(_ => (sbyte)(random.Next(2) == 0 ? -1 : 1)).ToArray();
        return (new IsingModel(sigma.Select((s, i) => field * (0.25 + 1.5 * i / (N - 1.0)) * s).ToArray(), new double[N * N]), sigma);
    }

    // Curie–Weiss in the gauge of σ* with field 0.1: K = 1.5 is below the critical temperature, K = 0.5 above it.
    private static (IsingModel, sbyte[]) CurieWeiss(double coupling) => Landscape.PlantedCurieWeiss.Create(N, coupling, 0.1);

    // x ∈ [−3, 3] reaches d near 0 and beyond 0.5 for every field used here, so the ranking is never withheld for coverage.
    private static LandscapeFindings Findings(string part, (IsingModel Model, sbyte[] Reference) planted) =>
        LandscapeFindings.Of(EntropyLandscape.Sweep(part, planted.Model, planted.Reference, new LandscapeSettings(-3, 3, 61)), "reference");

    private static Dictionary<string, PartFitVerdict> Fits(bool reproduces, params string[] parts) =>
        parts.ToDictionary(p => p, _ => new PartFitVerdict(reproduces, reproduces ? "reproduces the data" : "does not reproduce the data"));

    [Fact]
    public void Identical_halves_agree_with_a_zero_error_and_a_resolved_ranking()
    {
        var liquid = Findings("ITER", Independent(0.2, 1));
        var constrained = Findings("LB", Independent(0.8, 2));
        Assert.True(constrained.MaxGapToBound > liquid.MaxGapToBound + 0.05);
        var result = SplitHalf.Compare(10, 10, "reference", [liquid, constrained], [liquid, constrained], Fits(true, "ITER", "LB"), Fits(true, "ITER", "LB"));
        Assert.True(result.Agree);
        Assert.True(result.RankingResolved);
        Assert.All(result.Parts, p => Assert.Equal(0, p.GapError));
        Assert.Equal("ITER", result.RankingA.MostLiquid);
        Assert.Equal("LB", result.RankingB.MostConstrained);
        Assert.Contains("the two halves agree", result.Sentence());
        Assert.Contains("resolved", result.Sentence());
    }

    [Fact]
    public void The_split_half_error_is_half_the_difference_and_overlapping_parts_are_not_resolved()
    {
        // Fields 0.30 and 0.34 in one half, 0.34 and 0.30 in the other: the ranking flips, and each part's error
        // |G_A − G_B|/2 is as large as the difference between the parts.
        var weakA = Findings("ITER", Independent(0.30, 1));
        var strongA = Findings("RB", Independent(0.34, 2));
        var weakB = Findings("ITER", Independent(0.34, 1));
        var strongB = Findings("RB", Independent(0.30, 2));
        var result = SplitHalf.Compare(10, 10, "reference", [weakA, strongA], [weakB, strongB], Fits(true, "ITER", "RB"), Fits(true, "ITER", "RB"));
        var iter = result.Parts.Single(p => p.Part == "ITER");
        Assert.Equal(0.5 * Math.Abs(weakA.MaxGapToBound - weakB.MaxGapToBound), iter.GapError, 12);
        Assert.False(result.RankingsAgree);
        Assert.False(result.RankingResolved);
        Assert.False(result.Agree);
        Assert.Contains("rank the sub-networks differently", result.Sentence());
    }

    [Fact]
    public void A_transition_in_one_half_only_or_a_fit_that_misses_its_data_is_a_disagreement()
    {
        var continuous = Findings("FULL", CurieWeiss(0.5));
        var firstOrder = Findings("FULL", CurieWeiss(1.5));
        Assert.Empty(continuous.Jumps);
        Assert.NotEmpty(firstOrder.Jumps);
        Assert.NotEmpty(firstOrder.Hysteresis);

        var split = SplitHalf.Compare(5, 5, "reference", [continuous], [firstOrder], Fits(true, "FULL"), Fits(true, "FULL"));
        Assert.False(Assert.Single(split.Parts).TransitionsAgree);
        Assert.False(split.Agree);
        Assert.Contains("first-order jumps in FULL appear in one half only", split.Sentence());

        var both = SplitHalf.Compare(5, 5, "reference", [firstOrder], [firstOrder], Fits(true, "FULL"), Fits(true, "FULL"));
        Assert.True(both.Agree);

        var badFit = SplitHalf.Compare(5, 5, "reference", [firstOrder], [firstOrder], Fits(true, "FULL"), Fits(false, "FULL"));
        Assert.False(badFit.Agree);
        Assert.Contains("the fit of FULL does not reproduce the data of both halves", badFit.Sentence());
    }
}
