using System.Buffers.Binary;
using System.IO.Compression;
using FunctionSpace.Ising.Data;

namespace FunctionSpace.Ising.Tests.Data;

public class IdxReaderTests
{
    private static byte[] ImagesFile(int count, int rows, int columns, int bodyBytes, int magic = IdxReader.ImagesMagic)
    {
        var bytes = new byte[16 + bodyBytes];
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(0), magic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), columns);
        for (int i = 0; i < bodyBytes; i++) bytes[16 + i] = (byte)(i * 7);
        return bytes;
    }

    private static byte[] LabelsFile(params byte[] labels)
    {
        var bytes = new byte[8 + labels.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(0), IdxReader.LabelsMagic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), labels.Length);
        labels.CopyTo(bytes, 8);
        return bytes;
    }

    private static byte[] Gzip(byte[] raw)
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest)) gz.Write(raw);
        return output.ToArray();
    }

    [Fact]
    public void Reads_raw_and_gzipped_images_identically()
    {
        using var dir = new TempDirectory();
        byte[] raw = ImagesFile(3, 2, 2, 12);
        File.WriteAllBytes(dir.File("a"), raw);
        File.WriteAllBytes(dir.File("a.gz"), Gzip(raw));
        var plain = IdxReader.ReadImages(dir.File("a"));
        var zipped = IdxReader.ReadImages(dir.File("a.gz"));
        Assert.Equal((3, 2, 2), (plain.Count, plain.Rows, plain.Columns));
        Assert.Equal(raw.AsSpan(16).ToArray(), plain.Pixels);
        Assert.Equal(plain.Pixels, zipped.Pixels);
    }

    [Fact]
    public void Missing_file_is_named()
    {
        using var dir = new TempDirectory();
        string path = dir.File("nope-idx3-ubyte");
        var e = Assert.Throws<InputException>(() => IdxReader.ReadImages(path));
        Assert.Equal($"{path}: file not found", e.Message);
    }

    [Fact]
    public void Wrong_magic_is_reported_with_both_values()
    {
        using var dir = new TempDirectory();
        string path = dir.File("labels-as-images");
        File.WriteAllBytes(path, LabelsFile(1, 2, 3));
        var e = Assert.Throws<InputException>(() => IdxReader.ReadImages(path));
        Assert.Equal($"{path}: wrong magic number 0x00000801, expected 0x00000803 (IDX images)", e.Message);
    }

    [Fact]
    public void Truncated_image_body_is_reported_with_sizes()
    {
        using var dir = new TempDirectory();
        string path = dir.File("short.gz");
        File.WriteAllBytes(path, Gzip(ImagesFile(10, 28, 28, 7000)));
        var e = Assert.Throws<InputException>(() => IdxReader.ReadImages(path));
        Assert.Equal($"{path}: truncated body: 10 images of 28x28 need 7840 bytes, found 7000", e.Message);
    }

    [Fact]
    public void Truncated_label_body_is_reported()
    {
        using var dir = new TempDirectory();
        string path = dir.File("labels");
        byte[] file = LabelsFile(1, 2, 3, 4);
        File.WriteAllBytes(path, file.AsSpan(0, file.Length - 2).ToArray());
        var e = Assert.Throws<InputException>(() => IdxReader.ReadLabels(path));
        Assert.Equal($"{path}: truncated body: 4 labels need 4 bytes, found 2", e.Message);
    }

    [Fact]
    public void Truncated_gzip_stream_is_reported()
    {
        using var dir = new TempDirectory();
        string path = dir.File("cut.gz");
        byte[] gz = Gzip(ImagesFile(50, 28, 28, 50 * 784));
        File.WriteAllBytes(path, gz.AsSpan(0, gz.Length / 2).ToArray());
        var e = Assert.Throws<InputException>(() => IdxReader.ReadImages(path));
        Assert.StartsWith($"{path}: ", e.Message);
        Assert.True(e.Message.Contains("truncated body") || e.Message.Contains("corrupt gzip stream"), e.Message);
    }

    [Fact]
    public void Label_out_of_range_is_reported_with_index()
    {
        using var dir = new TempDirectory();
        string path = dir.File("labels");
        File.WriteAllBytes(path, LabelsFile(3, 9, 12, 0));
        var e = Assert.Throws<InputException>(() => IdxReader.ReadLabels(path));
        Assert.Equal($"{path}: label 12 at index 2 is out of range 0-9", e.Message);
    }

    [Fact]
    public void Image_label_count_mismatch_is_reported()
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("train-images-idx3-ubyte"), ImagesFile(3, 2, 2, 12));
        File.WriteAllBytes(dir.File("train-labels-idx1-ubyte"), LabelsFile(1, 2));
        File.WriteAllBytes(dir.File("t10k-images-idx3-ubyte"), ImagesFile(2, 2, 2, 8));
        File.WriteAllBytes(dir.File("t10k-labels-idx1-ubyte"), LabelsFile(1, 2));
        var e = Assert.Throws<InputException>(() => IdxDataset.Load(dir.Path));
        Assert.Equal($"{dir.File("train-images-idx3-ubyte")}: 3 images but train-labels-idx1-ubyte has 2 labels", e.Message);
    }

    [Fact]
    public void A_user_directory_of_raw_files_loads()
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("train-images-idx3-ubyte"), ImagesFile(3, 2, 2, 12));
        File.WriteAllBytes(dir.File("train-labels-idx1-ubyte"), LabelsFile(1, 2, 3));
        File.WriteAllBytes(dir.File("t10k-images-idx3-ubyte.gz"), Gzip(ImagesFile(2, 2, 2, 8)));
        File.WriteAllBytes(dir.File("t10k-labels-idx1-ubyte.gz"), Gzip(LabelsFile(9, 0)));
        var data = IdxDataset.Load(dir.Path);
        Assert.Equal(3, data.Train.Count);
        Assert.Equal(new byte[] { 9, 0 }, data.Test.Labels);
        Assert.False(data.IsEmbeddedMnist);
    }

    [Fact]
    public void Missing_member_of_a_dataset_is_named()
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<InputException>(() => IdxDataset.Load(dir.Path));
        Assert.Equal($"{dir.File("train-images-idx3-ubyte.gz")}: file not found (nor train-images-idx3-ubyte uncompressed)", e.Message);
    }

    [Fact]
    public void Checksum_mismatch_on_the_embedded_copy_is_reported()
    {
        using var dir = new TempDirectory();
        string source = IdxDataset.LocateEmbeddedMnist();
        foreach (string file in Directory.GetFiles(source, "*.gz")) File.Copy(file, dir.File(Path.GetFileName(file)));
        string victim = dir.File("t10k-labels-idx1-ubyte.gz");
        byte[] bytes = File.ReadAllBytes(victim);
        bytes[^10] ^= 0x01;
        File.WriteAllBytes(victim, bytes);
        var e = Assert.Throws<InputException>(() => IdxDataset.Load(dir.Path, embedded: true));
        Assert.StartsWith($"{victim}: checksum mismatch (SHA-256 ", e.Message);
        Assert.EndsWith("expected b91679a0acfe…); the file is corrupt or not the published one", e.Message);
    }

    [Fact]
    public void Embedded_mnist_matches_its_published_facts()
    {
        var data = IdxDataset.LoadEmbeddedMnist();
        Assert.True(data.IsEmbeddedMnist);
        Assert.Equal(60000, data.Train.Count);
        Assert.Equal(10000, data.Test.Count);
        Assert.Equal(new byte[] { 5, 0, 4, 1, 9, 2, 1, 3, 1, 4 }, data.Train.Labels.Take(10).ToArray());
        Assert.Equal(new byte[] { 7, 2, 1, 0, 4, 1, 4, 9, 5, 9 }, data.Test.Labels.Take(10).ToArray());
        Assert.Equal(new[] { 5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949 }, data.Train.ClassCounts());
    }
}
