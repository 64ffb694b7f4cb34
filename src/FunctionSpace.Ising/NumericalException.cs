namespace FunctionSpace.Ising;

/// <summary>
/// A computation that failed on valid input: a singular matrix, a non-finite value, an iteration that cannot
/// continue. Distinct from <see cref="InputException"/> (the user's input is wrong): the message says what failed
/// numerically and, where one exists, which setting of the computation changes the outcome.
/// </summary>
public sealed class NumericalException : Exception
{
    /// <summary>Creates the exception with a one-line message saying what failed.</summary>
    public NumericalException(string message) : base(message) { }

    /// <summary>Creates the exception, keeping the low-level cause.</summary>
    public NumericalException(string message, Exception inner) : base(message, inner) { }
}
