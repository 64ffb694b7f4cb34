using FunctionSpace.Ising.Inverse;

namespace FunctionSpace.Ising.Tests.Inverse;

/// <summary>
/// TorchSharp hands a Scalar's native handle to libtorch without keeping the managed Scalar alive for the call, so a
/// temporary Scalar (an implicit conversion, or the alpha = 1 of Tensor.add(Tensor)) can be finalised by a garbage
/// collection on another thread while libtorch reads it: "Expected false to be true" from c10::Scalar::toDouble, seen
/// in `fsi fit --method mc` over four parts. These tests run the learning's kernels while another thread collects
/// garbage without pause, which made that window wide enough to hit.
/// </summary>
[Collection(nameof(TorchScalarLifetimeTests))]
public class TorchScalarLifetimeTests
{
    [Fact]
    public async Task LearningKernelsSurviveConcurrentGarbageCollection()
    {
        const int n = 120, rows = 64;
        var rng = new Random(4);
        double[] Random(int length) => Enumerable.Range(0, length).Select(_ => 2 * rng.NextDouble() - 1).ToArray();
        var connected = new double[n * n];
        for (int a = 0; a < n; a++) connected[a * n + a] = 1;
        var precond = PersistentChainLearning.Preconditioner(connected, n, 0.05);
        double[] deltaC = Random(n * n), deltaM = Random(n), mData = Random(n), x = Random(rows * n), t = Random(rows * n);
        var expectedStep = PersistentChainLearning.NewtonStep(precond, deltaC, deltaM, mData, n);
        var expectedMoments = PersistentChainLearning.RaoBlackwellMoments(x, t, rows, n);
        var expectedPreconditioner = PersistentChainLearning.Preconditioner(connected, n, 0.05);
        var expectedInverse = MeanFieldInversion.Invert(mData.Select(v => 0.5 * v).ToArray(), connected, MeanFieldVariant.Tap, ridge: 0.1);

        using var stop = new CancellationTokenSource();
        var collector = Task.Factory.StartNew(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                // Gen-0 collections suffice (the temporaries are young) and stay fast whatever the rest of the heap holds.
                GC.Collect(0, GCCollectionMode.Forced, blocking: true);
                GC.WaitForPendingFinalizers();
            }
        }, TaskCreationOptions.LongRunning);
        try
        {
            // 300 rounds: before the fix each of 3 runs failed (within 2–3 s, run alone); 100 rounds missed it in 3 of 3 runs.
            for (int repeat = 0; repeat < 300; repeat++)
            {
                var step = PersistentChainLearning.NewtonStep(precond, deltaC, deltaM, mData, n);
                Assert.Equal(expectedStep.J, step.J);
                Assert.Equal(expectedStep.H, step.H);
                var moments = PersistentChainLearning.RaoBlackwellMoments(x, t, rows, n);
                Assert.Equal(expectedMoments.C, moments.C);
                Assert.Equal(expectedMoments.M, moments.M);
                Assert.Equal(expectedPreconditioner, PersistentChainLearning.Preconditioner(connected, n, 0.05));
                var inverse = MeanFieldInversion.Invert(mData.Select(v => 0.5 * v).ToArray(), connected, MeanFieldVariant.Tap, ridge: 0.1);
                Assert.Equal(expectedInverse.Couplings, inverse.Couplings);
            }
        }
        finally
        {
            stop.Cancel();
            await collector;
        }
    }
}

/// <summary>The stress test runs alone: its collecting thread would widen the same window for torch code of other tests
/// running in parallel, including the TorchSharp-internal temporaries this project cannot reach (optim.Adam, softplus).</summary>
[CollectionDefinition(nameof(TorchScalarLifetimeTests), DisableParallelization = true)]
public class TorchScalarLifetimeCollection;
