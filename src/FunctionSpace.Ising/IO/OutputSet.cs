namespace FunctionSpace.Ising.IO;

/// <summary>
/// The outputs of one command as a unit: while a set is active (per asynchronous flow), every
/// <see cref="AtomicFile.Write"/> goes to a temporary file, and <see cref="Commit"/> renames them all at the end, so a
/// command that fails (a full disk half-way, bad input found late, Ctrl-C) leaves no partial set of outputs and the
/// previous files untouched. The set also records the files the command reads (<see cref="NoteInput"/>, called by the
/// readers) and refuses an output that would replace one of them, or a file written twice.
/// </summary>
/// <remarks>Code that reads back a file it wrote earlier in the same command (a pipeline stage) must not run inside a
/// set: the file is not there until the commit.</remarks>
public sealed class OutputSet : IDisposable
{
    private static readonly AsyncLocal<OutputSet?> Ambient = new();
    private readonly OutputSet? _outer;
    private readonly object _gate = new();
    private readonly List<(string Requested, string Target, string Temporary)> _staged = [];
    private readonly List<(string Path, string Full, FileStatus Status)> _inputs = [];
    private readonly List<string> _createdDirectories = [];
    private bool _finished;

    private OutputSet(OutputSet? outer) => _outer = outer;

    /// <summary>The set of the current flow, or null.</summary>
    public static OutputSet? Current => Ambient.Value;

    /// <summary>Starts a set for the current flow (until <see cref="Dispose"/>).</summary>
    public static OutputSet Begin()
    {
        var set = new OutputSet(Ambient.Value);
        Ambient.Value = set;
        return set;
    }

    /// <summary>
    /// A set for a library call that writes several files as one unit (a model's J, h and sidecar): a new set when none
    /// is active, else the active one, whose owner commits it (<see cref="OutputScope.Commit"/> is then a no-op).
    /// </summary>
    public static OutputScope Scope() => Current is null ? new OutputScope(Begin()) : new OutputScope(null);

    /// <summary>Files staged so far (their final paths).</summary>
    public IReadOnlyList<string> Targets
    {
        get { lock (_gate) return _staged.Select(s => s.Target).ToArray(); }
    }

    /// <summary>Records that the current command reads <paramref name="path"/> (no-op without an active set).</summary>
    public static void NoteInput(string path) => Current?.AddInput(path);

    private void AddInput(string path)
    {
        string full = OutputTarget.Canonical(path);
        var status = FileStatus.Of(path);
        lock (_gate)
        {
            foreach (var (requested, target, _) in _staged)
                if (target == full || status.SameFileAs(FileStatus.Of(target)))
                    throw new InputException($"{path}: is read after this command wrote {requested} to it; an output never replaces a file the command reads");
            _inputs.Add((path, full, status));
        }
    }

    /// <summary>Refuses <paramref name="target"/> when it is a file this command reads.</summary>
    internal void RequireNotAnInput(string requested, string target)
    {
        var status = FileStatus.Of(target);
        lock (_gate)
        {
            foreach (var input in _inputs)
                if (input.Full == target || status.SameFileAs(input.Status))
                    throw new InputException($"{requested}: is also an input of this command ({input.Path}); an output never replaces a file the command reads");
        }
    }

    /// <summary>Writes the content to a temporary file beside <paramref name="target"/>; the rename waits for <see cref="Commit"/>.</summary>
    internal void Stage(string requested, string target, Action<Stream> write)
    {
        RequireNotAnInput(requested, target);
        lock (_gate)
        {
            if (_finished) throw new InvalidOperationException("output set already finished");
            foreach (var staged in _staged)
                if (staged.Target == target)
                    throw new InputException($"{requested}: this command writes that file twice ({staged.Requested} and {requested}); give distinct outputs");
        }
        var created = new List<string>();
        string temporary = AtomicFile.WriteTemporary(requested, target, write, created);
        lock (_gate)
        {
            _createdDirectories.AddRange(created);
            _staged.Add((requested, target, temporary));
        }
    }

    /// <summary>Renames every staged file over its target (all were written and flushed before the first rename).</summary>
    public void Commit()
    {
        lock (_gate)
        {
            if (_finished) return;
            _finished = true;
            for (int i = 0; i < _staged.Count; i++)
            {
                var (requested, target, temporary) = _staged[i];
                try
                {
                    File.Move(temporary, target, overwrite: true);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    for (int k = i; k < _staged.Count; k++) AtomicFile.TryDelete(_staged[k].Temporary);
                    throw AtomicFile.CannotWrite(requested, e);
                }
            }
        }
    }

    /// <summary>Discards what was not committed (temporary files, directories created for them and left empty) and ends the set.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (!_finished)
            {
                _finished = true;
                foreach (var staged in _staged) AtomicFile.TryDelete(staged.Temporary);
                for (int i = _createdDirectories.Count - 1; i >= 0; i--)
                {
                    try { Directory.Delete(_createdDirectories[i]); } catch (IOException) { } catch (UnauthorizedAccessException) { }
                }
            }
        }
        if (ReferenceEquals(Ambient.Value, this)) Ambient.Value = _outer;
    }
}

/// <summary>What <see cref="OutputSet.Scope"/> returns: owns a set of its own, or joins the active one.</summary>
public sealed class OutputScope : IDisposable
{
    private readonly OutputSet? _owned;

    internal OutputScope(OutputSet? owned) => _owned = owned;

    /// <summary>Commits the scope's own set; within an enclosing set, nothing (the enclosing set's owner commits).</summary>
    public void Commit() => _owned?.Commit();

    /// <summary>Discards an uncommitted own set.</summary>
    public void Dispose() => _owned?.Dispose();
}
