using FunctionSpace.Ising.Theory;

namespace FunctionSpace.Ising.Tests.Theory;

public class DenseBooleanFunctionTests
{
    private static IEnumerable<DenseBooleanSetting> TwoInputSettings() =>
        from activation in new[] { Activation.Sign, Activation.ReLU } from constants in new[] { false, true } select new DenseBooleanSetting(activation, 2, constants);

    [Fact]
    public void TwoInputDistributionsAreNormalisedAndSymmetric()
    {
        var symmetries = DenseBooleanFunctions.InputSymmetries(2);
        Assert.Equal(8, symmetries.Length);  // |B₂| = 2² · 2!
        foreach (var setting in TwoInputSettings())
            foreach (var layer in DenseBooleanFunctions.Layers(setting, 6))
            {
                var p = layer.Probabilities;
                Assert.Equal(1, p.Sum(), 13);
                Assert.All(p, v => Assert.True(v >= 0));
                for (int f = 0; f < 16; f++)
                {
                    // Output negation (the last layer's weights are symmetric) and every input permutation/negation.
                    Assert.Equal(p[f], p[15 - f], 13);
                    foreach (var map in symmetries) Assert.Equal(p[f], p[DenseBooleanFunctions.MoveRows(f, map)], 13);
                }
                // The expected sensitivity from the distribution equals Sheppard's pairwise acos(ρ)/π.
                Assert.Equal(layer.Sensitivity, DenseBooleanFunctions.MeanSensitivity(2, p), 12);
            }
    }

    [Fact]
    public void SignNetworksWithoutConstantsComputeOnlySelfDualFunctionsUniformly()
    {
        // sgn is odd, so h(−s) = −h(s): f(−s) = −f(s). For n = 2 those are x₁, x₂, ¬x₁, ¬x₂, and the pairwise
        // correlation of rows one bit apart stays (2/π) asin 0 = 0, so each has probability ¼ at every depth.
        foreach (var layer in DenseBooleanFunctions.Layers(new DenseBooleanSetting(Activation.Sign, 2, false), 5))
            for (int f = 0; f < 16; f++)
            {
                double expected = DenseBooleanFunctions.IsSelfDual(2, f) ? 0.25 : 0;
                Assert.Equal(expected, layer.Probabilities[f], 14);
                // Input negation s → −s maps row r to row 3 − r.
                Assert.Equal(layer.Probabilities[f], layer.Probabilities[DenseBooleanFunctions.MoveRows(f, [3, 2, 1, 0])], 14);
            }
    }

    [Fact]
    public void OnePerceptronComputesTheFourteenThresholdFunctions()
    {
        var layer = DenseBooleanFunctions.Layers(new DenseBooleanSetting(Activation.Sign, 2, true), 1)[0];
        int parity = DenseBooleanFunctions.Parity(2);
        Assert.Equal("XOR", DenseBooleanFunctions.Name(2, parity));
        Assert.Equal(0, layer.ParityProbability, 12);
        Assert.Equal(14, layer.Probabilities.Count(v => v > 1e-9));
        // c¹ = (n q + 1)/(n + 1) with S′ = (s, −s, 1, −1): 1/3 one bit apart, −1/3 two bits apart.
        Assert.Equal(1.0 / 3, layer.Correlation[0, 1], 15);
        Assert.Equal(-1.0 / 3, layer.Correlation[0, 3], 15);
    }

    [Fact]
    public void DepthSeparatesSignFromReLU()
    {
        // Sign: the arcsine map drives every correlation to 0, so P^L → uniform over all 16 functions (H → ln 16),
        // sensitivity → ½. ReLU: the arc-cosine map drives them to 1, so constants take over and H falls.
        var sign = DenseBooleanFunctions.Layers(new DenseBooleanSetting(Activation.Sign, 2, true), 12);
        var relu = DenseBooleanFunctions.Layers(new DenseBooleanSetting(Activation.ReLU, 2, true), 12);
        Assert.True(Math.Log(16) - sign[^1].Entropy < 1e-4);
        Assert.True(sign[^1].Sensitivity > 0.499);
        for (int l = 2; l < 12; l++)
        {
            Assert.True(relu[l].Entropy < relu[l - 1].Entropy);
            Assert.True(relu[l].ConstantProbability > relu[l - 1].ConstantProbability);
            Assert.True(sign[l].Entropy > sign[l - 1].Entropy);
        }
        Assert.True(relu[^1].ConstantProbability > 0.7);
        Assert.True(relu[^1].Sensitivity < 0.15);
    }

    [Fact]
    public void ThreeInputSignNetworksWithoutConstantsMirrorTwoInputsWithConstants()
    {
        // A self-dual f of (s₁, s₂, s₃) is s₃ g(s₁s₃, s₂s₃) with g any function of two inputs, and the reduced 4×4
        // correlation equals c¹ of n = 2 with S′ = (s, −s, 1, −1): the entropies coincide at every depth.
        var three = DenseBooleanFunctions.Layers(new DenseBooleanSetting(Activation.Sign, 3, false), 4);
        var two = DenseBooleanFunctions.Layers(new DenseBooleanSetting(Activation.Sign, 2, true), 4);
        for (int l = 0; l < 4; l++)
        {
            Assert.Equal(OrthantMethod.PathIntegral, three[l].Method);
            Assert.Equal(two[l].Entropy, three[l].Entropy, 12);
            Assert.Equal(1, three[l].Probabilities.Sum(), 12);
        }
    }

    [Fact]
    public void ThreeInputsWithConstantsSumToOneWithinTheQuotedError()
    {
        var orthant = new OrthantSettings(PointsPerShift: 256);
        var layers = DenseBooleanFunctions.Layers(new DenseBooleanSetting(Activation.ReLU, 3, true), 2, orthant);
        foreach (var layer in layers)
        {
            Assert.Equal(OrthantMethod.QuasiMonteCarlo, layer.Method);
            // Errors within an orbit are copies (fully correlated): bound the sum's error by Σ errors.
            double bound = layer.Errors.Sum();
            Assert.True(Math.Abs(layer.Probabilities.Sum() - 1) < 4 * bound, $"L = {layer.Layer}: Σ P − 1 = {layer.Probabilities.Sum() - 1:E2}, Σ errors {bound:E1}");
            Assert.True(Math.Abs(layer.Sensitivity - DenseBooleanFunctions.MeanSensitivity(3, layer.Probabilities)) < 4 * bound);
        }
        // One perceptron on (1, s₁, s₂, s₃) cannot compute the three-input parity.
        Assert.Equal(0, layers[0].ParityProbability, 6);
    }
}
