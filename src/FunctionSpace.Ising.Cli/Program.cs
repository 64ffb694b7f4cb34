namespace FunctionSpace.Ising.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        // The library's module initializer sets MKL's reproducibility mode; run it before any command can reach
        // TorchSharp directly (a command's first torch call may precede its first use of a library type).
        System.Runtime.CompilerServices.RuntimeHelpers.RunModuleConstructor(typeof(InputException).Module.ModuleHandle);
        return CliApp.Run(args, Console.Out, Console.Error);
    }
}
