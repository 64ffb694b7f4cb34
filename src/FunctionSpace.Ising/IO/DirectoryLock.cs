namespace FunctionSpace.Ising.IO;

/// <summary>
/// An advisory lock on a directory that one process works in (a run directory): the lock file <c>.lock</c> inside it,
/// opened exclusively. On Linux .NET takes an flock(2) lock for an exclusive open, so a second process (or a second
/// opener in this one) is refused while the first holds it, and the kernel drops the lock when the holder exits,
/// however it ends (kill -9 included): a stale lock file never blocks anyone.
/// </summary>
public sealed class DirectoryLock : IDisposable
{
    /// <summary>Name of the lock file inside the directory.</summary>
    public const string FileName = ".lock";

    private readonly FileStream _stream;

    private DirectoryLock(FileStream stream) => _stream = stream;

    /// <summary>
    /// Takes the lock of <paramref name="directory"/> (created if missing) or, when another holder has it, throws a
    /// one-line <see cref="InputException"/> saying so; <paramref name="what"/> names the work, e.g. "run".
    /// </summary>
    public static DirectoryLock Acquire(string directory, string what)
    {
        string full = Path.GetFullPath(directory);
        string path = Path.Combine(full, FileName);
        try
        {
            Directory.CreateDirectory(full);
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            // Who holds it, for a person looking at the file; the lock itself is the open file, not this text.
            stream.SetLength(0);
            var text = System.Text.Encoding.UTF8.GetBytes($"pid {Environment.ProcessId} since {DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ}\n");
            stream.Write(text);
            stream.Flush();
            return new DirectoryLock(stream);
        }
        catch (IOException e) when (File.Exists(path) && IsHeldElsewhere(e))
        {
            throw new InputException($"{full}: another {what} is using this directory (it holds {FileName}); wait for it to finish, or use another directory", e);
        }
    }

    // An exclusive open refused because another open holds the lock (EWOULDBLOCK from flock), as opposed to a full disk
    // or a read-only file system, which the caller reports as they are.
    private static bool IsHeldElsewhere(IOException e) =>
        e.Message.Contains("being used by another process", StringComparison.OrdinalIgnoreCase) || e.HResult == unchecked((int)0x80070020);

    /// <summary>Releases the lock (the file stays; an unlocked lock file means nothing).</summary>
    public void Dispose() => _stream.Dispose();
}
