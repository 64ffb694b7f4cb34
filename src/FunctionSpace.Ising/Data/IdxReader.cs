using System.Buffers.Binary;
using System.IO.Compression;

namespace FunctionSpace.Ising.Data;

/// <summary>Images from an IDX file: <see cref="Count"/> images of <see cref="Rows"/>×<see cref="Columns"/> bytes, row-major.</summary>
/// <param name="Count">Number of images.</param>
/// <param name="Rows">Pixel rows per image.</param>
/// <param name="Columns">Pixel columns per image.</param>
/// <param name="Pixels">All pixels, image after image (Count × Rows × Columns bytes).</param>
public sealed record IdxImages(int Count, int Rows, int Columns, byte[] Pixels)
{
    /// <summary>Pixels per image.</summary>
    public int PixelsPerImage => Rows * Columns;
}

/// <summary>
/// Reader for the IDX format of LeCun's MNIST distribution (and datasets that copy it, such as
/// Fashion-MNIST): a big-endian magic number (0x00000803 for images, 0x00000801 for labels), the
/// dimension sizes as big-endian int32, then unsigned bytes. Files may be gzip-compressed.
/// Every malformed file raises an <see cref="InputException"/> whose one-line message names the file.
/// </summary>
public static class IdxReader
{
    /// <summary>Magic number of an IDX file of unsigned-byte images (three dimensions).</summary>
    public const int ImagesMagic = 0x00000803;

    /// <summary>Magic number of an IDX file of unsigned-byte labels (one dimension).</summary>
    public const int LabelsMagic = 0x00000801;

    /// <summary>Reads an image file.</summary>
    public static IdxImages ReadImages(string path)
    {
        byte[] bytes = ReadAllBytes(path);
        RequireMagic(path, bytes, ImagesMagic, "images");
        if (bytes.Length < 16) throw new InputException($"{path}: truncated header ({bytes.Length} of 16 bytes)");
        int count = ReadDimension(path, bytes, 4, "image count");
        int rows = ReadDimension(path, bytes, 8, "row count");
        int columns = ReadDimension(path, bytes, 12, "column count");
        if (count == 0) throw new InputException($"{path}: holds no images");
        if (rows == 0 || columns == 0) throw new InputException($"{path}: images of {rows}x{columns} pixels have no pixels");
        long expected = (long)count * rows * columns;
        long available = bytes.Length - 16L;
        if (available < expected)
            throw new InputException($"{path}: truncated body: {count} images of {rows}x{columns} need {expected} bytes, found {available}");
        if (available > expected)
            throw new InputException($"{path}: {available - expected} unexpected bytes after {count} images of {rows}x{columns}");
        return new IdxImages(count, rows, columns, bytes.AsSpan(16).ToArray());
    }

    /// <summary>Reads a label file; every label must lie in [0, <paramref name="classes"/>).</summary>
    public static byte[] ReadLabels(string path, int classes = 10)
    {
        byte[] bytes = ReadAllBytes(path);
        RequireMagic(path, bytes, LabelsMagic, "labels");
        if (bytes.Length < 8) throw new InputException($"{path}: truncated header ({bytes.Length} of 8 bytes)");
        int count = ReadDimension(path, bytes, 4, "label count");
        if (count == 0) throw new InputException($"{path}: holds no labels");
        long available = bytes.Length - 8L;
        if (available < count)
            throw new InputException($"{path}: truncated body: {count} labels need {count} bytes, found {available}");
        if (available > count)
            throw new InputException($"{path}: {available - count} unexpected bytes after {count} labels");
        byte[] labels = bytes.AsSpan(8).ToArray();
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] >= classes)
                throw new InputException($"{path}: label {labels[i]} at index {i} is out of range 0-{classes - 1}");
        }
        return labels;
    }

    /// <summary>The file's bytes, decompressed if it starts with the gzip signature.</summary>
    public static byte[] ReadAllBytes(string path)
    {
        IO.InputFile.Require(path);
        byte[] raw = File.ReadAllBytes(path);
        if (raw.Length >= 2 && raw[0] == 0x1f && raw[1] == 0x8b)
        {
            try
            {
                using var gzip = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
                using var output = new MemoryStream(raw.Length * 4);
                gzip.CopyTo(output);
                return output.ToArray();
            }
            catch (InvalidDataException e)
            {
                throw new InputException($"{path}: corrupt gzip file ({GzipDiagnosis(raw)})", e);
            }
        }
        return raw;
    }

    /// <summary>
    /// What is wrong with a gzip file the decompressor refused: zlib reports a bad CRC-32 or length trailer and invalid
    /// deflate data alike (.NET's message for both is "unsupported compression method"), so the member is inflated
    /// again here without the trailer check and the trailer (RFC 1952: CRC-32 and size of the data, little-endian)
    /// compared by hand.
    /// </summary>
    internal static string GzipDiagnosis(byte[] raw)
    {
        if (raw.Length < 18) return "shorter than a gzip header and trailer";
        if (raw[2] != 8) return $"compression method {raw[2]} is not deflate";
        int flags = raw[3], at = 10;
        try
        {
            if ((flags & 4) != 0) at += 2 + BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan(at));   // FEXTRA
            if ((flags & 8) != 0) at = Array.IndexOf(raw, (byte)0, at) + 1;                              // FNAME
            if ((flags & 16) != 0) at = Array.IndexOf(raw, (byte)0, at) + 1;                             // FCOMMENT
            if ((flags & 2) != 0) at += 2;                                                                // FHCRC
            if (at <= 0 || at > raw.Length - 8) return "truncated header";
            using var deflate = new DeflateStream(new MemoryStream(raw, at, raw.Length - at), CompressionMode.Decompress);
            using var data = new MemoryStream();
            deflate.CopyTo(data);
            var trailer = raw.AsSpan(raw.Length - 8);
            uint crc = Ensembles.Crc32.Compute(data.GetBuffer().AsSpan(0, (int)data.Length));
            if (crc != BinaryPrimitives.ReadUInt32LittleEndian(trailer))
                return $"CRC-32 mismatch: the data checksums to {crc:x8}, the trailer records {BinaryPrimitives.ReadUInt32LittleEndian(trailer):x8}";
            if ((uint)data.Length != BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]))
                return $"length mismatch: {data.Length} bytes of data, the trailer records {BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..])}";
            return "invalid gzip structure";
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or IOException)
        {
            return "the compressed data is invalid (not a deflate stream, or cut short)";
        }
    }

    private static void RequireMagic(string path, byte[] bytes, int magic, string kind)
    {
        if (bytes.Length < 4) throw new InputException($"{path}: truncated header ({bytes.Length} bytes, no magic number)");
        int found = BinaryPrimitives.ReadInt32BigEndian(bytes);
        if (found != magic)
            throw new InputException($"{path}: wrong magic number 0x{found:x8}, expected 0x{magic:x8} (IDX {kind})");
    }

    private static int ReadDimension(string path, byte[] bytes, int offset, string what)
    {
        int value = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(offset));
        if (value < 0) throw new InputException($"{path}: negative {what} {value}");
        return value;
    }
}
