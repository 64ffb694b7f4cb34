using FunctionSpace.Ising.Tests.Cli;
using FunctionSpace.Ising.Tests.Data;

namespace FunctionSpace.Ising.Tests.Docs;

/// <summary>
/// docs/python: the numpy reader (fsi_reader.py) and the walkthrough, run by the Debian python3 against a
/// small run of the real pipeline (synthetic 8×8 images, the shallow network at k = 4: 40 spins).
/// </summary>
public sealed class PythonReaderTests(PythonReaderTests.SmallRun run) : IClassFixture<PythonReaderTests.SmallRun>
{
    /// <summary>
    /// One ensemble of three chunks (6 networks in blocks of 2, 10 samples each), and a run continued from it.
    /// </summary>
    public sealed class SmallRun : IDisposable
    {
        private readonly TempDirectory _root = new();

        public SmallRun()
        {
            if (PythonEnvironment.PythonWithNumpy is null) return;
            string data = Directory.CreateDirectory(_root.File("data")).FullName, cache = _root.File("cache");
            Data.SyntheticIdx.Write(data, train: 300, test: 80, seed: 1);
            Ensemble = _root.File("e.fsie");
            var collect = CliHarness.Run("collect", "--data-dir", data, "-k", "4", "--cache-dir", cache, "--scenario", "shallow",
                "--networks", "6", "--block", "2", "--samples", "10", "--epochs", "1", "--train-count", "300", "--seed", "5",
                "--created", "0", "--quiet", "--out", Ensemble);
            Assert.True(collect.Exit == 0, collect.Err);
            var pipeline = CliHarness.Run("run", "--from-ensembles", Ensemble, "--scenario", "shallow", "--data-dir", data, "-k", "4",
                "--cache-dir", cache, "--fit-max-iterations", "20", "--points", "8", "--tap-starts", "8", "--dynamics-sweeps", "6", "--seed", "7",
                "--runs-dir", _root.File("runs"), "--name", "small", "--quiet");
            Assert.True(pipeline.Exit == 0, pipeline.Err);
            RunDirectory = _root.File(Path.Combine("runs", "small"));
        }

        public string Ensemble { get; } = "";
        public string RunDirectory { get; } = "";
        public string Scratch(string name) => Directory.CreateDirectory(_root.File(name)).FullName;
        public void Dispose() => _root.Dispose();
    }

    private static string DocsPython => Path.Combine(PythonEnvironment.RepositoryRoot(), "docs", "python");

    [PythonFact]
    public void The_walkthrough_loads_every_output_of_a_run_checks_it_and_redraws_the_figures()
    {
        string figures = run.Scratch("figures");
        int files = Directory.GetFiles(run.RunDirectory, "*", SearchOption.AllDirectories).Length;
        var (exit, stdout, stderr) = PythonEnvironment.Run(PythonEnvironment.PythonWithNumpy!,
            [Path.Combine(DocsPython, "walkthrough.py"), run.RunDirectory, "--figures", figures], null);

        Assert.True(exit == 0, $"walkthrough exited {exit}:\n{stderr}\n{stdout}");
        Assert.Contains($"loaded {files} files from {run.RunDirectory}", stdout);
        // The moments recomputed in Python from the decoded bit-packed spins equal the tool's (to 1e-9).
        Assert.Contains("[shallow] moments: m, <s_i s_j>, triplets recomputed from the decoded spins agree", stdout);
        Assert.Contains("[shallow] ensemble: 60 configurations x 40 spins from 6 networks", stdout);
        Assert.Contains("all checks passed", stdout);
        // numpy's own loader reads the run's plain tables (the dynamics ids, histograms, landscapes, fits among them).
        var numpy = System.Text.RegularExpressions.Regex.Match(stdout, @"numpy.genfromtxt reads (\d+) tables to the same numbers");
        Assert.True(numpy.Success && int.Parse(numpy.Groups[1].Value) >= 10, stdout);
        if (PythonEnvironment.HasMatplotlib)
        {
            // A fit that starts within its tolerance (here 6 networks: the independent model is already at the noise)
            // takes no learning step and writes no learning curve; the walkthrough then says so instead of drawing one.
            bool curves = Directory.EnumerateFiles(run.RunDirectory, "*.rmse.csv", SearchOption.AllDirectories).Any();
            if (!curves) Assert.Contains("[shallow] fits: no learning curves", stdout);
            foreach (string name in new[] { "accuracy", "fit_rmse", "landscape", "dynamics" }.Where(n => curves || n != "fit_rmse"))
            {
                string png = Path.Combine(figures, $"shallow_{name}.png");
                Assert.True(File.Exists(png), $"{png} missing:\n{stdout}");
                Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(png)[..4]);
            }
        }
        else
        {
            Assert.Contains("matplotlib is not installed: plots skipped", stdout);
        }
    }

    [PythonFact]
    public void Numeric_tables_load_with_numpy_loadtxt_and_name_configurations_by_integer_index()
    {
        // numpy.loadtxt needs every used column numeric and no '#' anywhere before the data it keeps.
        const string script = """
            import sys, glob, json, numpy as np
            run = sys.argv[1]
            traj = run + "/shallow/dynamics/dynamics_trajectories.csv"
            header = open(traj).readline().strip().split(",")
            assert header == ["reference_index", "source", "sweep", "energy", "accuracy", "acceptance_rate"], header
            numbers = np.loadtxt(traj, delimiter=",", skiprows=1, usecols=(0, 2, 3, 4, 5))
            assert numbers.shape[0] > 0 and np.all(numbers[:, 0] == np.round(numbers[:, 0])), numbers[:, 0]
            assert numbers[:, 0].min() >= 0 and numbers[:, 0].max() < 60, numbers[:, 0]
            sources = np.loadtxt(traj, delimiter=",", skiprows=1, usecols=1, dtype=str)
            assert set(sources) == {"ensemble"}, set(sources)
            table = np.loadtxt(run + "/shallow/dynamics/energy_accuracy.csv", delimiter=",", skiprows=1, usecols=(0, 2, 3))
            assert sorted(table[:, 0].astype(int)) == list(range(60)), table[:, 0]
            hists = glob.glob(run + "/shallow/**/*hist*.csv", recursive=True)
            assert len(hists) >= 5, hists
            for path in hists:
                assert open(path).readline().strip() == "bin_low,bin_high,bin_centre,count", path
                h = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
                if h.size:
                    assert np.allclose(h[:, 2], (h[:, 0] + h[:, 1]) / 2) and np.all(h[:, 1] > h[:, 0]), path
            for path in glob.glob(run + "/shallow/landscape/*/landscape.csv"):
                damping = np.genfromtxt(path, delimiter=",", names=True, dtype=None, encoding="utf-8")["damping"]
                assert damping.dtype.kind == "f", (path, damping.dtype)
            manifest = json.load(open(run + "/manifest.json"))
            assert manifest["format_version"] == 2 and "input_key" in manifest["stages"][0], sorted(manifest)
            print("numpy ok", len(hists))
            """;
        var (exit, stdout, stderr) = PythonEnvironment.Run(PythonEnvironment.PythonWithNumpy!, ["-c", script, run.RunDirectory], null);
        Assert.True(exit == 0, $"python exited {exit}:\n{stderr}\n{stdout}");
        Assert.StartsWith("numpy ok ", stdout);
    }

    [PythonFact]
    public void The_reader_decodes_what_the_tool_exports_and_names_a_corrupt_or_torn_chunk()
    {
        string work = run.Scratch("reader");
        var export = CliHarness.Run("ensemble", "export", run.Ensemble, "--out", Path.Combine(work, "spins.npy"),
            "--accuracies", Path.Combine(work, "acc.npy"), "--quiet");
        Assert.True(export.Exit == 0, export.Err);

        // Chunk k of the three starts where chunk k-1 ends; corrupt one byte of the last payload, then cut the
        // file inside the last chunk: the reader names the chunk, and with allow_torn_tail keeps the first two.
        const string script = """
            import sys, numpy as np
            sys.path.insert(0, sys.argv[1])
            import fsi_reader as r
            path, work = sys.argv[2], sys.argv[3]
            e = r.read_ensemble(path)
            assert np.array_equal(e.spins, np.load(work + "/spins.npy")), "spins differ from fsi ensemble export"
            assert np.array_equal(e.accuracy, np.load(work + "/acc.npy")), "accuracies differ from fsi ensemble export"
            chunks = list(r.iter_chunks(path))
            assert [c.block for c in chunks] == [0, 1, 2], [c.block for c in chunks]
            assert sorted(set(e.network_id.tolist())) == list(range(6)), e.network_id
            assert e.slices == {"FULL": (0, 40)}, e.slices
            data = bytearray(open(path, "rb").read())
            last = chunks[-1].offset
            corrupt = bytearray(data); corrupt[last + 20] ^= 0xFF
            open(work + "/corrupt.fsie", "wb").write(corrupt)
            try:
                r.read_ensemble(work + "/corrupt.fsie"); raise SystemExit("corrupt chunk not detected")
            except r.EnsembleError as error:
                assert str(error).endswith(f"chunk 2 at byte {last} is corrupt (checksum mismatch)"), str(error)
            open(work + "/torn.fsie", "wb").write(data[: last + 30])
            try:
                r.read_ensemble(work + "/torn.fsie"); raise SystemExit("torn chunk not detected")
            except r.EnsembleError as error:
                assert str(error).endswith(f"chunk 2 at byte {last} is truncated (torn write)"), str(error)
            kept = r.read_ensemble(work + "/torn.fsie", allow_torn_tail=True)
            first_two = chunks[0].count + chunks[1].count
            assert np.array_equal(kept.spins, e.spins[:first_two]) and kept.torn_tail is not None
            print("reader ok", len(e), first_two)
            """;
        var (exit, stdout, stderr) = PythonEnvironment.Run(PythonEnvironment.PythonWithNumpy!,
            ["-c", script, DocsPython, run.Ensemble, work], null);
        Assert.True(exit == 0, $"python exited {exit}:\n{stderr}\n{stdout}");
        Assert.StartsWith("reader ok 60 ", stdout);
    }
}
