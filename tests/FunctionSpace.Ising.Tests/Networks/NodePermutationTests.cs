using FunctionSpace.Ising.Randomness;
using FunctionSpace.Ising.Networks;
using FunctionSpace.Ising.Training;

namespace FunctionSpace.Ising.Tests.Networks;

public class NodePermutationTests
{
    [Fact]
    public void PermutedNetworkComputesTheSameOutputs()
    {
        var arch = Architecture.Deep;
        var spins = BinaryNetworkTests.RandomSpins(1, arch.WeightCount, 5);
        var rng = new SplitMix64(8);
        var permutations = NodePermutation.Random(arch, ref rng);
        Assert.False(permutations[0].SequenceEqual(Enumerable.Range(0, 15)));
        var permuted = new sbyte[arch.WeightCount];
        NodePermutation.Apply(arch, spins, permutations, permuted);
        Assert.NotEqual(spins, permuted);
        var (x, _) = BinaryNetworkTests.RandomInputs(50, 20, 10, 3);
        for (int e = 0; e < 50; e++)
        {
            var a = BinaryNetwork.Forward(arch, spins, x.AsSpan(e * 20, 20));
            var b = BinaryNetwork.Forward(arch, permuted, x.AsSpan(e * 20, 20));
            // Same terms summed in another order: equal up to double rounding.
            for (int o = 0; o < 10; o++) Assert.Equal(a[o], b[o], 1e-12);
        }
    }

    [Fact]
    public void CanonicalFormIsInvariantUnderPermutation()
    {
        var arch = Architecture.Deep;
        var (x, y) = BinaryNetworkTests.RandomInputs(100, 20, 10, 4);
        using var evaluator = new BinaryEvaluator(arch, x, y);
        int count = 6;
        var spins = BinaryNetworkTests.RandomSpins(count, arch.WeightCount, 6);
        var permuted = new sbyte[spins.Length];
        var rng = new SplitMix64(9);
        for (int c = 0; c < count; c++)
            NodePermutation.Apply(arch, spins.AsSpan(c * 675, 675), NodePermutation.Random(arch, ref rng), permuted.AsSpan(c * 675, 675));
        var canonical = (sbyte[])spins.Clone();
        NodePermutation.Canonicalize(evaluator, canonical, count);
        NodePermutation.Canonicalize(evaluator, permuted, count);
        Assert.Equal(canonical, permuted);
        // In canonical form the mean pre-activations descend within each hidden layer.
        var means = evaluator.MeanHiddenPreActivations(canonical, count);
        for (int c = 0; c < count; c++)
            for (int j = 1; j < 30; j++)
                if (j != 15) Assert.True(means[c * 30 + j - 1] >= means[c * 30 + j]);
    }

    [Fact]
    public void ShallowNetworksHaveNothingToPermute()
    {
        var arch = Architecture.Shallow;
        Assert.Equal(0, NodePermutation.HiddenUnits(arch));
        var spins = BinaryNetworkTests.RandomSpins(2, 200, 1);
        var (x, y) = BinaryNetworkTests.RandomInputs(10, 20, 10, 1);
        using var evaluator = new BinaryEvaluator(arch, x, y);
        var copy = (sbyte[])spins.Clone();
        NodePermutation.Canonicalize(evaluator, copy, 2);
        Assert.Equal(spins, copy);
    }
}
