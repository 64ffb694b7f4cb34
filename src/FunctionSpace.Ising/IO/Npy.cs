using System.Runtime.InteropServices;
using System.Text;

namespace FunctionSpace.Ising.IO;

/// <summary>An array read from a NumPy <c>.npy</c> file: its element type code, shape and raw bytes.</summary>
/// <param name="Descr">NumPy type descriptor, e.g. <c>&lt;f8</c>, <c>|i1</c>.</param>
/// <param name="Shape">Dimensions, C (row-major) order.</param>
/// <param name="Data">Little-endian element bytes.</param>
public sealed record NpyArray(string Descr, int[] Shape, byte[] Data)
{
    /// <summary>Number of elements (product of the shape).</summary>
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>The elements converted to double, whatever the stored numeric type.</summary>
    public double[] ToDoubles()
    {
        var result = new double[Count];
        switch (Descr)
        {
            case "<f8": MemoryMarshal.Cast<byte, double>(Data).CopyTo(result); break;
            case "<f4": { var s = MemoryMarshal.Cast<byte, float>(Data); for (int i = 0; i < s.Length; i++) result[i] = s[i]; break; }
            case "|i1": { var s = MemoryMarshal.Cast<byte, sbyte>(Data); for (int i = 0; i < s.Length; i++) result[i] = s[i]; break; }
            case "|u1": for (int i = 0; i < Data.Length; i++) result[i] = Data[i]; break;
            case "<i4": { var s = MemoryMarshal.Cast<byte, int>(Data); for (int i = 0; i < s.Length; i++) result[i] = s[i]; break; }
            case "<i8": { var s = MemoryMarshal.Cast<byte, long>(Data); for (int i = 0; i < s.Length; i++) result[i] = s[i]; break; }
            default: throw new InvalidOperationException($"unsupported .npy dtype '{Descr}'");
        }
        return result;
    }

    /// <summary>The elements reinterpreted as <typeparamref name="T"/>; the stored type must match.</summary>
    public T[] As<T>() where T : unmanaged
    {
        string expected = Npy.DescrOf<T>();
        if (expected != Descr) throw new InvalidOperationException($".npy dtype is '{Descr}', not '{expected}'");
        return MemoryMarshal.Cast<byte, T>(Data).ToArray();
    }
}

/// <summary>
/// Reader and writer for NumPy's <c>.npy</c> format (version 1.0, C order, little-endian), so that
/// ensembles, moments and fitted models open directly with <c>numpy.load</c>.
/// </summary>
public static class Npy
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>The NumPy descriptor of a supported element type.</summary>
    public static string DescrOf<T>() where T : unmanaged => typeof(T) switch
    {
        var t when t == typeof(double) => "<f8",
        var t when t == typeof(float) => "<f4",
        var t when t == typeof(sbyte) => "|i1",
        var t when t == typeof(byte) => "|u1",
        var t when t == typeof(int) => "<i4",
        var t when t == typeof(long) => "<i8",
        _ => throw new NotSupportedException($"no .npy descriptor for {typeof(T)}"),
    };

    /// <summary>Writes an array atomically; <paramref name="shape"/> defaults to one dimension.</summary>
    public static void Write<T>(string path, ReadOnlySpan<T> data, params int[] shape) where T : unmanaged
    {
        byte[] bytes = MemoryMarshal.AsBytes(data).ToArray();
        int[] dims = shape.Length == 0 ? [data.Length] : shape;
        AtomicFile.Write(path, stream => Write(stream, DescrOf<T>(), dims, bytes));
    }

    /// <summary>Writes a header and raw element bytes to a stream.</summary>
    public static void Write(Stream stream, string descr, int[] shape, ReadOnlySpan<byte> data)
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        int elementSize = ElementSize(descr);
        if (count * elementSize != data.Length)
            throw new ArgumentException($"shape ({string.Join(",", shape)}) does not match {data.Length} bytes of {descr}");
        WriteHeader(stream, descr, shape);
        stream.Write(data);
    }

    /// <summary>Writes only the header, for callers that stream the body afterwards.</summary>
    public static void WriteHeader(Stream stream, string descr, int[] shape)
    {
        string shapeText = shape.Length == 1 ? $"({shape[0]},)" : $"({string.Join(", ", shape)})";
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shapeText}, }}";
        // Header length (magic 6 + version 2 + length 2 + dict + '\n') padded to a multiple of 64.
        int unpadded = 10 + dict.Length + 1;
        int padded = (unpadded + 63) / 64 * 64;
        string header = dict + new string(' ', padded - unpadded) + "\n";
        stream.Write(Magic);
        stream.WriteByte(1);
        stream.WriteByte(0);
        stream.WriteByte((byte)(header.Length & 0xff));
        stream.WriteByte((byte)(header.Length >> 8));
        stream.Write(Encoding.ASCII.GetBytes(header));
    }

    /// <summary>Reads a <c>.npy</c> file; malformed files raise an <see cref="InputException"/> naming the file.</summary>
    public static NpyArray Read(string path)
    {
        InputFile.Require(path);
        using var stream = File.OpenRead(path);
        try
        {
            return Read(stream);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            throw new InputException($"{path}: not a valid .npy file ({e.Message})", e);
        }
    }

    /// <summary>Largest header accepted (NumPy writes a few hundred bytes; a header of megabytes is not a .npy header).</summary>
    private const int MaxHeaderBytes = 1 << 20;

    /// <summary>
    /// Reads a <c>.npy</c> array from a stream. The header is checked before anything is allocated: every dimension must
    /// be a non-negative integer, and the body the shape implies must fit in one array and, for a seekable stream, in
    /// the bytes that remain (so a header claiming 2^40 elements is an error, not an allocation).
    /// </summary>
    public static NpyArray Read(Stream stream)
    {
        var reader = new BinaryReader(stream);
        byte[] magic = reader.ReadBytes(6);
        if (!magic.AsSpan().SequenceEqual(Magic)) throw new InvalidDataException("bad magic");
        byte major = reader.ReadByte();
        reader.ReadByte();
        if (major is not (1 or 2 or 3)) throw new InvalidDataException($"format version {major} is not 1, 2 or 3");
        long headerLength = major == 1 ? reader.ReadUInt16() : reader.ReadUInt32();
        if (headerLength > MaxHeaderBytes || (stream.CanSeek && headerLength > stream.Length - stream.Position))
            throw new InvalidDataException($"header length {headerLength} exceeds the file");
        byte[] headerBytes = reader.ReadBytes((int)headerLength);
        if (headerBytes.Length != headerLength) throw new EndOfStreamException($"header truncated: {headerBytes.Length} of {headerLength} bytes");
        string header = (major == 3 ? Encoding.UTF8 : Encoding.ASCII).GetString(headerBytes);
        string descr = ExtractQuoted(header, "'descr':");
        int elementSize = ElementSize(descr);
        if (header.Contains("'fortran_order': True")) throw new InvalidDataException("Fortran order is not supported");
        int[] shape = ParseShape(header);
        long count = 1;
        foreach (int dimension in shape)
        {
            count *= dimension;
            if (count > Array.MaxLength) throw new InvalidDataException($"shape ({string.Join(",", shape)}) has more elements than one array holds");
        }
        long bytes = count * elementSize;
        if (bytes > Array.MaxLength) throw new InvalidDataException($"shape ({string.Join(",", shape)}) of {descr} is too large for one array");
        if (stream.CanSeek && bytes > stream.Length - stream.Position)
            throw new EndOfStreamException($"body truncated: {stream.Length - stream.Position} of {bytes} bytes");
        byte[] data = reader.ReadBytes((int)bytes);
        if (data.Length != bytes) throw new EndOfStreamException($"body truncated: {data.Length} of {bytes} bytes");
        return new NpyArray(descr, shape, data);
    }

    // The tuple after 'shape': of non-negative integers, each at most int.MaxValue.
    private static int[] ParseShape(string header)
    {
        int key = header.IndexOf("'shape':", StringComparison.Ordinal);
        if (key < 0) throw new InvalidDataException("header lacks 'shape'");
        int open = header.IndexOf('(', key);
        int close = open < 0 ? -1 : header.IndexOf(')', open);
        if (open < 0 || close < 0) throw new InvalidDataException("header 'shape' is not a tuple");
        var fields = header[(open + 1)..close].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var shape = new int[fields.Length];
        for (int i = 0; i < fields.Length; i++)
        {
            string field = fields[i].TrimEnd('L');
            if (!long.TryParse(field, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long value))
                throw new InvalidDataException($"shape dimension '{MessageText.Excerpt(fields[i])}' is not a non-negative integer");
            if (value > int.MaxValue) throw new InvalidDataException($"shape dimension {value} is larger than one array holds");
            shape[i] = (int)value;
        }
        return shape;
    }

    private static string ExtractQuoted(string header, string key)
    {
        int at = header.IndexOf(key, StringComparison.Ordinal);
        if (at < 0) throw new InvalidDataException($"header lacks {key}");
        int start = header.IndexOf('\'', at + key.Length) + 1;
        int end = start == 0 ? -1 : header.IndexOf('\'', start);
        if (end < 0) throw new InvalidDataException($"header {key} is not a quoted string");
        return header[start..end];
    }

    private static int ElementSize(string descr) => descr switch
    {
        "<f8" or "<i8" => 8,
        "<f4" or "<i4" => 4,
        "|i1" or "|u1" => 1,
        _ => throw new InvalidDataException($"unsupported dtype '{MessageText.Excerpt(descr)}' (supported: <f8, <f4, <i8, <i4, |i1, |u1)"),
    };
}
