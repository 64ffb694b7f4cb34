namespace FunctionSpace.Ising.IO;

/// <summary>The check every reader makes before it opens an input.</summary>
public static class InputFile
{
    /// <summary>
    /// Requires <paramref name="path"/> to name an existing regular file (following links) and records it as an input
    /// of the active <see cref="OutputSet"/>, so that no output of the same command replaces it. A missing file, a
    /// directory, or a device, FIFO or socket (which would block a read, or never end one) is a one-line
    /// <see cref="InputException"/>.
    /// </summary>
    public static void Require(string path)
    {
        switch (FileStatus.Of(path).Kind)
        {
            case FileKind.Missing:
                throw new InputException($"{path}: file not found");
            case FileKind.Directory:
                throw new InputException($"{path}: is a directory, not a file");
            case FileKind.Special:
                throw new InputException($"{path}: is not a regular file (a device, FIFO or socket); inputs are read from regular files");
        }
        OutputSet.NoteInput(path);
    }
}
