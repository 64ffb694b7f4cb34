namespace FunctionSpace.Ising.IO;

/// <summary>
/// Where an output really goes, and whether it may go there: the checks every writer makes before it replaces a
/// file, and the check that a command's outputs are distinct from each other and from its inputs.
/// </summary>
public static class OutputTarget
{
    /// <summary>
    /// The absolute path of the regular file an output to <paramref name="path"/> replaces: the path itself, or the final
    /// target of a symbolic link (written through, the link kept). A directory, device, FIFO or socket, or a link to
    /// nothing, is refused with a one-line <see cref="InputException"/>.
    /// </summary>
    public static string Resolve(string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new InputException("output path is empty");
        string full = Path.GetFullPath(path);
        if (full.EndsWith(Path.DirectorySeparatorChar) && full.Length > 1)
            throw new InputException($"{path}: is a directory name, not a file name");
        FileSystemInfo? link;
        try
        {
            var info = new FileInfo(full);
            link = info.LinkTarget != null ? info.ResolveLinkTarget(returnFinalTarget: true) : null;
        }
        catch (IOException e)
        {
            throw new InputException($"{path}: cannot follow its symbolic link ({AtomicFile.Reason(e)})", e);
        }
        if (link != null)
        {
            if (FileStatus.Of(link.FullName).Kind == FileKind.Missing)
                throw new InputException($"{path}: is a symbolic link to {link.FullName}, which does not exist; outputs are written through links only to existing files");
            full = link.FullName;
        }
        switch (FileStatus.Of(full).Kind)
        {
            case FileKind.Directory:
                throw new InputException($"{path}: is a directory; give a file name");
            case FileKind.Special:
                throw new InputException($"{path}: is not a regular file (a device, FIFO or socket); outputs only replace regular files");
        }
        return full;
    }

    /// <summary>
    /// Refuses outputs that name one file twice, or a file among <paramref name="inputs"/> (by path or, for existing
    /// files, by device and inode, which catches hard links and symbolic links). Outputs are (what names it, path) pairs,
    /// e.g. ("--accuracies", "a.npy"), so that the message names the option.
    /// </summary>
    public static void RequireDistinct(IEnumerable<string> inputs, params (string Name, string Path)[] outputs)
    {
        var seenInputs = inputs.Select(p => (Path: p, Full: Canonical(p), Status: FileStatus.Of(p))).ToList();
        var seenOutputs = new List<(string Name, string Path, string Full, FileStatus Status)>();
        foreach (var (name, path) in outputs)
        {
            string full = Canonical(path);
            var status = FileStatus.Of(path);
            foreach (var input in seenInputs)
                if (input.Full == full || status.SameFileAs(input.Status))
                    throw new InputException($"{name}: {path} is also an input ({input.Path}); an output never replaces a file the command reads");
            foreach (var other in seenOutputs)
                if (other.Full == full || status.SameFileAs(other.Status))
                    throw new InputException($"{name}: {path} is the same file as {other.Name} {other.Path}; give two different files");
            seenOutputs.Add((name, path, full, status));
        }
    }

    /// <summary>The absolute path with symbolic links resolved as far as they exist (for comparing paths).</summary>
    internal static string Canonical(string path)
    {
        string full = Path.GetFullPath(path);
        try
        {
            var info = new FileInfo(full);
            if (info.LinkTarget != null && info.ResolveLinkTarget(returnFinalTarget: true) is { } target) full = target.FullName;
            string? directory = Path.GetDirectoryName(full);
            if (directory != null && new DirectoryInfo(directory) is { Exists: true } dir && dir.LinkTarget != null
                && dir.ResolveLinkTarget(returnFinalTarget: true) is { } resolved)
                full = Path.Combine(resolved.FullName, Path.GetFileName(full));
        }
        catch (IOException) { }
        return full;
    }
}
