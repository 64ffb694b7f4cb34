using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace FunctionSpace.Ising;

/// <summary>
/// Makes libtorch's OpenMP threads sleep instead of spinning between parallel regions (<c>OMP_WAIT_POLICY=PASSIVE</c>),
/// set before libtorch's OpenMP runtime (libgomp) starts; a value the user has set is kept.
/// </summary>
/// <remarks>
/// By default a libgomp worker spins for a while after every parallel region, waiting for the next one. This library
/// alternates small tensor products with its own <see cref="Parallel"/> loops (Monte-Carlo sweeps of many chains,
/// Rao-Blackwellised moments per block of samples), and the spinning workers take the cores those loops need. Measured on
/// the 2-core machine (shared, loaded): a Monte-Carlo check of the shallow fit (128 chains, 500 sweeps, N = 200) took
/// 4.9 s of CPU and 17 s of wall time with the default policy and 0.45 s and 1.1 s with PASSIVE; 40 learning steps with
/// their start check 58 s and 25 s of wall time, with bit-identical results. libgomp reads the variable once, when it is
/// loaded, from the native environment (<see cref="NativeEnvironment"/>), hence a module initializer (before any torch call
/// of this library or its callers).
/// </remarks>
internal static class OpenMpWaitPolicy
{
    /// <summary>The OpenMP environment variable.</summary>
    public const string Variable = "OMP_WAIT_POLICY";

    /// <summary>The policy set when the user has not chosen one.</summary>
    public const string Policy = "PASSIVE";

    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "libgomp reads the policy once, when it is loaded: it must be set before any torch call.")]
    internal static void Initialize() => NativeEnvironment.SetDefault(Variable, Policy);   // a user's choice stays
}
