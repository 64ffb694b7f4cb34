using FunctionSpace.Ising.Cli;
using FunctionSpace.Ising.Studies;

namespace FunctionSpace.Ising.Tests.Studies;

/// <summary>The CLI and a direct library Load + Run + Write of the same settings write the same files (timings apart).</summary>
public class StudyEquivalenceTests
{
    private sealed class Scratch : IDisposable
    {
        public readonly TempDirectory Data = new(), Cache = new(), Cli = new(), Library = new();
        public Scratch() => Ising.Tests.Data.SyntheticIdx.Write(Data.Path, 60, 30, seed: 5);

        public void RunCli(string args)
        {
            var stderr = new StringWriter();
            int code = CliApp.Run([.. args.Split(' '), "--data-dir", Data.Path, "--cache-dir", Cache.Path, "--out", Cli.Path, "--quiet"], new StringWriter(), stderr);
            Assert.True(code == CliApp.ExitOk, stderr.ToString());
        }

        public StudyData Load(int dimension, int trainCount, int testCount, ulong seed) => StudyData.Load(Data.Path, Cache.Path, dimension, trainCount, testCount, seed);

        public void Dispose() { Data.Dispose(); Cache.Dispose(); Cli.Dispose(); Library.Dispose(); }
    }

    [Fact]
    public void Width_study()
    {
        using var s = new Scratch();
        s.RunCli("study width --widths 3,5 --networks 2 --epochs 1 --samples 3 --train-count 0 --seed 7");
        var settings = WidthStudySettings.For(StudyPreset.Quick, 7) with { HiddenWidths = [3, 5], Seeds = 2, SamplesPerNetwork = 3, TrainCount = 0 };
        settings = settings with { Training = settings.Training with { Epochs = 1 } };
        WidthStudy.Write(WidthStudy.Run(s.Load(settings.Dimension, settings.TrainCount, settings.TestCount, 7), settings), s.Library.Path);
        SameFiles.Assert(s.Cli.Path, s.Library.Path, timingColumns: ["train_seconds"]);
    }

    [Fact]
    public void Frozen_interior_study()
    {
        using var s = new Scratch();
        s.RunCli("study frozen --checkpoints 1,2 --networks 2 --train-count 0");
        var settings = FrozenStudySettings.For(StudyPreset.Quick, 1) with { Epochs = [1, 2], Seeds = 2, TrainCount = 0 };
        FrozenInteriorStudy.Write(FrozenInteriorStudy.Run(s.Load(settings.Architecture.Widths[0], settings.TrainCount, settings.TestCount, 1), settings), s.Library.Path);
        // The figure's legend quotes the training time.
        SameFiles.Assert(s.Cli.Path, s.Library.Path, timingColumns: ["train_seconds", "train_cpu_seconds"], timedFiles: ["frozen.png", "frozen.svg"]);
    }
}
