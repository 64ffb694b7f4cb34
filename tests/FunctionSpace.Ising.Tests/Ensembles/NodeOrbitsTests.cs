using FunctionSpace.Ising.Randomness;
using FunctionSpace.Ising.Ensembles;
using FunctionSpace.Ising.Networks;
using FunctionSpace.Ising.Training;

namespace FunctionSpace.Ising.Tests.Ensembles;

public class NodeOrbitsTests
{
    /// <summary>
    /// An ensemble far from symmetric: each spin has its own bias (so every member of an orbit has a different
    /// magnetisation), and a shared random "pattern" term correlates the spins.
    /// </summary>
    internal static sbyte[] BiasedSpins(int count, int n, ulong seed)
    {
        var rng = new SplitMix64(seed);
        var bias = new double[n];
        for (int i = 0; i < n; i++) bias[i] = 0.8 * (2 * rng.NextDouble() - 1);
        var pattern = new double[n];
        for (int i = 0; i < n; i++) pattern[i] = rng.NextDouble() < 0.5 ? -0.6 : 0.6;
        var spins = new sbyte[count * n];
        for (int c = 0; c < count; c++)
        {
            double sign = rng.NextDouble() < 0.5 ? -1 : 1;
            for (int i = 0; i < n; i++)
            {
                double p = 0.5 * (1 + Math.Clamp(bias[i] + 0.3 * sign * pattern[i], -0.95, 0.95));
                spins[c * n + i] = rng.NextDouble() < p ? (sbyte)1 : (sbyte)-1;
            }
        }
        return spins;
    }

    /// <summary>Every element of G = Π_h S_{w_h}, as per-hidden-layer permutations.</summary>
    internal static List<int[][]> AllRelabellings(Architecture architecture)
    {
        var widths = architecture.Widths;
        var result = new List<int[][]> { Array.Empty<int[]>() };
        for (int h = 1; h < widths.Count - 1; h++)
        {
            var next = new List<int[][]>();
            foreach (var prefix in result)
                foreach (var p in Permutations(widths[h])) next.Add([.. prefix, p]);
            result = next;
        }
        return result;
    }

    private static IEnumerable<int[]> Permutations(int n)
    {
        if (n == 0) { yield return []; yield break; }
        foreach (var rest in Permutations(n - 1))
            for (int at = 0; at <= rest.Length; at++)
            {
                var p = new List<int>(rest);
                p.Insert(at, n - 1);
                yield return p.ToArray();
            }
    }

    private static int[] AllTriplets(int n)
    {
        var list = new List<int>();
        for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) for (int k = j + 1; k < n; k++) list.AddRange([i, j, k]);
        return list.ToArray();
    }

    private static DataMoments Symmetrized(Architecture architecture, sbyte[] spins, int count, int[] triplets)
    {
        var accumulator = new MomentAccumulator(architecture.WeightCount, triplets);
        accumulator.Add(spins, count);
        var orbitTriplets = new OrbitTriplets(architecture, triplets);
        orbitTriplets.Add(spins, count);
        return new NodeOrbits(architecture).Symmetrize(accumulator.ToMoments("raw"), orbitTriplets.Moments());
    }

    [Theory]
    [InlineData("3-3-3-2", 36)]
    [InlineData("2-4-3-2", 144)]
    [InlineData("2-3-3-3-2", 216)]
    public void Orbit_averages_equal_the_plain_moments_of_every_configuration_under_every_relabelling(string widths, int groupOrder)
    {
        // Brute force: the ensemble's full orbit (each configuration under all |G| relabellings) is an ensemble whose
        // plain moments are, by definition, those of the permutation-symmetric distribution. Every triplet is checked,
        // so every equality pattern of up to three labels per hidden layer occurs. Both sides are ratios of integers
        // of size ≤ 10⁴; 1e-12 allows their rounding and nothing else.
        var architecture = Architecture.Parse(widths);
        int n = architecture.WeightCount, count = 25;
        var spins = BiasedSpins(count, n, 11);
        var relabellings = AllRelabellings(architecture);
        Assert.Equal(groupOrder, relabellings.Count);
        Assert.Equal(groupOrder, (int)new NodeOrbits(architecture).GroupOrder);
        var orbit = new sbyte[count * relabellings.Count * n];
        int at = 0;
        for (int c = 0; c < count; c++)
            foreach (var g in relabellings)
                NodePermutation.Apply(architecture, spins.AsSpan(c * n, n), g, orbit.AsSpan(at++ * n, n));
        var triplets = AllTriplets(n);
        var brute = new MomentAccumulator(n, triplets);
        brute.Add(orbit, at);
        var expected = brute.ToMoments("orbit");

        var symmetric = Symmetrized(architecture, spins, count, triplets);
        Assert.Equal(MomentSymmetry.HiddenNodePermutation, symmetric.Symmetry);
        for (int i = 0; i < n; i++) Assert.Equal(expected.Magnetisations[i], symmetric.Magnetisations[i], 1e-12);
        for (int k = 0; k < n * n; k++) Assert.Equal(expected.SecondMoments[k], symmetric.SecondMoments[k], 1e-12);
        for (int t = 0; t < triplets.Length / 3; t++) Assert.Equal(expected.TripletMoments![t], symmetric.TripletMoments![t], 1e-12);

        // The test has teeth: the ensemble itself is far from symmetric.
        var raw = new MomentAccumulator(n, triplets);
        raw.Add(spins, count);
        var plain = raw.ToMoments("raw");
        Assert.True(plain.Magnetisations.Zip(symmetric.Magnetisations).Max(p => Math.Abs(p.First - p.Second)) > 0.2);
        Assert.True(plain.TripletMoments!.Zip(symmetric.TripletMoments!).Max(p => Math.Abs(p.First - p.Second)) > 0.2);
    }

    [Fact]
    public void Without_hidden_layers_the_group_is_trivial_and_nothing_changes()
    {
        var architecture = Architecture.Parse("4-3");
        int n = architecture.WeightCount, count = 40;
        var spins = BiasedSpins(count, n, 3);
        var triplets = AllTriplets(n);
        var raw = new MomentAccumulator(n, triplets);
        raw.Add(spins, count);
        var plain = raw.ToMoments("raw");
        var symmetric = Symmetrized(architecture, spins, count, triplets);
        Assert.True(new NodeOrbits(architecture).IsTrivial);
        Assert.Equal(n, new NodeOrbits(architecture).SpinOrbitCount);
        Assert.Equal(plain.Magnetisations, symmetric.Magnetisations);
        Assert.Equal(plain.SecondMoments, symmetric.SecondMoments);
        Assert.Equal(plain.TripletMoments, symmetric.TripletMoments);
    }

    [Fact]
    public void A_randomly_relabelled_ensemble_has_the_symmetrised_moments_within_its_sampling_noise()
    {
        // Each of M configurations relabelled by its own uniform g ∈ G: the plain moments of the relabelled ensemble are
        // unbiased estimates of the symmetrised ones. Each entry's difference is a mean of M independent zero-mean terms
        // in [−2, 2] (a ±1 product minus its orbit mean), so Hoeffding gives P(|Δ| ≥ t) ≤ 2 exp(−M t²/8); over K entries
        // the bound t = sqrt(8 ln(2K/δ)/M) with δ = 1e-6 fails with probability below 1e-6.
        var architecture = Architecture.Parse("3-3-3-2");
        int n = architecture.WeightCount, count = 20000;
        var spins = BiasedSpins(count, n, 5);
        var triplets = TripletSampler.Sample(n, 300, new Randomness.SeedTree(4));
        var rng = new SplitMix64(99);
        var relabelled = new sbyte[spins.Length];
        for (int c = 0; c < count; c++)
            NodePermutation.Apply(architecture, spins.AsSpan(c * n, n), NodePermutation.Random(architecture, ref rng), relabelled.AsSpan(c * n, n));
        var accumulator = new MomentAccumulator(n, triplets);
        accumulator.Add(relabelled, count);
        var plain = accumulator.ToMoments("relabelled");
        var symmetric = Symmetrized(architecture, spins, count, triplets);

        int entries = n + n * n + triplets.Length / 3;
        double bound = Math.Sqrt(8 * Math.Log(2 * entries / 1e-6) / count);
        double largest = 0;
        for (int i = 0; i < n; i++) largest = Math.Max(largest, Math.Abs(plain.Magnetisations[i] - symmetric.Magnetisations[i]));
        for (int k = 0; k < n * n; k++) largest = Math.Max(largest, Math.Abs(plain.SecondMoments[k] - symmetric.SecondMoments[k]));
        for (int t = 0; t < triplets.Length / 3; t++) largest = Math.Max(largest, Math.Abs(plain.TripletMoments![t] - symmetric.TripletMoments![t]));
        Assert.True(largest < bound, $"largest difference {largest:G3} ≥ Hoeffding bound {bound:G3}");
        // Without the relabelling the same comparison fails by far.
        var raw = new MomentAccumulator(n, triplets);
        raw.Add(spins, count);
        Assert.True(raw.ToMoments("raw").Magnetisations.Zip(symmetric.Magnetisations).Max(p => Math.Abs(p.First - p.Second)) > 3 * bound);
    }

    [Fact]
    public void Triplet_orbit_sums_merge_exactly_across_parts()
    {
        var architecture = Architecture.Deep;
        int n = architecture.WeightCount, count = 30;
        var spins = BiasedSpins(count, n, 8);
        var triplets = TripletSampler.Sample(n, 400, new Randomness.SeedTree(3));
        var whole = new OrbitTriplets(architecture, triplets);
        whole.Add(spins, count);
        var first = new OrbitTriplets(architecture, triplets);
        first.Add(spins.AsSpan(0, 11 * n), 11);
        var second = new OrbitTriplets(architecture, triplets);
        second.Add(spins.AsSpan(11 * n), count - 11);
        first.Merge(second);
        Assert.Equal(whole.Moments(), first.Moments());
        Assert.Equal(count, first.Count);
        // One configuration: the orbit average of a triplet of three LB weights of one input pixel and three hidden
        // units is the mean over ordered distinct unit triples of that pixel's column: brute force over 15·14·13.
        int pixel = 7;
        int[] own = [architecture.SpinIndex(0, 0, pixel), architecture.SpinIndex(0, 1, pixel), architecture.SpinIndex(0, 2, pixel)];
        var single = new OrbitTriplets(architecture, own);
        var configuration = spins.AsSpan(0, n);
        double sum = 0;
        int terms = 0;
        for (int a = 0; a < 15; a++)
            for (int b = 0; b < 15; b++)
                for (int c = 0; c < 15; c++)
                {
                    if (a == b || b == c || a == c) continue;
                    sum += configuration[architecture.SpinIndex(0, a, pixel)] * configuration[architecture.SpinIndex(0, b, pixel)]
                           * configuration[architecture.SpinIndex(0, c, pixel)];
                    terms++;
                }
        Assert.Equal(sum / terms, single.OrbitAverage(configuration, 0), 1e-14);
    }

    [Fact]
    public void Deep_network_orbits_are_the_studys_classes()
    {
        // 20-15-15-10: LB magnetisations per input pixel (20 orbits), one interior orbit, RB per class (10 orbits).
        var orbits = new NodeOrbits(Architecture.Deep);
        Assert.Equal(20 + 1 + 10, orbits.SpinOrbitCount);
        Assert.Equal(orbits.SpinOrbit(Architecture.Deep.SpinIndex(0, 0, 3)), orbits.SpinOrbit(Architecture.Deep.SpinIndex(0, 14, 3)));
        Assert.NotEqual(orbits.SpinOrbit(Architecture.Deep.SpinIndex(0, 0, 3)), orbits.SpinOrbit(Architecture.Deep.SpinIndex(0, 0, 4)));
        Assert.Equal(orbits.SpinOrbit(Architecture.Deep.SpinIndex(1, 0, 0)), orbits.SpinOrbit(Architecture.Deep.SpinIndex(1, 14, 9)));
        // Pairs of LB weights of one hidden unit vs of two different units are different orbits.
        int a = Architecture.Deep.SpinIndex(0, 2, 3);
        Assert.NotEqual(orbits.PairOrbit(a, Architecture.Deep.SpinIndex(0, 2, 5)), orbits.PairOrbit(a, Architecture.Deep.SpinIndex(0, 4, 5)));
        Assert.Equal(orbits.PairOrbit(a, Architecture.Deep.SpinIndex(0, 4, 5)), orbits.PairOrbit(a, Architecture.Deep.SpinIndex(0, 9, 5)));
    }

    [Fact]
    public void Moments_files_record_their_symmetry_and_old_files_read_as_plain()
    {
        using var dir = new TempDirectory();
        var architecture = Architecture.Parse("3-3-3-2");
        int n = architecture.WeightCount;
        var symmetric = Symmetrized(architecture, BiasedSpins(10, n, 2), 10, [0, 4, 9]);
        string stem = Path.Combine(dir.Path, "m");
        symmetric.Save(stem);
        Assert.Contains("\"symmetry\": \"hidden-node-permutation\"", File.ReadAllText(stem + ".json"));
        Assert.Equal(MomentSymmetry.HiddenNodePermutation, DataMoments.Load(stem).Symmetry);
        // A sidecar written before the field existed: plain moments.
        File.WriteAllText(stem + ".json", File.ReadAllText(stem + ".json").Replace("\"symmetry\": \"hidden-node-permutation\",", ""));
        Assert.Equal(MomentSymmetry.None, DataMoments.Load(stem).Symmetry);
        File.WriteAllText(stem + ".json", File.ReadAllText(stem + ".json").Replace("\"count\"", "\"symmetry\": \"mirror\", \"count\""));
        var error = Assert.Throws<InputException>(() => DataMoments.Load(stem));
        Assert.Contains("symmetry 'mirror'", error.Message);
    }
}
