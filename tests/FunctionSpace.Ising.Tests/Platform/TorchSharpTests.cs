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
        string patched = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(patched), patched);
        byte[] bytes = File.ReadAllBytes(patched);
        bool stillRequiresNewSymbol = Contains(bytes, "_ZSt21ios_base_library_initv\0");

        string? libstdcxx = new[] { "/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6" }
            .FirstOrDefault(File.Exists);
        Assert.NotNull(libstdcxx);
        bool systemHasVersion = Contains(File.ReadAllBytes(libstdcxx!), "GLIBCXX_3.4.32\0");
        // Where the system provides GLIBCXX_3.4.32 the library stays as shipped; otherwise the symbol is renamed.
        Assert.Equal(systemHasVersion, stillRequiresNewSymbol);
    }

    private static bool Contains(byte[] haystack, string needle) =>
        haystack.AsSpan().IndexOf(Encoding.ASCII.GetBytes(needle)) >= 0;
}
