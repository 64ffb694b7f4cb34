using FunctionSpace.Ising.Inference;

namespace FunctionSpace.Ising.Tests.Inference;

public class ExactEnumerationTests
{
    [Fact]
    public void SingleSpinMatchesClosedForm()
    {
        // Z = 2 cosh h, m = tanh h, ⟨E⟩ = −h tanh h.
        var model = new FunctionSpace.Ising.Models.IsingModel([0.7], [0.0]);
        var exact = ExactEnumeration.Solve(model);
        Assert.Equal(Math.Log(2 * Math.Cosh(0.7)), exact.LogZ, 14);
        Assert.Equal(Math.Tanh(0.7), exact.Moments.Magnetisations[0], 14);
        Assert.Equal(-0.7 * Math.Tanh(0.7), exact.MeanEnergy, 14);
    }

    [Theory]
    [InlineData(0.8, 0.3, -0.5)]
    [InlineData(-1.2, 0.1, 0.4)]
    [InlineData(0.0, -0.6, 0.2)]
    public void PairMatchesClosedForm(double coupling, double h1, double h2)
    {
        // Z = 2e^J cosh(h1+h2) + 2e^−J cosh(h1−h2); m1 = ∂lnZ/∂h1, ⟨s1 s2⟩ = ∂lnZ/∂J.
        var exact = ExactEnumeration.Solve(PlantedModels.Pair(coupling, h1, h2));
        double plus = 2 * Math.Exp(coupling), minus = 2 * Math.Exp(-coupling);
        double z = plus * Math.Cosh(h1 + h2) + minus * Math.Cosh(h1 - h2);
        double m1 = (plus * Math.Sinh(h1 + h2) + minus * Math.Sinh(h1 - h2)) / z;
        double m2 = (plus * Math.Sinh(h1 + h2) - minus * Math.Sinh(h1 - h2)) / z;
        double c12 = (plus * Math.Cosh(h1 + h2) - minus * Math.Cosh(h1 - h2)) / z;
        Assert.Equal(Math.Log(z), exact.LogZ, 13);
        Assert.Equal(m1, exact.Moments.Magnetisations[0], 13);
        Assert.Equal(m2, exact.Moments.Magnetisations[1], 13);
        Assert.Equal(c12, exact.Moments.SecondMoment(0, 1), 13);
        Assert.Equal(c12, exact.Moments.SecondMoment(1, 0), 13);
        Assert.Equal(1.0, exact.Moments.SecondMoment(0, 0));
    }

    [Fact]
    public void ZeroFieldChainMatchesTransferMatrix()
    {
        // Open chain at h = 0: Z = 2 Π_k 2cosh J_k, ⟨s_k s_{k+1}⟩ = tanh J_k, ⟨s_i s_j⟩ = Π tanh, m = 0.
        double[] couplings = [0.5, -1.1, 0.3, 2.0, -0.4];
        var model = PlantedModels.Chain(couplings, new double[6]);
        var exact = ExactEnumeration.Solve(model);
        double logZ = Math.Log(2) + couplings.Sum(j => Math.Log(2 * Math.Cosh(j)));
        Assert.Equal(logZ, exact.LogZ, 12);
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(0, exact.Moments.Magnetisations[i], 13);
            for (int j = i + 1; j < 6; j++)
            {
                double product = 1;
                for (int k = i; k < j; k++) product *= Math.Tanh(couplings[k]);
                Assert.Equal(product, exact.Moments.SecondMoment(i, j), 12);
            }
        }
        // ⟨E⟩ = −Σ J_k tanh J_k; Var E = Σ J_k² (1 − tanh² J_k) (independent bonds).
        Assert.Equal(-couplings.Sum(j => j * Math.Tanh(j)), exact.MeanEnergy, 12);
        Assert.Equal(couplings.Sum(j => j * j * (1 - Math.Tanh(j) * Math.Tanh(j))), exact.EnergyVariance, 11);
    }

    [Fact]
    public void DenseModelMatchesBruteForceSum()
    {
        // Independent oracle: sum exp(−E(s)) with IsingModel.Energy over every state.
        var model = PlantedModels.Dense(9, 0.8, seed: 3, hMax: 0.5);
        int n = model.Size;
        var states = PlantedModels.AllStates(n).ToArray();
        var energies = states.Select(s => model.Energy(s)).ToArray();
        double z = energies.Sum(e => Math.Exp(-e));
        var exact = ExactEnumeration.Solve(model);
        Assert.Equal(Math.Log(z), exact.LogZ, 11);
        double meanE = energies.Sum(e => e * Math.Exp(-e)) / z;
        Assert.Equal(meanE, exact.MeanEnergy, 11);
        Assert.Equal(Math.Log(z) + meanE, exact.Entropy, 11);
        for (int i = 0; i < n; i++)
        {
            double m = 0;
            for (int s = 0; s < states.Length; s++) m += states[s][i] * Math.Exp(-energies[s]);
            Assert.Equal(m / z, exact.Moments.Magnetisations[i], 12);
            for (int j = 0; j < n; j++)
            {
                double c = 0;
                for (int s = 0; s < states.Length; s++) c += states[s][i] * states[s][j] * Math.Exp(-energies[s]);
                Assert.Equal(c / z, exact.Moments.SecondMoment(i, j), 12);
            }
        }

        // Probabilities: bit i set ⇔ s_i = −1, the same order AllStates uses.
        var p = ExactEnumeration.Probabilities(model);
        Assert.Equal(1.0, p.Sum(), 12);
        for (int s = 0; s < states.Length; s++) Assert.Equal(Math.Exp(-energies[s]) / z, p[s], 14);
    }

    [Fact]
    public void LargeEnergiesDoNotOverflow()
    {
        // Scaling a model by β = 200 makes |E| ~ 10^3: ln Z must stay finite and ≥ −E_min.
        var model = PlantedModels.Dense(10, 1.0, seed: 5).Scaled(200);
        var exact = ExactEnumeration.Solve(model);
        double minEnergy = PlantedModels.AllStates(10).Min(s => model.Energy(s));
        Assert.True(double.IsFinite(exact.LogZ));
        // Round-off of energies ~10^3 is ~10^-12, hence the tiny negative slack.
        Assert.InRange(exact.LogZ + minEnergy, -1e-9, Math.Log(1024));
    }

    [Fact]
    public void TooManySpinsIsRejected()
    {
        var model = new FunctionSpace.Ising.Models.IsingModel(new double[25], new double[625]);
        var e = Assert.Throws<InputException>(() => ExactEnumeration.Solve(model));
        Assert.Equal("exact enumeration: 25 spins, at most 24", e.Message);
    }
}
