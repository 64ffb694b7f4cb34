using FunctionSpace.Ising.Networks;

namespace FunctionSpace.Ising.Tests.Networks;

public class ArchitectureTests
{
    [Fact]
    public void Deep_network_parts_follow_the_published_spin_order()
    {
        var deep = Architecture.Deep;
        Assert.Equal(675, deep.WeightCount);
        var parts = deep.Parts().ToDictionary(p => p.Name);
        Assert.Equal((0, 300), (parts["LB"].Start, parts["LB"].Length));
        Assert.Equal((300, 225), (parts["ITER"].Start, parts["ITER"].Length));
        Assert.Equal((525, 150), (parts["RB"].Start, parts["RB"].Length));
        Assert.Equal((0, 675), (parts["FULL"].Start, parts["FULL"].Length));
        // LB spin k is W1[k / 20, k % 20] (shared/reference/README.md).
        Assert.Equal(137, deep.SpinIndex(0, 137 / 20, 137 % 20));
        Assert.Equal(300 + 15 * 3 + 4, deep.SpinIndex(1, 3, 4));
    }

    [Fact]
    public void Shallow_network_has_only_the_full_part()
    {
        Assert.Equal(new[] { "FULL" }, Architecture.Shallow.Parts().Select(p => p.Name));
        Assert.Equal(200, Architecture.Shallow.WeightCount);
    }

    [Fact]
    public void Parses_and_rejects_architectures_and_parts()
    {
        Assert.Equal(Architecture.Deep, Architecture.Parse("20-15-15-10"));
        Assert.Equal("architecture: '20-x-10' is not of the form 20-15-15-10",
            Assert.Throws<InputException>(() => Architecture.Parse("20-x-10")).Message);
        Assert.Equal(new SpinSlice("10:20", 10, 10), Architecture.Deep.Part("10:20"));
        Assert.Equal("--part: 'MID' is not one of FULL, LB, ITER, RB or a range start:end within 0..675 for 20-15-15-10",
            Assert.Throws<InputException>(() => Architecture.Deep.Part("MID")).Message);
    }
}
