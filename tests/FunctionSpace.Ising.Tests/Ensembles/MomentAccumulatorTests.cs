using FunctionSpace.Ising.Ensembles;

namespace FunctionSpace.Ising.Tests.Ensembles;

public class MomentAccumulatorTests
{
    private static sbyte[] RandomSpins(int count, int n, int seed)
    {
        var rng = new Random(seed);
        var s = new sbyte[count * n];
        for (int k = 0; k < s.Length; k++) s[k] = rng.NextDouble() < 0.6 ? (sbyte)1 : (sbyte)-1;
        return s;
    }

    [Fact]
    public void MatchesPairLoopsAndShardsMergeExactly()
    {
        int n = 7, count = 300;
        var spins = RandomSpins(count, n, 1);
        int[] triplets = [0, 1, 2, 1, 3, 6, 2, 4, 5];
        var whole = new MomentAccumulator(n, triplets);
        whole.Add(spins, count);
        var first = new MomentAccumulator(n, triplets);
        first.Add(spins.AsSpan(0, 120 * n), 120);
        var second = new MomentAccumulator(n, triplets);
        second.Add(spins.AsSpan(120 * n), count - 120);
        first.Merge(second);
        var a = whole.ToMoments("w");
        var b = first.ToMoments("s");
        Assert.Equal(a.SecondMoments, b.SecondMoments);          // bit-for-bit: integer sums
        Assert.Equal(a.Magnetisations, b.Magnetisations);
        Assert.Equal(a.TripletMoments, b.TripletMoments);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                long sum = 0;
                for (int mu = 0; mu < count; mu++) sum += spins[mu * n + i] * spins[mu * n + j];
                Assert.Equal((double)sum / count, a.SecondMoments[i * n + j]);
            }
        for (int q = 0; q < 3; q++)
        {
            long sum = 0;
            for (int mu = 0; mu < count; mu++) sum += spins[mu * n + triplets[3 * q]] * spins[mu * n + triplets[3 * q + 1]] * spins[mu * n + triplets[3 * q + 2]];
            Assert.Equal((double)sum / count, a.TripletMoments![q]);
        }
    }

    [Fact]
    public void ConnectedTripletsVanishForIndependentSpinsAndAreExactForAClosedForm()
    {
        // Two configurations (+,+,+) and (−,−,−) with equal weight: m = 0, ⟨s s⟩ = 1, ⟨s s s⟩ = 0 ⇒ cumulant 0.
        // With weights 3:1: m = ½, ⟨s s⟩ = 1, ⟨s s s⟩ = ½ ⇒ ½ − 3·½·1 + 2·⅛ = −¾.
        sbyte[] spins = [1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1];
        var acc = new MomentAccumulator(3, [0, 1, 2]);
        acc.Add(spins, 4);
        Assert.Equal(-0.75, acc.ToMoments("x").ConnectedTriplets()[0], 15);
    }

    [Fact]
    public void NonSpinValueIsAOneLineError()
    {
        var acc = new MomentAccumulator(2);
        var e = Assert.Throws<InputException>(() => acc.Add([1, -1, 1, 0], 2, "x.npy"));
        Assert.Equal("x.npy: configuration 1, spin 1 is 0, not ±1", e.Message);
    }

    [Fact]
    public void SaveLoadRoundTripAndValidation()
    {
        string dir = Path.Combine(Path.GetTempPath(), "fsi-moments-" + Guid.NewGuid().ToString("N"));
        try
        {
            var acc = new MomentAccumulator(4, [0, 1, 3]);
            acc.Add(RandomSpins(50, 4, 3), 50);
            var m = acc.ToMoments("test");
            m.Save(Path.Combine(dir, "m"));
            var back = DataMoments.Load(Path.Combine(dir, "m"));
            Assert.Equal(m.SecondMoments, back.SecondMoments);
            Assert.Equal(m.TripletIndices, back.TripletIndices);
            Assert.Equal(50, back.Count);
            var bad = m with { Magnetisations = [0.1, 1.2, 0, 0] };
            Assert.Equal("moments: |m[1]| = 1.2 exceeds 1", Assert.Throws<InputException>(() => bad.Validate("moments")).Message);
            var asym = (double[])m.SecondMoments.Clone(); asym[1] += 0.1;
            Assert.StartsWith("moments: C[0,1] = ", Assert.Throws<InputException>(() => (m with { SecondMoments = asym }).Validate("moments")).Message);
            var nan = (double[])m.SecondMoments.Clone(); nan[2] = double.NaN;
            Assert.Equal("moments: C[0,2] = NaN is not finite", Assert.Throws<InputException>(() => (m with { SecondMoments = nan }).Validate("moments")).Message);
            Assert.Equal("moments: 4 magnetisations but 9 second moments (expected 4x4)",
                Assert.Throws<InputException>(() => (m with { SecondMoments = new double[9] }).Validate("moments")).Message);
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    [Fact]
    public void TextMomentErrorsNameTheFileAtFault()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("mi_data.txt"), "0.1\n1.5\n");
        File.WriteAllText(dir.File("Ca_data.txt"), "1 0.2\n0.2 1\n");
        Assert.Equal($"{dir.File("mi_data.txt")}: |m[1]| = 1.5 exceeds 1",
            Assert.Throws<InputException>(() => DataMoments.LoadText(dir.Path)).Message);
        File.WriteAllText(dir.File("mi_data.txt"), "0.1\n0.5\n");
        File.WriteAllText(dir.File("Ca_data.txt"), "1 0.2\n0.3 1\n");
        Assert.Equal($"{dir.File("Ca_data.txt")}: C[0,1] = 0.2 but C[1,0] = 0.3 (not symmetric)",
            Assert.Throws<InputException>(() => DataMoments.LoadText(dir.Path)).Message);
    }

    [Fact]
    public void PublishedUnderParaMomentsLoadAndSlice()
    {
        var data = DataMoments.LoadText(Path.Combine(IO.SharedData.ReferenceDirectory(), "under-para"));
        Assert.Equal(675, data.Size);
        var iter = data.Slice(300, 225, "ITER");
        Assert.Equal(225, iter.Size);
        Assert.Equal(data.SecondMoments[301 * 675 + 310], iter.SecondMoments[1 * 225 + 10]);
    }
}
