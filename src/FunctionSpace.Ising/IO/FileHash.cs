using System.Security.Cryptography;

namespace FunctionSpace.Ising.IO;

/// <summary>SHA-256 helpers for checksums, cache keys and manifests.</summary>
public static class FileHash
{
    /// <summary>Lower-case hex SHA-256 of a file's bytes.</summary>
    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>Lower-case hex SHA-256 of a byte span.</summary>
    public static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Lower-case hex SHA-256 of a UTF-8 string (for keys built from parameters).</summary>
    public static string Sha256OfText(string text) => Sha256(System.Text.Encoding.UTF8.GetBytes(text));
}
