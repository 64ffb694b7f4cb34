using FunctionSpace.Ising.Cli;

namespace FunctionSpace.Ising.Tests.Theory;

public class TheoryCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliApp.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void SparseWritesItsFiguresAndTheTransition()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"fsi-theory-{Guid.NewGuid():N}");
        try
        {
            var (code, _, err) = Run("theory", "sparse", "--out", dir, "--points", "11", "--layers", "20", "--quiet");
            Assert.True(code == 0, err);
            foreach (string file in new[] { "stationary.csv", "stationary.png", "internal_error.csv", "internal_error.png" })
                Assert.True(File.Exists(Path.Combine(dir, file)), file);
            var (headers, rows) = FunctionSpace.Ising.Reporting.CsvTable.Read(Path.Combine(dir, "stationary.csv"));
            Assert.Equal("m_inf_closed_form", headers[5]);
            Assert.Equal(11, rows.Count);
            // p = 0.05 is row 1 of the 11-point grid on [0, 0.5]: the recursion meets the closed form.
            Assert.Equal(double.Parse(rows[1][5], System.Globalization.CultureInfo.InvariantCulture),
                         double.Parse(rows[1][2], System.Globalization.CultureInfo.InvariantCulture), 9);
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    [Fact]
    public void BooleanWritesTheDistribution()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"fsi-theory-{Guid.NewGuid():N}");
        try
        {
            var (code, stdout, err) = Run("theory", "boolean", "--gate", "and", "--k", "2", "--layers", "3", "--p", "0", "--out", dir, "--quiet");
            Assert.True(code == 0, err);
            Assert.Contains("H^0 = 1.000", stdout);
            var (headers, rows) = FunctionSpace.Ising.Reporting.CsvTable.Read(Path.Combine(dir, "distribution.csv"));
            Assert.Equal(3 + 16, headers.Length);
            Assert.Equal(4, rows.Count);
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    [Fact]
    public void DenseBooleanWritesTheoryAndSimulation()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"fsi-theory-{Guid.NewGuid():N}");
        try
        {
            var (code, stdout, err) = Run("theory", "boolean", "--model", "dense", "--layers", "3", "--width", "31", "--networks", "4", "--out", dir, "--quiet");
            Assert.True(code == 0, err);
            Assert.Contains("sign, with constants: H = 2.5408 →", stdout);
            Assert.Contains("recurrent vs layered (N = 31)", stdout);
            foreach (string file in new[] { "dense_distribution.csv", "dense_classes.csv", "dense_summary.csv", "dense_entropy.png", "dense_constant.png",
                "dense_parity.png", "dense_sensitivity.png", "dense_classes_L1.png", "dense_classes_L3.png", "dense_recurrent.png" })
                Assert.True(File.Exists(Path.Combine(dir, file)), file);
            var (headers, rows) = FunctionSpace.Ising.Reporting.CsvTable.Read(Path.Combine(dir, "dense_distribution.csv"));
            Assert.Equal(["activation", "constants", "layer", "function", "name", "p_theory", "p_theory_error", "p_N31", "p_stderr_N31", "p_recurrent_N31", "p_recurrent_stderr_N31"], headers);
            Assert.Equal(4 * 3 * 16, rows.Count);
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    [Fact]
    public void DenseBooleanRejectsAnEvenBinaryWidth()
    {
        var (code, _, err) = Run("theory", "boolean", "--model", "dense", "--weights", "binary", "--width", "64", "--out", Path.GetTempPath());
        Assert.Equal(CliApp.ExitBadInput, code);
        Assert.Equal("fsi: error: --width: 64 must be odd with binary weights (an even number of ±1 terms can sum to zero)", err.Trim());
    }

    [Fact]
    public void BadBetaIsAOneLineError()
    {
        var (code, _, err) = Run("theory", "dense", "--beta", "hot", "--out", Path.GetTempPath());
        Assert.Equal(CliApp.ExitBadInput, code);
        Assert.Equal("fsi: error: --beta: 'hot' is not a positive number or 'inf'", err.Trim());
    }

    [Fact]
    public void UnknownGateIsAOneLineError()
    {
        var (code, _, err) = Run("theory", "boolean", "--gate", "imp", "--out", Path.GetTempPath());
        Assert.Equal(CliApp.ExitBadInput, code);
        Assert.Equal("fsi: error: --gate: 'imp' is not one of maj, and, or, xor, nand, nor", err.Trim());
    }
}
