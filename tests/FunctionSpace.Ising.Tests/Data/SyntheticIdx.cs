using System.Buffers.Binary;

namespace FunctionSpace.Ising.Tests.Data;

/// <summary>Writes a small random IDX dataset (8x8 images, labels 0-9) for tests.</summary>
internal static class SyntheticIdx
{
    public static void Write(string directory, int train, int test, int seed)
    {
        var random = new Random(seed);
        WritePair(directory, "train", train, random);
        WritePair(directory, "t10k", test, random);
    }

    private static void WritePair(string directory, string prefix, int count, Random random)
    {
        const int side = 8;
        var images = new byte[16 + count * side * side];
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(0), 0x803);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(8), side);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(12), side);
        var labels = new byte[8 + count];
        BinaryPrimitives.WriteInt32BigEndian(labels.AsSpan(0), 0x801);
        BinaryPrimitives.WriteInt32BigEndian(labels.AsSpan(4), count);
        for (int i = 0; i < count; i++)
        {
            int label = random.Next(10);
            labels[8 + i] = (byte)label;
            for (int p = 0; p < side * side; p++)
                images[16 + i * side * side + p] = (byte)Math.Clamp(40 * label * (p % (label + 2)) % 256 + random.Next(30), 0, 255);
        }
        File.WriteAllBytes(Path.Combine(directory, $"{prefix}-images-idx3-ubyte"), images);
        File.WriteAllBytes(Path.Combine(directory, $"{prefix}-labels-idx1-ubyte"), labels);
    }
}

internal static class SyntheticIdxExtensions
{
    /// <summary>Fills the directory with a synthetic IDX dataset.</summary>
    public static void SyntheticIdx(this TempDirectory directory, int train, int test, int seed = 1) =>
        Data.SyntheticIdx.Write(directory.Path, train, test, seed);
}
