using FunctionSpace.Ising.Theory;

namespace FunctionSpace.Ising.Tests.Theory;

public class BooleanFunctionTests
{
    [Fact]
    public void TruthTablesFollowTheRowConvention()
    {
        var and = BooleanGate.Create("and", 2);
        Assert.Equal("AND", BooleanFunctionDistribution.FunctionNames[BooleanFunctionDistribution.Apply(and, [BooleanFunctionDistribution.X1, BooleanFunctionDistribution.X2])]);
        var xor = BooleanGate.Create("xor", 2);
        Assert.Equal("XOR", BooleanFunctionDistribution.FunctionNames[BooleanFunctionDistribution.Apply(xor, [BooleanFunctionDistribution.X1, BooleanFunctionDistribution.X2])]);
        Assert.Equal("x1", BooleanFunctionDistribution.FunctionNames[BooleanFunctionDistribution.X1]);
        Assert.Equal("!x2", BooleanFunctionDistribution.FunctionNames[15 - BooleanFunctionDistribution.X2]);
    }

    [Fact]
    public void AndOfTwoInputsGivesTheEnumeratedDistribution()
    {
        // Parents x1,x1 (¼) → x1; x2,x2 (¼) → x2; mixed (½) → AND.
        var p = BooleanFunctionDistribution.Layers(BooleanGate.Create("and", 2), 1, 0, false)[1];
        Assert.Equal(0.25, p[BooleanFunctionDistribution.X1], 15);
        Assert.Equal(0.25, p[BooleanFunctionDistribution.X2], 15);
        Assert.Equal(0.5, p[0b1000], 15);
        Assert.Equal(1.5, BooleanFunctionDistribution.Entropy(p), 14);
    }

    [Fact]
    public void NoiselessMajorityOfCopiesKeepsTheInputDistribution()
    {
        // MAJ-3 of parents drawn from {x1, x2} is never a new function: the majority of three copies of two
        // variables is a variable only when two agree — but MAJ(x1, x1, x2) = x1, so P stays ½, ½.
        var layers = BooleanFunctionDistribution.Layers(BooleanGate.Create("maj", 3), 5, 0, false);
        foreach (var p in layers)
        {
            Assert.Equal(1, p.Sum(), 14);
            Assert.Equal(1, BooleanFunctionDistribution.Entropy(p), 12);
        }
    }

    [Fact]
    public void NoisyXorSpreadsOverTheParityClass()
    {
        // XOR with negated wires only ever produces the parity-like functions of x1, x2 and their negations;
        // with p = ½ each wire is a fair coin, so the output is f or ¬f with equal probability.
        var layers = BooleanFunctionDistribution.Layers(BooleanGate.Create("xor", 2), 6, 0.5, false);
        var last = layers[^1];
        Assert.Equal(1, last.Sum(), 13);
        for (int f = 0; f < 16; f++) Assert.Equal(last[f], last[15 - f], 13);
        Assert.True(BooleanFunctionDistribution.Entropy(last) <= 4);
    }

    [Fact]
    public void RejectsUnknownGate()
    {
        var error = Assert.Throws<InputException>(() => BooleanGate.Create("imp", 2));
        Assert.Equal("--gate: 'imp' is not one of maj, and, or, xor, nand, nor", error.Message);
    }
}
