using System.Reflection;
using System.Text;
using TorchSharp;

namespace FunctionSpace.Ising.Tests.Platform;

public class TorchSharpTests
{
    [Fact]
    public void A_tensor_operation_runs()
    {
        using var a = torch.tensor(new double[] { 1, 2, 3, 4 }, [2, 2]);
        using var product = a.matmul(a);
        Assert.Equal(new double[] { 7, 10, 15, 22 }, product.data<double>().ToArray());
    }

    [Fact]
    public void The_native_library_is_patched_exactly_when_the_system_libstdcxx_needs_it()
    {
        if (!OperatingSystem.IsLinux()) return;
        string patched = OutputLibTorchSharp();
        byte[] bytes = File.ReadAllBytes(patched);
        bool stillRequiresNewSymbol = Contains(bytes, "_ZSt21ios_base_library_initv\0");

        string? libstdcxx = new[] { "/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6" }
            .FirstOrDefault(File.Exists);
        Assert.NotNull(libstdcxx);
        bool systemHasVersion = Contains(File.ReadAllBytes(libstdcxx!), "GLIBCXX_3.4.32\0");
        // Where the system provides GLIBCXX_3.4.32 the library stays as shipped; otherwise the symbol is renamed.
        Assert.Equal(systemHasVersion, stillRequiresNewSymbol);
    }

    [Fact]
    public void The_NuGet_cache_copy_of_the_native_library_stays_as_shipped()
    {
        // The build hard-links package files into the output where it can; the patch must replace the output's
        // copy, not write through the link into the cache that every build on this machine reads.
        if (!OperatingSystem.IsLinux()) return;
        string packageRoot = typeof(TorchSharpTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "NuGetPackageRoot").Value!;
        string version = typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!
            .InformationalVersion.Split('+')[0];
        string cached = Path.Combine(packageRoot, "torchsharp", version, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(cached), cached);
        Assert.True(Contains(File.ReadAllBytes(cached), "_ZSt21ios_base_library_initv\0"),
            $"{cached} no longer asks for std::ios_base_library_init: the build patched the NuGet cache");
    }

    // Built for one runtime, the native files sit beside the assemblies; built for all, under runtimes/<rid>/native.
    private static string OutputLibTorchSharp()
    {
        string[] candidates =
        [
            Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so"),
            Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so"),
        ];
        string? found = candidates.FirstOrDefault(File.Exists);
        Assert.True(found is not null, $"libLibTorchSharp.so not found at {string.Join(" or ", candidates)}");
        return found!;
    }

    private static bool Contains(byte[] haystack, string needle) =>
        haystack.AsSpan().IndexOf(Encoding.ASCII.GetBytes(needle)) >= 0;
}
