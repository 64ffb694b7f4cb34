using System.Runtime.InteropServices;

namespace FunctionSpace.Ising;

/// <summary>
/// The process's native environment, which native libraries (libgomp, MKL) read when they load or first compute.
/// .NET's <see cref="Environment.SetEnvironmentVariable(string, string)"/> does not reach it on Linux, hence libc's
/// <c>setenv</c>/<c>getenv</c>.
/// </summary>
internal static class NativeEnvironment
{
    /// <summary>
    /// Sets <paramref name="name"/> to <paramref name="value"/> unless the user has set it (overwrite = 0), and returns the
    /// value in force; null off Linux or where libc cannot be called.
    /// </summary>
    public static string? SetDefault(string name, string value)
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            return SetNative(name, value, 0) == 0 ? Marshal.PtrToStringUTF8(GetNative(name)) : null;
        }
        catch (DllNotFoundException) { return null; }
        catch (EntryPointNotFoundException) { return null; }
    }

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetNative([MarshalAs(UnmanagedType.LPUTF8Str)] string name,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);

    [DllImport("libc", EntryPoint = "getenv")]
    private static extern IntPtr GetNative([MarshalAs(UnmanagedType.LPUTF8Str)] string name);
}
