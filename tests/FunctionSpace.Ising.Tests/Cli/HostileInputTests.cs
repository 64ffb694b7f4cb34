using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using FunctionSpace.Ising.Cli;
using FunctionSpace.Ising.Data;
using FunctionSpace.Ising.Ensembles;
using FunctionSpace.Ising.IO;
using FunctionSpace.Ising.Landscape;
using FunctionSpace.Ising.Models;
using FunctionSpace.Ising.Networks;
using FunctionSpace.Ising.Pipeline;
using FunctionSpace.Ising.Tests.Data;

namespace FunctionSpace.Ising.Tests.Cli;

/// <summary>
/// Inputs that used to crash (exit 70), pass silently or mislead: each must now be a one-line error with exit 1 (or a
/// warning where the input is legitimate but suspicious), and leave nothing behind.
/// </summary>
public class HostileInputTests
{
    private static (int Exit, string Err) Run(params string[] args)
    {
        var (exit, _, err) = CliHarness.Run([.. args, "--quiet"]);
        return (exit, err.TrimEnd());
    }

    private static void WriteIdx(TempDirectory dir, int trainImages, Func<int, int, byte> pixel, bool gzipTrain = false)
    {
        foreach (var (prefix, count) in new[] { ("train", trainImages), ("t10k", 5) })
        {
            var images = new byte[16 + count * 16];
            BinaryPrimitives.WriteInt32BigEndian(images, IdxReader.ImagesMagic);
            BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(4), count);
            BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(8), 4);
            BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(12), 4);
            for (int i = 0; i < count; i++) for (int p = 0; p < 16; p++) images[16 + i * 16 + p] = pixel(i, p);
            var labels = new byte[8 + count];
            BinaryPrimitives.WriteInt32BigEndian(labels, IdxReader.LabelsMagic);
            BinaryPrimitives.WriteInt32BigEndian(labels.AsSpan(4), count);
            File.WriteAllBytes(dir.File($"{prefix}-images-idx3-ubyte"), images);
            File.WriteAllBytes(dir.File($"{prefix}-labels-idx1-ubyte"), labels);
        }
    }

    [Fact]
    public void Datasets_without_images_or_variance_are_refused_and_not_cached()
    {
        using var data = new TempDirectory();
        using var cache = new TempDirectory();
        WriteIdx(data, 0, (_, _) => 0);
        Assert.Equal((1, $"fsi: error: {data.File("train-images-idx3-ubyte")}: holds no images"), Run("data", "--data-dir", data.Path, "-k", "2", "--cache-dir", cache.Path));
        WriteIdx(data, 6, (_, _) => 0);
        Assert.Equal((1, $"fsi: error: {data.File("train-images-idx3-ubyte")}: all 6 training images are identical (zero pixel variance); PCA is undefined"),
            Run("data", "--data-dir", data.Path, "-k", "2", "--cache-dir", cache.Path));
        Assert.Empty(Directory.GetFileSystemEntries(cache.Path));
    }

    [Fact]
    public void A_bad_gzip_checksum_is_called_that_not_an_unsupported_method()
    {
        using var dir = new TempDirectory();
        byte[] raw = new byte[16 + 3 * 4];
        BinaryPrimitives.WriteInt32BigEndian(raw, IdxReader.ImagesMagic);
        BinaryPrimitives.WriteInt32BigEndian(raw.AsSpan(4), 3);
        BinaryPrimitives.WriteInt32BigEndian(raw.AsSpan(8), 2);
        BinaryPrimitives.WriteInt32BigEndian(raw.AsSpan(12), 2);
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest)) gz.Write(raw);
        byte[] file = output.ToArray();
        file[^8] ^= 0xFF;   // the trailer's CRC-32
        File.WriteAllBytes(dir.File("x.gz"), file);
        var error = Assert.Throws<InputException>(() => IdxReader.ReadImages(dir.File("x.gz")));
        Assert.StartsWith($"{dir.File("x.gz")}: corrupt gzip file (CRC-32 mismatch: the data checksums to ", error.Message);
        Assert.DoesNotContain("unsupported compression method", error.Message);
    }

    [Fact]
    public void A_collection_too_large_to_count_is_refused_before_the_file_is_created()
    {
        using var dir = new TempDirectory();
        string file = dir.File("e.fsie");
        Assert.Equal((1, $"fsi: error: --networks: 2147483647 is outside 1..{Ising.Training.CollectionSettings.MaxNetworks}"),
            Run("collect", "--networks", "2147483647", "--out", file));
        var (exit, err) = Run("collect", "--networks", "64", "--samples", "100000000", "--out", file);
        Assert.Equal(1, exit);
        Assert.StartsWith("fsi: error: --block × --samples: a block of 64 networks × 100000000 samples is more than one chunk", err);
        Assert.False(File.Exists(file));
    }

    [Fact]
    public void An_npy_header_claiming_more_than_the_file_holds_is_an_error_not_an_allocation()
    {
        using var dir = new TempDirectory();
        foreach (var (shape, problem) in new[]
                 {
                     ("(1099511627776,)", "shape dimension 1099511627776 is larger than one array holds"),
                     ("(1048576, 1048576)", "shape (1048576,1048576) has more elements than one array holds"),
                     ("(1000,)", "body truncated: 0 of 8000 bytes"),
                     ("(-3,)", "shape dimension '-3' is not a non-negative integer"),
                     ("3", "header 'shape' is not a tuple"),
                 })
        {
            string dict = $"{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}";
            string header = dict.PadRight(118) + "\n";
            var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)header.Length, 0 };
            bytes.AddRange(Encoding.ASCII.GetBytes(header));
            File.WriteAllBytes(dir.File("x.npy"), bytes.ToArray());
            Assert.Equal($"{dir.File("x.npy")}: not a valid .npy file ({problem})", Assert.Throws<InputException>(() => Npy.Read(dir.File("x.npy"))).Message);
        }
    }

    [Fact]
    public void Configurations_with_null_sections_or_bad_values_are_one_line_errors()
    {
        using var dir = new TempDirectory();
        string json = RunConfig.FromPreset("quick", ["under"]).ToJson();
        foreach (var (edit, problem) in new (Func<string, string>, string)[]
                 {
                     (j => System.Text.RegularExpressions.Regex.Replace(j, "\"collect\": \\{[^}]*\\}", "\"collect\": null"), "not a valid run configuration ("),
                     (j => j.Replace("\"preset\": \"quick\"", "\"preset\": \"paperr\""), "--preset (preset): 'paperr' is not one of standard, quick, paper"),
                     (j => j.Replace("\"tap_starts\": 100", "\"tap_starts\": -1"), "--tap-starts (landscape.tap_starts): -1 is outside 0..10000000 (0 skips the census)"),
                     (j => System.Text.RegularExpressions.Regex.Replace(j, "\"max_iterations\": \\d+", "\"max_iterations\": 0"), "--fit-max-iterations (fit.max_iterations): 0 must be at least 1"),
                     (j => j.Replace("\"references\": null", "\"references\": [null]"), "landscape.references: null is not lowest, median, highest or an index"),
                 })
        {
            string edited = edit(json);
            Assert.NotEqual(json, edited);
            File.WriteAllText(dir.File("c.json"), edited);
            var error = Assert.Throws<InputException>(() => RunConfig.Load(dir.File("c.json")));
            Assert.StartsWith($"{dir.File("c.json")}: {problem}", error.Message);
            Assert.DoesNotContain("\n", error.Message);
            var (exit, err) = Run("run", "--config", dir.File("c.json"), "--runs-dir", dir.File("runs"));
            Assert.Equal((1, $"fsi: error: {error.Message}"), (exit, err));
        }
        Assert.False(Directory.Exists(dir.File("runs")));
        // The same values from the command line name the option and the key.
        Assert.Equal((1, "fsi: error: --tap-starts (landscape.tap_starts): -1 is outside 0..10000000 (0 skips the census)"),
            Run("run", "--tap-starts", "-1", "--runs-dir", dir.File("runs")));
        Assert.Equal((1, "fsi: error: --fit-max-iterations (fit.max_iterations): 0 must be at least 1"), Run("run", "--fit-steps", "0", "--runs-dir", dir.File("runs")));
        Assert.Equal((1, "fsi: error: --x-range (landscape.x_min/x_max): -1E+300:1E+300 must lie within ±1000"),
            Run("run", "--x-range", "-1e300:1e300", "--runs-dir", dir.File("runs")));
        Assert.False(Directory.Exists(dir.File("runs")));
    }

    [Fact]
    public void Sidecars_and_manifests_of_the_wrong_shape_are_errors_or_fresh_starts_not_crashes()
    {
        using var dir = new TempDirectory();
        new DataMoments([0.5, -0.5], [1, 0.1, 0.1, 1], 10, "test").Save(dir.File("m"));
        string sidecar = File.ReadAllText(dir.File("m.json"));
        File.WriteAllText(dir.File("m.json"), sidecar.Replace("\"count\": 10", "\"count\": \"ten\""));
        Assert.StartsWith($"{dir.File("m.json")}: not an fsi moments sidecar (", Assert.Throws<InputException>(() => DataMoments.Load(dir.File("m"))).Message);
        File.WriteAllText(dir.File("m.json"), "[1, 2]");
        Assert.Equal($"{dir.File("m.json")}: not an fsi moments sidecar (kind != fsi.moments)", Assert.Throws<InputException>(() => DataMoments.Load(dir.File("m"))).Message);

        File.WriteAllText(dir.File("manifest.json"), "{\"Stages\": [null]}");
        Assert.Empty(RunManifest.LoadOrNew(dir.File("manifest.json")).Stages);
        File.WriteAllText(dir.File("manifest.json"), "{\"Stages\": null, \"Versions\": null}");
        Assert.Empty(RunManifest.LoadOrNew(dir.File("manifest.json")).Stages);
    }

    [Fact]
    public void Messages_do_not_echo_runaway_input_or_name_options_the_command_lacks()
    {
        using var dir = new TempDirectory();
        string longField = new string('7', 700) + "x" + new string('7', 800);
        File.WriteAllText(dir.File("J.txt"), $"0 {longField}\n0 0\n");
        File.WriteAllText(dir.File("h.txt"), "0 0\n");
        var (exit, err) = Run("sample", "--couplings", dir.File("J.txt"), "--fields", dir.File("h.txt"), "--out", dir.File("s.npy"));
        Assert.Equal(1, exit);
        Assert.Equal($"fsi: error: {dir.File("J.txt")}: line 1: '{new string('7', 40)}… (1501 characters)' is not a number", err);

        // A frozen spin makes the connected correlations singular: mean-field inversion fails with a message that names
        // no option fsi fit lacks.
        Npy.Write<sbyte>(dir.File("spins.npy"), [1, 1, -1, 1, 1, -1, 1, -1, 1, 1, 1, 1], 4, 3);
        (exit, err) = Run("fit", "--spins", dir.File("spins.npy"), "--method", "mf", "--mc-samples", "0", "-o", dir.File("fit"));
        Assert.Equal(1, exit);
        Assert.Contains("is not positive definite", err);
        Assert.DoesNotContain("--ridge", err);

        Assert.Equal("--x-range: need XMIN < XMAX within ±1000, got -1E+300..1E+300",
            Assert.Throws<InputException>(() => new LandscapeSettings(-1e300, 1e300).Validate()).Message);
    }

    [Fact]
    public void Sidecars_of_the_wrong_type_sample_counts_that_overflow_and_an_unwritable_cache_are_handled()
    {
        using var dir = new TempDirectory();
        Npy.Write<sbyte>(dir.File("spins.npy"), [1, -1, 1, 1, 1, -1, -1, 1, 1, -1, -1, -1], 4, 3);
        ModelFile.Save(dir.File("init"), new IsingModel(new double[3], new double[9]), new { slice = new { start = "zero" } });
        var (exit, err) = Run("fit", "--spins", dir.File("spins.npy"), "--method", "mc", "--max-iter", "1", "--mc-samples", "0",
            "--init-model", dir.File("init"), "-o", dir.File("fit"));
        Assert.Equal((1, $"fsi: error: --init-model: {dir.File("init")}.json has no integer slice.start"), (exit, err));
        Assert.Equal((1, "fsi: error: --refine-max-iterations: -5 is outside 0..100000000 (see `fsi fit --help`)"),
            Run("fit", "--spins", dir.File("spins.npy"), "--refine", "mc", "--refine-iter", "-5"));
        Assert.StartsWith("--samples: 1 networks × 2147483647 samples × 675 weights are more spins than one array holds",
            Assert.Throws<InputException>(() => Ising.Studies.MeanFieldEvaluation.RequireSampleArray(1, int.MaxValue, 675)).Message);

        // The PCA cache only saves time: a cache directory that cannot be created is not the command's failure.
        using var data = new TempDirectory();
        data.SyntheticIdx(40, 10);
        File.WriteAllText(dir.File("plain"), "a file where the cache directory would go");
        var reduced = PcaCache.LoadOrCompute(IdxDataset.Load(data.Path), 3, dir.File("plain/cache"), out var outcome);
        Assert.Equal(PcaCacheOutcome.ComputedNotCached, outcome);
        Assert.Equal(3, reduced.Dimension);
    }

    [Fact]
    public void A_model_and_an_ensemble_of_different_networks_are_not_combined()
    {
        using var dir = new TempDirectory();
        var deep = Architecture.Deep;
        string ensemble = dir.File("deep.fsie");
        using (var writer = EnsembleWriter.Create(ensemble, Ensembles.EnsembleTestData.Header(deep)))
            writer.Write(Ensembles.EnsembleTestData.Chunk(0, 4, deep.WeightCount, seed: 3));
        int n = Architecture.Shallow.WeightCount;
        ModelFile.Save(dir.File("shallow"), new IsingModel(new double[n], new double[n * n]), new { kind = "fsi.model" });

        // The shallow model as a 20-10 network over the deep ensemble: refused, not the first 200 of 675 spins.
        var model = PartModels.FromModelFile(dir.File("shallow"), Architecture.Shallow, "FULL");
        Assert.Equal($"{ensemble}: holds 20-15-15-10 networks, but the model {dir.File("shallow")} is of a 20-10 network",
            Assert.Throws<InputException>(() => ReferenceSource.Ensemble(ensemble).Select(model, new ReferenceChoice(ReferenceRank.Lowest))).Message);
        foreach (string command in new[] { "landscape", "tap" })
        {
            var (exit, err) = Run(command, "--model", dir.File("shallow"), "--ensemble", ensemble, "--architecture", "20-10", "-o", dir.File(command));
            Assert.Equal((1, $"fsi: error: --architecture: 20-10, but the ensemble {ensemble} holds 20-15-15-10 networks"), (exit, err));
            // Without --architecture the ensemble's network is taken, and the model's size does not fit it.
            (exit, err) = Run(command, "--model", dir.File("shallow"), "--ensemble", ensemble, "-o", dir.File(command));
            Assert.Equal(1, exit);
            Assert.StartsWith($"fsi: error: --model: {dir.File("shallow")} has 200 spins; part FULL of 20-15-15-10 has 675", err);
        }
    }

    [Fact]
    public void A_run_directory_is_locked_against_a_second_run()
    {
        using var dir = new TempDirectory();
        using (DirectoryLock.Acquire(dir.Path, "fsi run"))
        {
            var error = Assert.Throws<InputException>(() => DirectoryLock.Acquire(dir.Path, "fsi run"));
            Assert.Equal($"{dir.Path}: another fsi run is using this directory (it holds .lock); wait for it to finish, or use another directory", error.Message);
        }
        using (DirectoryLock.Acquire(dir.Path, "fsi run")) { }   // released on dispose (and by the kernel when a holder dies)
    }

    [Fact]
    public void Dynamics_reports_references_whose_recorded_accuracy_it_does_not_reproduce()
    {
        var references = new[]
        {
            new ReferenceConfiguration("refs_El.txt row 0", [1, -1], -3, 0.8732),
            new ReferenceConfiguration("refs_El.txt row 1", [1, 1], -2, 0.5),
        };
        DynamicsTrajectory Trajectory(string label, double start) => new(label, [0, 2], [-1, -0.5], [start, 0.4], 0.3);
        DynamicsResult Result(double a, double b) => new([Trajectory("0", a), Trajectory("1", b)], [0, 2], [0, 0], [0, 0], [0, 0], [0, 0], 1);

        Assert.Null(ReferenceAccuracyCheck.Warning(references, Result(0.8735, 0.5)));
        Assert.Equal(new[] { ("refs_El.txt row 0", 0.8732, 0.0982) }, ReferenceAccuracyCheck.Mismatches(references, Result(0.0982, 0.5)));
        Assert.StartsWith("1 of 2 references: the test accuracy recorded with them differs from the one computed here by more than 0.001 " +
                          "(largest: refs_El.txt row 0, recorded 0.8732, computed 0.0982)", ReferenceAccuracyCheck.Warning(references, Result(0.0982, 0.5)));
    }
}
