using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Models;
using Xunit.Abstractions;

namespace FunctionSpace.Ising.Tests.Inference;

/// <summary>
/// BP sweeps undamped and at damping ½ run in exponential variables (U = e^{2u}, Y = e^{−2g}); they must be the same
/// iteration as the additive form: the same sweeps, the same fixed point up to rounding, exact on trees, and they must
/// hand over to the additive form where a field is too large for e^{2H} in a double.
/// </summary>
public class BpExponentialFormTests(ITestOutputHelper output)
{
    private static BpOptions Options(double damping, double tolerance, bool exponential, int cap = 5000) =>
        new(Damping: damping, Tolerance: tolerance, MaxIterations: cap, EscalateDamping: false) { ExponentialForm = exponential };

    public static TheoryData<string, double> Trees => new() { { "tree12", 0 }, { "tree16", 0 }, { "chain", 0 }, { "tree16", 0.5 }, { "chain", 0.5 } };

    [Theory]
    [MemberData(nameof(Trees))]
    public void ExponentialBpIsExactOnTrees(string name, double damping)
    {
        var model = name switch
        {
            "tree12" => PlantedModels.Tree(12, seed: 1),
            "tree16" => PlantedModels.Tree(16, seed: 2),
            _ => PlantedModels.Chain([0.9, -1.3, 0.4, 1.1, -0.2, 0.7, 0.5], [0.3, -0.1, 0.6, 0, -0.4, 0.2, 0.1, -0.5]),
        };
        var exact = ExactEnumeration.Solve(model);
        var result = BeliefPropagation.Run(model, Options(damping, 1e-13, exponential: true));
        Assert.Equal(StopReason.Converged, result.StopReason);
        var bp = BeliefPropagation.Moments(model, result);
        for (int i = 0; i < model.Size; i++)
        {
            Assert.Equal(exact.Moments.Magnetisations[i], bp.Magnetisations[i], 1e-10);
            for (int j = 0; j < model.Size; j++)
                if (model.Coupling(i, j) != 0) Assert.Equal(exact.Moments.SecondMoment(i, j), bp.SecondMoment(i, j), 1e-10);
        }
        Assert.Equal(-exact.LogZ, result.FreeEnergy, 1e-10);
        Assert.Equal(exact.Entropy, result.Entropy, 1e-10);
    }

    public static TheoryData<string, double> Models => new()
    {
        { "dense", 0 }, { "blocks", 0 }, { "strong-fields", 0 }, { "dense", 0.5 }, { "blocks", 0.5 }, { "strong-fields", 0.5 },
    };

    private static IsingModel Model(string name) => name switch
    {
        "dense" => PlantedModels.Dense(100, 0.6, seed: 21),
        "blocks" => Blocks(),
        _ => PlantedModels.Dense(90, 0.5, seed: 22, hMax: 6),
    };

    // Spins 0–39 and 40–69 form two coupled blocks, 70–99 are free: whole column groups of zero couplings.
    private static IsingModel Blocks()
    {
        const int n = 100;
        var a = PlantedModels.Dense(40, 0.8, seed: 23);
        var b = PlantedModels.Dense(30, 0.7, seed: 24);
        var j = new double[n * n];
        var h = new double[n];
        for (int r = 0; r < 40; r++) { h[r] = a.Fields[r]; for (int c = 0; c < 40; c++) j[r * n + c] = a.Couplings[r * 40 + c]; }
        for (int r = 0; r < 30; r++) { h[40 + r] = b.Fields[r]; for (int c = 0; c < 30; c++) j[(40 + r) * n + 40 + c] = b.Couplings[r * 30 + c]; }
        for (int r = 70; r < n; r++) h[r] = 0.01 * (r - 85);
        return new IsingModel(h, j);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void ExponentialAndAdditiveFormsRunTheSameIteration(string name, double damping)
    {
        // Both forms apply the same map to the same start (at damping ½ the geometric mean of the states is the
        // arithmetic mean of the cavity fields); only rounding differs (~1e-16 in g per sweep, contracted by the
        // iteration), so the sweep counts agree and the fixed points agree far below the tolerance 1e-12.
        var model = Model(name);
        var exponential = BeliefPropagation.Run(model, Options(damping, 1e-12, exponential: true));
        var additive = BeliefPropagation.Run(model, Options(damping, 1e-12, exponential: false));
        output.WriteLine($"{name}: exponential {exponential.Describe()}; additive {additive.Describe()}");
        Assert.True(exponential.Converged && additive.Converged);
        Assert.Equal(additive.Iterations, exponential.Iterations);
        AssertSameFixedPoint(model, additive, exponential, 1e-11);

        // Warm start from a perturbed model's fixed point, as in learning and in a landscape sweep.
        var shifted = model.WithFields(model.Fields.Select(v => v + 0.05).ToArray());
        var warmExponential = BeliefPropagation.Run(shifted, Options(damping, 1e-12, exponential: true), exponential.Messages);
        var warmAdditive = BeliefPropagation.Run(shifted, Options(damping, 1e-12, exponential: false), additive.Messages);
        Assert.True(warmExponential.Converged && warmAdditive.Converged);
        Assert.Equal(warmAdditive.Iterations, warmExponential.Iterations);
        AssertSameFixedPoint(shifted, warmAdditive, warmExponential, 1e-11);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    public void AtTheIterationCapBothFormsReturnTheSameMessages(double damping)
    {
        // Stopped after 4 sweeps, far from convergence: the returned messages and the reported change are the 4th
        // iterate of both forms, including the cavity fields of uncoupled pairs (g = H_i there when undamped).
        var model = Blocks();
        var exponential = BeliefPropagation.Run(model, Options(damping, 1e-12, exponential: true, cap: 4));
        var additive = BeliefPropagation.Run(model, Options(damping, 1e-12, exponential: false, cap: 4));
        Assert.Equal(StopReason.IterationCap, exponential.StopReason);
        Assert.Equal(additive.MaxChange, exponential.MaxChange, 1e-13);
        for (int i = 0; i < model.Size; i++)
            for (int j = 0; j < model.Size; j++)
                Assert.Equal(additive.Messages.CavityFields[i * model.Size + j], exponential.Messages.CavityFields[i * model.Size + j], 1e-13);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    public void FieldsBeyondTheExponentialRangeFallBackToTheAdditiveForm(double damping)
    {
        // e^{2H} with H = 400 overflows a double: the exponential form declines and the additive form runs from the
        // same start, so the result is the additive one exactly.
        var model = PlantedModels.Dense(30, 0.5, seed: 25);
        var h = (double[])model.Fields.Clone();
        h[3] = 400;
        var strong = model.WithFields(h);
        var viaExponential = BeliefPropagation.Run(strong, Options(damping, 1e-12, exponential: true));
        var additive = BeliefPropagation.Run(strong, Options(damping, 1e-12, exponential: false));
        Assert.True(additive.Converged);
        Assert.Equal(additive.Iterations, viaExponential.Iterations);
        Assert.Equal(additive.Magnetisations, viaExponential.Magnetisations);
        Assert.Equal(additive.FreeEnergy, viaExponential.FreeEnergy);
        Assert.Equal(1.0, viaExponential.Magnetisations[3]);
    }

    [Fact]
    public void OtherDampingsRunTheAdditiveForm()
    {
        // Only damping 0 and ½ have an exponential form; at 0.8 the result is the additive one to the last bit.
        var model = PlantedModels.Dense(60, 0.6, seed: 26);
        var requested = BeliefPropagation.Run(model, Options(0.8, 1e-12, exponential: true));
        var additive = BeliefPropagation.Run(model, Options(0.8, 1e-12, exponential: false));
        Assert.True(additive.Converged);
        Assert.Equal(additive.Iterations, requested.Iterations);
        Assert.Equal(additive.Messages.CavityFields, requested.Messages.CavityFields);
        Assert.Equal(additive.FreeEnergy, requested.FreeEnergy);
    }

    private static void AssertSameFixedPoint(IsingModel model, BpResult expected, BpResult actual, double tolerance)
    {
        int n = model.Size;
        for (int k = 0; k < n * n; k++) Assert.Equal(expected.Messages.CavityFields[k], actual.Messages.CavityFields[k], tolerance);
        for (int i = 0; i < n; i++) Assert.Equal(expected.Magnetisations[i], actual.Magnetisations[i], tolerance);
        Assert.Equal(expected.FreeEnergy, actual.FreeEnergy, tolerance * n);
        Assert.Equal(expected.Energy, actual.Energy, tolerance * n);
    }
}
