namespace FunctionSpace.Ising.IO;

/// <summary>
/// Writes files so that a reader (or a crash) never sees a half-written result: the content goes to a
/// temporary file in the same directory, which is then renamed over the target (an atomic replace on
/// POSIX file systems).
/// </summary>
/// <remarks>
/// Every output of the tool goes through here, so the rules hold everywhere: only a regular file (or nothing) is
/// replaced, never a directory, device, FIFO or socket (renaming over <c>/dev/full</c> as root would turn the device
/// into a regular file); a symbolic link is written through, i.e. the regular file it finally points to is replaced
/// and the link stays a link; a link to nothing is refused. Failures of the file system (full disk, read-only file
/// system, permission denied) become a one-line <see cref="InputException"/> naming the target. While an
/// <see cref="OutputSet"/> is active, the rename is deferred to its commit, so a command's outputs appear together
/// or not at all.
/// </remarks>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>, atomically (deferred while an <see cref="OutputSet"/> is active).</summary>
    public static void Write(string path, Action<Stream> write)
    {
        string target = OutputTarget.Resolve(path);
        if (OutputSet.Current is { } set) set.Stage(path, target, write);
        else Replace(path, target, write);
    }

    /// <summary>
    /// Writes <paramref name="path"/> atomically and at once, even while an <see cref="OutputSet"/> is active: for a file
    /// that must exist before the command ends (an ensemble header that chunks are then appended to, a shared cache).
    /// </summary>
    public static void WriteImmediately(string path, Action<Stream> write)
    {
        string target = OutputTarget.Resolve(path);
        OutputSet.Current?.RequireNotAnInput(path, target);
        Replace(path, target, write);
    }

    /// <summary>Writes UTF-8 text atomically.</summary>
    public static void WriteAllText(string path, string text) => Write(path, stream => WriteText(stream, text));

    /// <summary>Writes bytes atomically.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        byte[] copy = bytes.ToArray();
        Write(path, stream => stream.Write(copy));
    }

    /// <summary>Writes bytes atomically and at once (see <see cref="WriteImmediately"/>).</summary>
    public static void WriteAllBytesImmediately(string path, ReadOnlySpan<byte> bytes)
    {
        byte[] copy = bytes.ToArray();
        WriteImmediately(path, stream => stream.Write(copy));
    }

    private static void WriteText(Stream stream, string text)
    {
        using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false), 1 << 16, leaveOpen: true);
        writer.Write(text);
    }

    private static void Replace(string requested, string target, Action<Stream> write)
    {
        string temporary = WriteTemporary(requested, target, write, createdDirectories: null);
        try
        {
            File.Move(temporary, target, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
            throw CannotWrite(requested, e);
        }
    }

    /// <summary>
    /// Writes the content to a fresh temporary file beside <paramref name="target"/>, flushed to disk; returns its path.
    /// Directories it had to create are added to <paramref name="createdDirectories"/> (deepest last) when given.
    /// </summary>
    internal static string WriteTemporary(string requested, string target, Action<Stream> write, List<string>? createdDirectories)
    {
        string directory = Path.GetDirectoryName(target)!;
        string temporary = Path.Combine(directory, $".{Path.GetFileName(target)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        FileStream file;
        try
        {
            CreateDirectory(directory, createdDirectories);
            file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CannotWrite(requested, e);
        }
        try
        {
            using (file)
            using (var stream = new GuardedStream(file))
            {
                write(stream);
                stream.FlushToDisk();
            }
            return temporary;
        }
        catch (OutputFailure failure)
        {
            // A failure of the target's own stream is the environment's (full disk, quota, I/O error); an exception of
            // the content (e.g. an input that turned out corrupt while it was copied) propagates as it is.
            TryDelete(temporary);
            throw CannotWrite(requested, failure.InnerException!);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    private static void CreateDirectory(string directory, List<string>? created)
    {
        var missing = new Stack<string>();
        for (string? d = directory; d != null && !Directory.Exists(d); d = Path.GetDirectoryName(d)) missing.Push(d);
        Directory.CreateDirectory(directory);
        if (created != null) created.AddRange(missing);   // outermost first
    }

    /// <summary>The one-line error for a file-system failure while writing <paramref name="path"/>.</summary>
    internal static InputException CannotWrite(string path, Exception cause) =>
        new($"{path}: cannot write it ({Reason(cause)})", cause);

    /// <summary>The operating system's reason without .NET's repetition of the path.</summary>
    internal static string Reason(Exception e)
    {
        string message = e.Message;
        int quote = message.IndexOf(" : '", StringComparison.Ordinal);
        if (quote > 0) message = message[..quote];
        if (e is UnauthorizedAccessException) message = "permission denied";
        return message.TrimEnd('.', ' ');
    }

    internal static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>A failure of the output's own file, told apart from exceptions thrown by the content callback.</summary>
    private sealed class OutputFailure(Exception inner) : Exception(inner.Message, inner);

    /// <summary>Forwards writes to the temporary file and marks its I/O failures as the output's.</summary>
    private sealed class GuardedStream(FileStream inner) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => inner.CanSeek;
        public override bool CanWrite => true;
        public override long Length => Guard(() => inner.Length);
        public override long Position { get => Guard(() => inner.Position); set => Guard(() => inner.Position = value); }
        public override void Flush() => Guard(() => { inner.Flush(); return 0; });
        public void FlushToDisk() => Guard(() => { inner.Flush(flushToDisk: true); return 0; });
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => Guard(() => inner.Seek(offset, origin));
        public override void SetLength(long value) => Guard(() => { inner.SetLength(value); return 0; });
        public override void Write(byte[] buffer, int offset, int count) => Guard(() => { inner.Write(buffer, offset, count); return 0; });
        public override void WriteByte(byte value) => Guard(() => { inner.WriteByte(value); return 0; });

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            try { inner.Write(buffer); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new OutputFailure(e); }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) Guard(() => { inner.Dispose(); return 0; });
            base.Dispose(disposing);
        }

        private static T Guard<T>(Func<T> action)
        {
            try { return action(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new OutputFailure(e); }
        }
    }
}
