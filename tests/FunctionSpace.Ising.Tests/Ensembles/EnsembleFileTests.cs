using FunctionSpace.Ising.Ensembles;
using FunctionSpace.Ising.Networks;
using static FunctionSpace.Ising.Tests.Ensembles.EnsembleTestData;

namespace FunctionSpace.Ising.Tests.Ensembles;

public class EnsembleFileTests
{
    [Fact]
    public void PacksSpinsEightPerByteLsbFirst()
    {
        Assert.Equal(85, EnsembleFormat.PackedBytes(675));
        sbyte[] spins = [1, -1, -1, 1, -1, -1, -1, -1, 1];
        var packed = new byte[2];
        EnsembleFormat.Pack(spins, packed);
        Assert.Equal(new byte[] { 0b0000_1001, 0b1 }, packed);
        var back = new sbyte[9];
        EnsembleFormat.Unpack(packed, back);
        Assert.Equal(spins, back);
    }

    [Fact]
    public void Crc32MatchesTheStandardCheckValue() =>
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));

    [Fact]
    public void RoundTripsHeaderAndChunks()
    {
        string path = TempFile("e.fsie");
        var header = Header();
        var chunks = new[] { Chunk(0, 5, 675, 1), Chunk(1, 0, 675, 2), Chunk(2, 3, 675, 3) };
        using (var writer = EnsembleWriter.Create(path, header))
            foreach (var c in chunks) writer.Write(c);
        // Chunk size on disk: 8 + 12 + 3 × (20 + 85) + 4 bytes for 3 configurations.
        using var reader = EnsembleReader.Open(path);
        Assert.Equal(header, reader.Header);
        Assert.Equal(new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc), reader.Header.CreatedUtc);
        Assert.Equal("7", reader.Header.Parameter("networks"));
        Assert.Equal(Architecture.Deep, reader.Header.Architecture);
        Assert.Equal(8L, reader.Count);
        var read = reader.ReadChunks().ToList();
        Assert.Equal(3, read.Count);
        for (int i = 0; i < 3; i++) AssertSame(chunks[i], read[i]);
    }

    [Fact]
    public void CorruptChunkIsReportedAfterEarlierChunksAreYielded()
    {
        string path = TempFile("e.fsie");
        var first = Chunk(0, 4, 200, 1);
        using (var writer = EnsembleWriter.Create(path, Header(Architecture.Shallow)))
        {
            writer.Write(first);
            writer.Write(Chunk(1, 4, 200, 2));
        }
        long secondAt = new FileInfo(path).Length - EnsembleFormat.EncodeChunk(Chunk(1, 4, 200, 2)).Length;
        var bytes = File.ReadAllBytes(path);
        bytes[secondAt + 30] ^= 0x10; // one flipped bit in the second chunk's payload
        File.WriteAllBytes(path, bytes);

        using var reader = EnsembleReader.Open(path);
        var yielded = new List<EnsembleChunk>();
        var error = Assert.Throws<InputException>(() => { foreach (var c in reader.ReadChunks()) yielded.Add(c); });
        Assert.Equal($"{path}: chunk 1 at byte {secondAt} is corrupt (checksum mismatch)", error.Message);
        Assert.Single(yielded);
        AssertSame(first, yielded[0]);
    }

    [Fact]
    public void TruncatedChunkIsReportedAndNotCounted()
    {
        string path = TempFile("e.fsie");
        using (var writer = EnsembleWriter.Create(path, Header()))
        {
            writer.Write(Chunk(0, 2, 675, 1));
            writer.Write(Chunk(1, 2, 675, 2));
        }
        long full = new FileInfo(path).Length;
        using (var stream = new FileStream(path, FileMode.Open)) stream.SetLength(full - 17);
        long secondAt = full - EnsembleFormat.EncodeChunk(Chunk(1, 2, 675, 2)).Length;

        using var reader = EnsembleReader.Open(path);
        Assert.Equal(2L, reader.Count);
        var error = Assert.Throws<InputException>(() => reader.ReadChunks().ToList());
        Assert.Equal($"{path}: chunk 1 at byte {secondAt} is truncated (torn write)", error.Message);
    }

    [Fact]
    public void ResumeCutsATornTailAndKeepsWholeChunks()
    {
        string path = TempFile("e.fsie");
        var header = Header();
        using (var writer = EnsembleWriter.Create(path, header))
        {
            writer.Write(Chunk(0, 2, 675, 1));
            writer.Write(Chunk(1, 3, 675, 2));
        }
        // Simulate a kill during the third append: half a chunk at the end.
        byte[] third = EnsembleFormat.EncodeChunk(Chunk(2, 3, 675, 3));
        using (var stream = new FileStream(path, FileMode.Append)) stream.Write(third, 0, third.Length / 2);

        using (var writer = EnsembleWriter.OpenForResume(path, header with { CreatedUtc = DateTime.UnixEpoch }, out var kept))
        {
            Assert.Equal(new[] { 0, 1 }, kept.Select(c => c.Block));
            Assert.Equal(5L, writer.Count);
            writer.Write(Chunk(2, 3, 675, 3));
        }
        using var reader = EnsembleReader.Open(path);
        var all = reader.ReadChunks().ToList();
        Assert.Equal(new[] { 0, 1, 2 }, all.Select(c => c.Block));
        AssertSame(Chunk(2, 3, 675, 3), all[2]);
    }

    [Fact]
    public void ResumeRejectsDifferentParameters()
    {
        string path = TempFile("e.fsie");
        using (EnsembleWriter.Create(path, Header())) { }
        var error = Assert.Throws<InputException>(() => EnsembleWriter.OpenForResume(path, Header().WithParameter("networks", "8"), out _));
        Assert.Equal($"{path}: --resume: the file was collected with different parameters (file has networks=7)", error.Message);
    }

    [Fact]
    public void BadFilesGiveOneLineErrors()
    {
        string missing = TempFile("none.fsie");
        Assert.Equal($"{missing}: file not found", Assert.Throws<InputException>(() => EnsembleReader.Open(missing)).Message);
        string junk = TempFile("junk.fsie");
        File.WriteAllText(junk, "hello world, not an ensemble");
        Assert.Equal($"{junk}: not an fsi ensemble file (bad magic)", Assert.Throws<InputException>(() => EnsembleReader.Open(junk)).Message);
        string bad = TempFile("bad.fsie");
        using (EnsembleWriter.Create(bad, Header())) { }
        var bytes = File.ReadAllBytes(bad);
        bytes[20] ^= 1;
        File.WriteAllBytes(bad, bytes);
        Assert.Equal($"{bad}: ensemble header checksum mismatch (file corrupt)", Assert.Throws<InputException>(() => EnsembleReader.Open(bad)).Message);
    }
}
