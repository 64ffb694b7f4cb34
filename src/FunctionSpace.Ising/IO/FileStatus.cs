using System.Runtime.InteropServices;

namespace FunctionSpace.Ising.IO;

/// <summary>What a path names on disk, as far as reading it or writing over it matters.</summary>
public enum FileKind
{
    /// <summary>Nothing at the path (or a symbolic link to nothing).</summary>
    Missing,
    /// <summary>A regular file.</summary>
    Regular,
    /// <summary>A directory.</summary>
    Directory,
    /// <summary>A device, FIFO or socket: never replaced by an output.</summary>
    Special,
}

/// <summary>
/// The kind and the identity (device, inode) of a file, following symbolic links: two paths name the same file
/// exactly when their identities are equal, which catches hard links and <c>a/../a</c> spellings that a path
/// comparison misses.
/// </summary>
/// <param name="Kind">Regular file, directory, special file, or missing.</param>
/// <param name="Device">The device holding the file (0 when unknown or missing).</param>
/// <param name="Inode">Its inode number (0 when unknown or missing).</param>
public readonly record struct FileStatus(FileKind Kind, ulong Device, ulong Inode)
{
    /// <summary>True when the identity is known (an existing file on a platform with <c>stat</c>).</summary>
    public bool HasIdentity => Kind != FileKind.Missing && (Device != 0 || Inode != 0);

    /// <summary>True when both name the same existing file.</summary>
    public bool SameFileAs(FileStatus other) => HasIdentity && other.HasIdentity && Device == other.Device && Inode == other.Inode;

    /// <summary>The status of <paramref name="path"/> (symbolic links followed).</summary>
    public static FileStatus Of(string path)
    {
        if (NativeStat(path) is { } native) return native;
        // Without stat (another OS or architecture): the kind from .NET, which cannot tell devices from files.
        if (Directory.Exists(path)) return new FileStatus(FileKind.Directory, 0, 0);
        return File.Exists(path) ? new FileStatus(FileKind.Regular, 0, 0) : new FileStatus(FileKind.Missing, 0, 0);
    }

    // struct stat (Linux): st_dev at byte 0 and st_ino at byte 8 on x86-64 and arm64 alike; st_mode at 24 (x86-64) or 16 (arm64).
    private static int? ModeOffset => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 24,
        Architecture.Arm64 => 16,
        _ => null,
    };

    private const int StatBufferBytes = 256;   // struct stat is 144 bytes on x86-64, 128 on arm64
    private const uint TypeMask = 0xF000, RegularType = 0x8000, DirectoryType = 0x4000;
    private const int NoEntry = 2, NotDirectory = 20;   // ENOENT, ENOTDIR

    private static unsafe FileStatus? NativeStat(string path)
    {
        if (!OperatingSystem.IsLinux() || ModeOffset is not int modeOffset) return null;
        byte* buffer = stackalloc byte[StatBufferBytes];
        int result;
        try
        {
            result = Stat(path, buffer);
        }
        catch (EntryPointNotFoundException)
        {
            // glibc before 2.33 exports stat only as __xstat(version, …): version 1 on x86-64, 0 on arm64.
            try { result = XStat(RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 1 : 0, path, buffer); }
            catch (EntryPointNotFoundException) { return null; }
        }
        catch (DllNotFoundException)
        {
            return null;
        }
        if (result != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            return errno is NoEntry or NotDirectory ? new FileStatus(FileKind.Missing, 0, 0) : null;
        }
        ulong device = *(ulong*)buffer, inode = *(ulong*)(buffer + 8);
        uint mode = *(uint*)(buffer + modeOffset) & TypeMask;
        var kind = mode switch { RegularType => FileKind.Regular, DirectoryType => FileKind.Directory, _ => FileKind.Special };
        return new FileStatus(kind, device, inode);
    }

    [DllImport("libc", EntryPoint = "stat", SetLastError = true)]
    private static extern unsafe int Stat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte* buffer);

    [DllImport("libc", EntryPoint = "__xstat", SetLastError = true)]
    private static extern unsafe int XStat(int version, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte* buffer);
}
