using System.Buffers.Binary;
using System.Text;

namespace FunctionSpace.Ising.Ensembles;

/// <summary>
/// The ensemble file format (version 1), all integers little-endian:
/// <code>
/// file    = "FSIENSEM" (8 bytes) | u32 H | header (H bytes, UTF-8 "key=value\n" lines) | u32 CRC-32(header) | chunk*
/// chunk   = "CHNK" | u32 P | payload (P bytes) | u32 CRC-32(payload)
/// payload = i32 block | i32 count C | i32 spins N
///           | C × i32 network id | C × u64 network seed | C × f32 test accuracy | C × f32 training loss
///           | C × ceil(N/8) bytes of packed spins
/// </code>
/// Spins are packed LSB first: spin i of a configuration is bit (i mod 8) of byte i / 8, set for +1 and
/// clear for −1 (675 spins = 85 bytes). Chunks are appended whole and flushed; a torn or corrupt chunk
/// is detected by its length or checksum, and every chunk before it stays readable.
/// </summary>
public static class EnsembleFormat
{
    /// <summary>The format version this code reads and writes.</summary>
    public const int CurrentVersion = 1;

    /// <summary>File magic.</summary>
    public static ReadOnlySpan<byte> FileMagic => "FSIENSEM"u8;

    /// <summary>Chunk magic.</summary>
    public static ReadOnlySpan<byte> ChunkMagic => "CHNK"u8;

    /// <summary>Bytes of one packed configuration of <paramref name="spinCount"/> spins.</summary>
    public static int PackedBytes(int spinCount) => (spinCount + 7) / 8;

    /// <summary>Packs ±1 spins into bits (bit set = +1), LSB first.</summary>
    public static void Pack(ReadOnlySpan<sbyte> spins, Span<byte> packed)
    {
        packed[..PackedBytes(spins.Length)].Clear();
        for (int i = 0; i < spins.Length; i++)
            if (spins[i] > 0) packed[i >> 3] |= (byte)(1 << (i & 7));
    }

    /// <summary>Unpacks bits into ±1 spins.</summary>
    public static void Unpack(ReadOnlySpan<byte> packed, Span<sbyte> spins)
    {
        for (int i = 0; i < spins.Length; i++)
            spins[i] = (packed[i >> 3] & (1 << (i & 7))) != 0 ? (sbyte)1 : (sbyte)-1;
    }

    /// <summary>The bytes of the file preamble (magic, header, its checksum).</summary>
    public static byte[] EncodeHeader(EnsembleHeader header)
    {
        byte[] body = header.ToBytes();
        var bytes = new byte[8 + 4 + body.Length + 4];
        FileMagic.CopyTo(bytes);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)body.Length);
        body.CopyTo(bytes.AsSpan(12));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(12 + body.Length), Crc32.Compute(body));
        return bytes;
    }

    /// <summary>The bytes of one chunk (magic, length, payload, checksum).</summary>
    public static byte[] EncodeChunk(EnsembleChunk chunk)
    {
        chunk.Validate();
        int c = chunk.Count, n = chunk.SpinCount, packed = PackedBytes(n);
        int payloadLength = checked(12 + c * (4 + 8 + 4 + 4) + c * packed);
        var bytes = new byte[8 + payloadLength + 4];
        ChunkMagic.CopyTo(bytes);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), (uint)payloadLength);
        var payload = bytes.AsSpan(8, payloadLength);
        BinaryPrimitives.WriteInt32LittleEndian(payload, chunk.Block);
        BinaryPrimitives.WriteInt32LittleEndian(payload[4..], c);
        BinaryPrimitives.WriteInt32LittleEndian(payload[8..], n);
        int at = 12;
        for (int i = 0; i < c; i++, at += 4) BinaryPrimitives.WriteInt32LittleEndian(payload[at..], chunk.NetworkIds[i]);
        for (int i = 0; i < c; i++, at += 8) BinaryPrimitives.WriteUInt64LittleEndian(payload[at..], chunk.Seeds[i]);
        for (int i = 0; i < c; i++, at += 4) BinaryPrimitives.WriteSingleLittleEndian(payload[at..], chunk.Accuracies[i]);
        for (int i = 0; i < c; i++, at += 4) BinaryPrimitives.WriteSingleLittleEndian(payload[at..], chunk.TrainingLosses[i]);
        for (int i = 0; i < c; i++, at += packed) Pack(chunk.Configuration(i), payload.Slice(at, packed));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8 + payloadLength), Crc32.Compute(payload));
        return bytes;
    }

    /// <summary>Decodes a checksum-verified payload; returns null when its fields are inconsistent.</summary>
    internal static EnsembleChunk? DecodePayload(ReadOnlySpan<byte> payload, int expectedSpins)
    {
        if (payload.Length < 12) return null;
        int block = BinaryPrimitives.ReadInt32LittleEndian(payload);
        int c = BinaryPrimitives.ReadInt32LittleEndian(payload[4..]);
        int n = BinaryPrimitives.ReadInt32LittleEndian(payload[8..]);
        int packed = PackedBytes(n);
        if (c < 0 || n != expectedSpins || 12L + (long)c * (20 + packed) != payload.Length) return null;
        if ((long)c * n > Array.MaxLength) return null;   // more spins than one array holds: no writer makes such a chunk
        var ids = new int[c];
        var seeds = new ulong[c];
        var accuracies = new float[c];
        var losses = new float[c];
        var spins = new sbyte[(long)c * n];
        int at = 12;
        for (int i = 0; i < c; i++, at += 4) ids[i] = BinaryPrimitives.ReadInt32LittleEndian(payload[at..]);
        for (int i = 0; i < c; i++, at += 8) seeds[i] = BinaryPrimitives.ReadUInt64LittleEndian(payload[at..]);
        for (int i = 0; i < c; i++, at += 4) accuracies[i] = BinaryPrimitives.ReadSingleLittleEndian(payload[at..]);
        for (int i = 0; i < c; i++, at += 4) losses[i] = BinaryPrimitives.ReadSingleLittleEndian(payload[at..]);
        for (int i = 0; i < c; i++, at += packed) Unpack(payload.Slice(at, packed), spins.AsSpan(i * n, n));
        return new EnsembleChunk(c, n, spins, accuracies, ids, losses) { Seeds = seeds, Block = block };
    }

    internal static string Describe(ReadOnlySpan<byte> magic) => Encoding.ASCII.GetString(magic);
}
