using System.Diagnostics;
using FunctionSpace.Ising.Cli;
using FunctionSpace.Ising.IO;
using FunctionSpace.Ising.Tests.Cli;

namespace FunctionSpace.Ising.Tests.IOTests;

/// <summary>
/// What every writer may replace (a regular file, or through a link the regular file it points to), that a command's
/// outputs are distinct from its inputs and from each other, and that a failing command leaves no partial set of outputs
/// and exit code 1 naming the path.
/// </summary>
public class OutputSafetyTests
{
    private static void Shell(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments) info.ArgumentList.Add(argument);
        using var process = Process.Start(info)!;
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)}: {process.StandardError.ReadToEnd()}");
    }

    [Fact]
    public void A_device_a_fifo_or_a_directory_is_never_replaced()
    {
        using var dir = new TempDirectory();
        string fifo = dir.File("pipe");
        Shell("mkfifo", fifo);
        var error = Assert.Throws<InputException>(() => AtomicFile.WriteAllText(fifo, "x"));
        Assert.Equal($"{fifo}: is not a regular file (a device, FIFO or socket); outputs only replace regular files", error.Message);
        Assert.Equal(FileKind.Special, FileStatus.Of(fifo).Kind);

        Assert.Throws<InputException>(() => AtomicFile.WriteAllText("/dev/null", "x"));
        Assert.Equal(FileKind.Special, FileStatus.Of("/dev/null").Kind);

        Directory.CreateDirectory(dir.File("sub"));
        Assert.Equal($"{dir.File("sub")}: is a directory; give a file name",
            Assert.Throws<InputException>(() => AtomicFile.WriteAllText(dir.File("sub"), "x")).Message);
        // No temporary file is left behind by a refusal.
        Assert.Equal(["pipe", "sub"], Directory.GetFileSystemEntries(dir.Path).Select(p => Path.GetFileName(p)).Order().ToArray());
    }

    [Fact]
    public void A_symbolic_link_is_written_through_and_stays_a_link_and_one_to_nothing_is_refused()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("target.txt"), "old");
        File.CreateSymbolicLink(dir.File("link.txt"), dir.File("target.txt"));
        AtomicFile.WriteAllText(dir.File("link.txt"), "new");
        Assert.Equal("new", File.ReadAllText(dir.File("target.txt")));
        Assert.NotNull(new FileInfo(dir.File("link.txt")).LinkTarget);

        File.CreateSymbolicLink(dir.File("dangling.txt"), dir.File("nowhere.txt"));
        var error = Assert.Throws<InputException>(() => AtomicFile.WriteAllText(dir.File("dangling.txt"), "x"));
        Assert.StartsWith($"{dir.File("dangling.txt")}: is a symbolic link to {dir.File("nowhere.txt")}, which does not exist", error.Message);
        Assert.False(File.Exists(dir.File("nowhere.txt")));

        File.CreateSymbolicLink(dir.File("to-device"), "/dev/null");
        Assert.Throws<InputException>(() => AtomicFile.WriteAllText(dir.File("to-device"), "x"));
        Assert.Equal(FileKind.Special, FileStatus.Of("/dev/null").Kind);
    }

    [Fact]
    public void Outputs_equal_to_inputs_are_refused_by_path_by_link_and_by_hard_link()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("in.npy"), "data");
        Shell("ln", dir.File("in.npy"), dir.File("hard.npy"));
        File.CreateSymbolicLink(dir.File("soft.npy"), dir.File("in.npy"));
        string spelled = Path.Combine(dir.Path, "x", "..", "in.npy");
        foreach (string output in new[] { dir.File("in.npy"), dir.File("hard.npy"), dir.File("soft.npy"), spelled })
        {
            var error = Assert.Throws<InputException>(() => OutputTarget.RequireDistinct([dir.File("in.npy")], ("--out", output)));
            Assert.Equal($"--out: {output} is also an input ({dir.File("in.npy")}); an output never replaces a file the command reads", error.Message);
        }
        Assert.Equal($"--accuracies: {dir.File("hard.npy")} is the same file as --out {dir.File("in.npy")}; give two different files",
            Assert.Throws<InputException>(() => OutputTarget.RequireDistinct([], ("--out", dir.File("in.npy")), ("--accuracies", dir.File("hard.npy")))).Message);
        OutputTarget.RequireDistinct([dir.File("in.npy")], ("--out", dir.File("other.npy")), ("--accuracies", dir.File("third.npy")));
        Assert.Equal("data", File.ReadAllText(dir.File("in.npy")));
    }

    [Fact]
    public void An_output_set_appears_whole_on_commit_and_not_at_all_on_failure()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("a.txt"), "previous a");
        using (var set = OutputSet.Begin())
        {
            AtomicFile.WriteAllText(dir.File("a.txt"), "new a");
            AtomicFile.WriteAllText(dir.File("deep/b.txt"), "new b");
            // Nothing is visible before the commit; the previous file is untouched.
            Assert.Equal("previous a", File.ReadAllText(dir.File("a.txt")));
            Assert.False(File.Exists(dir.File("deep/b.txt")));
        }
        // Disposed without a commit (the command failed): the previous a stays, no b, no directory made for it, no temporaries.
        Assert.Equal("previous a", File.ReadAllText(dir.File("a.txt")));
        Assert.Equal(["a.txt"], Directory.GetFileSystemEntries(dir.Path).Select(p => Path.GetFileName(p)).ToArray());

        using (var set = OutputSet.Begin())
        {
            AtomicFile.WriteAllText(dir.File("a.txt"), "new a");
            AtomicFile.WriteAllText(dir.File("deep/b.txt"), "new b");
            Assert.Equal($"{dir.File("a.txt")}: this command writes that file twice ({dir.File("a.txt")} and {dir.File("a.txt")}); give distinct outputs",
                Assert.Throws<InputException>(() => AtomicFile.WriteAllText(dir.File("a.txt"), "again")).Message);
            set.Commit();
        }
        Assert.Equal("new a", File.ReadAllText(dir.File("a.txt")));
        Assert.Equal("new b", File.ReadAllText(dir.File("deep/b.txt")));
        Assert.Null(OutputSet.Current);
    }

    [Fact]
    public void A_file_the_command_read_is_not_replaced_inside_an_output_set()
    {
        using var dir = new TempDirectory();
        Npy.Write<double>(dir.File("m.npy"), [1.0, 2.0]);
        File.CreateSymbolicLink(dir.File("alias.npy"), dir.File("m.npy"));
        using var set = OutputSet.Begin();
        Npy.Read(dir.File("m.npy"));
        var error = Assert.Throws<InputException>(() => Npy.Write<double>(dir.File("alias.npy"), [3.0]));
        Assert.Equal($"{dir.File("alias.npy")}: is also an input of this command ({dir.File("m.npy")}); an output never replaces a file the command reads", error.Message);
    }

    [Fact]
    public void Moments_that_fail_half_way_leave_no_partial_set_and_exit_1_naming_the_path()
    {
        using var dir = new TempDirectory();
        string spins = dir.File("spins.npy");
        Npy.Write<sbyte>(spins, [1, -1, 1, 1, -1, -1, 1, 1, -1, 1, 1, 1], 4, 3);
        // The second file of the set cannot be written (a directory holds its name): the first must not appear either.
        Directory.CreateDirectory(dir.File("out.C.npy"));
        var (exit, _, err) = CliHarness.Run("moments", "--spins", spins, "--triplets", "1", "-o", dir.File("out"));
        Assert.Equal(CliApp.ExitBadInput, exit);
        Assert.Equal($"fsi: error: {dir.File("out")}.C.npy: is a directory; give a file name", err.TrimEnd());
        Assert.False(File.Exists(dir.File("out.m.npy")));
        Assert.Empty(Directory.GetFiles(dir.Path, ".*.tmp"));

        // A path through a regular file (ENOTDIR) is the environment's refusal: exit 1 with the path, not an internal error.
        File.WriteAllText(dir.File("plain"), "x");
        (exit, _, err) = CliHarness.Run("moments", "--spins", spins, "--triplets", "1", "-o", dir.File("plain/out"));
        Assert.Equal(CliApp.ExitBadInput, exit);
        Assert.StartsWith($"fsi: error: {dir.File("plain")}", err);
        Assert.Single(err.TrimEnd().Split('\n'));

        // The spins file among the outputs (stem s writes s.m.npy): refused before anything is replaced, the input intact.
        string named = dir.File("s.m.npy");
        File.Copy(spins, named);
        byte[] before = File.ReadAllBytes(named);
        (exit, _, err) = CliHarness.Run("moments", "--spins", named, "--triplets", "1", "-o", dir.File("s"));
        Assert.Equal(CliApp.ExitBadInput, exit);
        Assert.Equal($"fsi: error: {named}: is also an input of this command ({named}); an output never replaces a file the command reads", err.TrimEnd());
        Assert.Equal(before, File.ReadAllBytes(named));
        Assert.False(File.Exists(dir.File("s.json")));
    }
}
