using FunctionSpace.Ising.IO;

namespace FunctionSpace.Ising.Tests.IOTests; // not ".IO": that would shadow FunctionSpace.Ising.IO in sibling test namespaces

public class NpyTests
{
    [Fact]
    public void Round_trips_each_supported_type_with_its_shape()
    {
        using var dir = new TempDirectory();
        Npy.Write<double>(dir.File("d.npy"), new[] { 1.5, -2, 3, 4, 5, 6 }, 2, 3);
        Npy.Write<sbyte>(dir.File("s.npy"), new sbyte[] { 1, -1, 1 });
        Npy.Write<float>(dir.File("f.npy"), new[] { 0.25f });
        var d = Npy.Read(dir.File("d.npy"));
        Assert.Equal("<f8", d.Descr);
        Assert.Equal(new[] { 2, 3 }, d.Shape);
        Assert.Equal(new[] { 1.5, -2, 3, 4, 5, 6 }, d.As<double>());
        Assert.Equal(new sbyte[] { 1, -1, 1 }, Npy.Read(dir.File("s.npy")).As<sbyte>());
        Assert.Equal(new[] { 1.0, -1, 1 }, Npy.Read(dir.File("s.npy")).ToDoubles());
        Assert.Equal(new[] { 1 }, Npy.Read(dir.File("f.npy")).Shape);
    }

    [Fact]
    public void Header_is_padded_to_64_bytes_as_numpy_requires()
    {
        using var dir = new TempDirectory();
        Npy.Write<double>(dir.File("x.npy"), new double[7]);
        byte[] bytes = File.ReadAllBytes(dir.File("x.npy"));
        int headerLength = bytes[8] | bytes[9] << 8;
        Assert.Equal(0, (10 + headerLength) % 64);
        Assert.Equal((byte)'\n', bytes[10 + headerLength - 1]);
        Assert.Equal(10 + headerLength + 7 * 8, bytes.Length);
    }

    [Fact]
    public void Truncated_file_is_a_one_line_error()
    {
        using var dir = new TempDirectory();
        Npy.Write<double>(dir.File("x.npy"), new double[10]);
        byte[] bytes = File.ReadAllBytes(dir.File("x.npy"));
        File.WriteAllBytes(dir.File("x.npy"), bytes.AsSpan(0, bytes.Length - 8).ToArray());
        var e = Assert.Throws<InputException>(() => Npy.Read(dir.File("x.npy")));
        Assert.Equal($"{dir.File("x.npy")}: not a valid .npy file (body truncated: 72 of 80 bytes)", e.Message);
    }
}

public class AtomicFileTests
{
    [Fact]
    public void A_failed_write_leaves_the_previous_file_and_no_temporary()
    {
        using var dir = new TempDirectory();
        string path = dir.File("out.txt");
        AtomicFile.WriteAllText(path, "old");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write("partial"u8);
            throw new InvalidOperationException("crash mid-write");
        }));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(dir.Path));
    }
}

public class TextMatrixTests
{
    [Fact]
    public void Reads_numpy_savetxt_output()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("m.txt"), "1.000000000000000000e+00 -2.5e-01\n3 4\n");
        var (values, rows, columns) = TextMatrix.Read(dir.File("m.txt"));
        Assert.Equal((2, 2), (rows, columns));
        Assert.Equal(new[] { 1, -0.25, 3, 4 }, values);
    }

    [Fact]
    public void Ragged_rows_and_non_finite_values_are_rejected()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("r.txt"), "1 2\n3\n");
        Assert.Equal($"{dir.File("r.txt")}: line 2 has 1 values, expected 2",
            Assert.Throws<InputException>(() => TextMatrix.Read(dir.File("r.txt"))).Message);
        File.WriteAllText(dir.File("n.txt"), "1 nan\n");
        Assert.Equal($"{dir.File("n.txt")}: line 1: value 'nan' is not finite",
            Assert.Throws<InputException>(() => TextMatrix.Read(dir.File("n.txt"))).Message);
    }
}
