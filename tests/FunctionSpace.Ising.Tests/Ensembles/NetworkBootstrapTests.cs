using FunctionSpace.Ising.Randomness;
using FunctionSpace.Ising.Ensembles;
using FunctionSpace.Ising.Networks;
using FunctionSpace.Ising.Training;

namespace FunctionSpace.Ising.Tests.Ensembles;

public class NetworkBootstrapTests
{
    // K networks, each contributing `copies` identical configurations of independent spins with magnetisations m_i.
    private static (sbyte[] Spins, int[] Ids) FrozenNetworks(int networks, int copies, double[] m, ulong seed)
    {
        int n = m.Length;
        var rng = new SplitMix64(seed);
        var spins = new sbyte[networks * copies * n];
        var ids = new int[networks * copies];
        for (int k = 0; k < networks; k++)
        {
            var configuration = new sbyte[n];
            for (int i = 0; i < n; i++) configuration[i] = rng.NextDouble() < (1 + m[i]) / 2 ? (sbyte)1 : (sbyte)-1;
            for (int c = 0; c < copies; c++)
            {
                configuration.CopyTo(spins.AsSpan((k * copies + c) * n, n));
                ids[k * copies + c] = 1000 + 7 * k;   // ids need not be dense
            }
        }
        return (spins, ids);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    public void Standard_errors_of_independent_spins_match_the_closed_form_over_networks(int copies)
    {
        // Independent spins, one configuration per network, repeated `copies` times (a frozen network's samples). The
        // ideal bootstrap (B → ∞) variance of a mean over K resampled networks is the plug-in variance over K:
        // σ²(m_i) = (1 − m̂_i²)/K and σ²(C_ij) = (1 − Ĉ_ij²)/K — whatever the copies, which add no information.
        // With B replicates an estimated variance has relative standard deviation √(2/(B−1)) (4.5 % at B = 1000);
        // each entry is allowed 5 of them, and the noise floor, a mean over all entries, the same 5.
        const int networks = 400, replicates = 1000;
        double[] m = [0.0, 0.3, -0.5, 0.8, 0.1, -0.2, 0.6, 0.0, -0.9, 0.4, 0.2, -0.7];
        int n = m.Length;
        var (spins, ids) = FrozenNetworks(networks, copies, m, 21);
        int count = networks * copies;
        var part = new SpinSlice("FULL", 0, n);
        var noise = NetworkBootstrap.Run(spins, ids, count, [part], new BootstrapSettings(replicates, Seed: 4));
        Assert.Equal(networks, noise.Networks);

        var accumulator = new MomentAccumulator(n);
        accumulator.Add(spins, count);
        var moments = accumulator.ToMoments("x");
        double tolerance = 5 * Math.Sqrt(2.0 / (replicates - 1));
        double expectedFloor = 0;
        for (int i = 0; i < n; i++)
        {
            double expected = (1 - moments.Magnetisations[i] * moments.Magnetisations[i]) / networks;
            Assert.InRange(noise.MagnetisationErrors[i] * noise.MagnetisationErrors[i] / expected, 1 - tolerance, 1 + tolerance);
            expectedFloor += expected / n;
            for (int j = 0; j < n; j++)
            {
                if (i == j) { Assert.Equal(0, noise.SecondMomentErrors[i * n + j]); continue; }
                double c = moments.SecondMoments[i * n + j];
                double expectedC = (1 - c * c) / networks;
                Assert.InRange(noise.SecondMomentErrors[i * n + j] * noise.SecondMomentErrors[i * n + j] / expectedC, 1 - tolerance, 1 + tolerance);
                expectedFloor += expectedC / (n * (n - 1.0));
            }
        }
        Assert.InRange(noise.Parts[0].NoiseFloor * noise.Parts[0].NoiseFloor / expectedFloor, 1 - tolerance, 1 + tolerance);
        // Counting every configuration as independent would claim errors √copies times smaller.
        if (copies > 1)
        {
            var naive = NetworkBootstrap.Run(spins, Enumerable.Range(0, count).ToArray(), count, [part], new BootstrapSettings(replicates, Seed: 4));
            Assert.InRange(noise.Parts[0].NoiseFloor / naive.Parts[0].NoiseFloor, Math.Sqrt(copies) * (1 - tolerance), Math.Sqrt(copies) * (1 + tolerance));
        }
    }

    [Fact]
    public void Bootstrap_is_reproducible_from_its_seed_and_symmetrises_its_replicates()
    {
        var architecture = Architecture.Parse("3-3-3-2");
        int n = architecture.WeightCount, count = 60;
        var spins = NodeOrbitsTests.BiasedSpins(count, n, 6);
        var ids = Enumerable.Range(0, count).Select(c => c / 3).ToArray();
        var parts = architecture.Parts();
        var a = NetworkBootstrap.Run(spins, ids, count, parts, new BootstrapSettings(50, Seed: 9, Symmetrize: true), architecture);
        var b = NetworkBootstrap.Run(spins, ids, count, parts, new BootstrapSettings(50, Seed: 9, Symmetrize: true), architecture);
        var other = NetworkBootstrap.Run(spins, ids, count, parts, new BootstrapSettings(50, Seed: 10, Symmetrize: true), architecture);
        Assert.Equal(a.SecondMomentErrors, b.SecondMomentErrors);
        Assert.NotEqual(a.SecondMomentErrors, other.SecondMomentErrors);
        // Symmetrised replicates have symmetric errors: equal within each orbit.
        var orbits = new NodeOrbits(architecture);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                Assert.Equal(a.MagnetisationErrors[i], a.MagnetisationErrors[j] , orbits.SpinOrbit(i) == orbits.SpinOrbit(j) ? 1e-12 : double.PositiveInfinity);
        Assert.Equal(["FULL", "LB", "ITER", "RB"], a.Parts.Select(p => p.Part));
    }

    [Fact]
    public void Effective_size_and_overlaps_of_a_constructed_ensemble()
    {
        // Network 7: three samples (+,+,+,+), (+,+,+,+), (+,+,+,−); network 9: one sample (−,−,+,+). Ordered pairs:
        // within 3·2 = 6, overlaps 1 (×2), ½ (×4) ⇒ mean 2/3; between 2·3·1 = 6, overlaps 0, 0, −½ (each twice) ⇒ −1/6.
        sbyte[] spins = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, 1, 1];
        int[] ids = [7, 7, 7, 9];
        var statistics = EnsembleStatistics.FromSpins(spins, ids, 4, [new SpinSlice("FULL", 0, 4), new SpinSlice("A", 0, 2)]);
        Assert.Equal(2, statistics.EffectiveSampleSize);
        Assert.Equal(4, statistics.Configurations);
        var full = statistics.Overlaps[0];
        Assert.Equal(2.0 / 3, full.Within, 1e-15);
        Assert.Equal(-1.0 / 6, full.Between, 1e-15);
        Assert.Equal(6, full.WithinPairs);
        Assert.Equal(6, full.BetweenPairs);
        // Spins 0..1 only: within all equal (1); between always −1.
        Assert.Equal(1, statistics.Overlaps[1].Within, 1e-15);
        Assert.Equal(-1, statistics.Overlaps[1].Between, 1e-15);
        // One configuration per network: no within-network pairs.
        var single = EnsembleStatistics.FromSpins(spins, [1, 2, 3, 4], 4, [new SpinSlice("FULL", 0, 4)]);
        Assert.True(double.IsNaN(single.Overlaps[0].Within));
        Assert.Equal(4, single.EffectiveSampleSize);
    }

    [Fact]
    public void An_ensemble_written_before_selection_and_the_PCA_convention_were_recorded_is_still_read_and_symmetrised()
    {
        // Headers of earlier files hold neither `selection` nor `pca_convention` (the format version is unchanged): the
        // readers take such a file as it is, every sample counted under its network.
        string path = EnsembleTestData.TempFile("old.fsie");
        var header = EnsembleTestData.Header();
        Assert.Null(header.Parameter("selection"));
        Assert.Null(header.Parameter("pca_convention"));
        using (var writer = EnsembleWriter.Create(path, header))
        {
            writer.Write(EnsembleTestData.Chunk(0, 6, header.Architecture.WeightCount, 1));
            writer.Write(EnsembleTestData.Chunk(1, 6, header.Architecture.WeightCount, 2));
        }
        string stem = Path.Combine(Path.GetDirectoryName(path)!, "m");
        var (exit, output, error) = Cli.CliHarness.Run("moments", "--ensemble", path, "--symmetrize", "--triplets", "20", "--bootstrap", "10", "-o", stem, "--quiet");
        Assert.True(exit == 0, error);
        Assert.Contains("effective sample size: 12 independently trained networks (12 configurations)", output);
        Assert.True(File.Exists(stem + ".noise.json"));
    }

    [Fact]
    public void Moments_command_writes_symmetrised_and_raw_moments_statistics_and_noise()
    {
        using var dir = new TempDirectory();
        var architecture = Architecture.Parse("3-3-3-2");
        int n = architecture.WeightCount, count = 40;
        var spins = NodeOrbitsTests.BiasedSpins(count, n, 12);
        string npy = Path.Combine(dir.Path, "spins.npy");
        IO.Npy.Write<sbyte>(npy, spins, count, n);
        string stem = Path.Combine(dir.Path, "out");
        var (exit, output, error) = Cli.CliHarness.Run("moments", "--spins", npy, "--architecture", "3-3-3-2", "--symmetrize",
            "--triplets", "50", "--bootstrap", "20", "-o", stem, "--quiet");
        Assert.True(exit == 0, error);
        Assert.Contains("symmetrised over hidden-node relabellings", output);
        Assert.Contains("effective sample size: unknown", output);
        var symmetric = DataMoments.Load(stem);
        var raw = DataMoments.Load(stem + ".raw");
        Assert.Equal(MomentSymmetry.HiddenNodePermutation, symmetric.Symmetry);
        Assert.Equal(MomentSymmetry.None, raw.Symmetry);
        Assert.Equal(DataMoments.FromSpinsNpy(npy).Magnetisations, raw.Magnetisations);
        Assert.Equal(new NodeOrbits(architecture).AverageSpins(raw.Magnetisations), symmetric.Magnetisations);
        Assert.Equal(raw.TripletIndices, symmetric.TripletIndices);
        var noise = EnsembleMoments.ReadNoise(stem + ".noise");
        Assert.NotNull(noise);
        Assert.True(noise!.Settings.Symmetrize);
        Assert.Equal(count, noise.Networks);
        Assert.Equal(4, noise.Parts.Count);
        Assert.All(noise.Parts, p => Assert.True(p.NoiseFloor > 0));
        // --symmetrize without an architecture is a one-line error.
        var (badExit, _, badError) = Cli.CliHarness.Run("moments", "--spins", npy, "--symmetrize", "-o", stem + "2", "--quiet");
        Assert.Equal(1, badExit);
        Assert.Contains("needs the network architecture", badError);
        Assert.False(File.Exists(stem + "2.json"));
    }
}
