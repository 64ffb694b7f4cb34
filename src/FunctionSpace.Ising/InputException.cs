namespace FunctionSpace.Ising;

/// <summary>
/// Bad input from the user: a missing or malformed file, an option out of range, data that violates a
/// model's invariants. The message is one line that names the file or option and what is wrong; the CLI
/// prints it without a stack trace and exits non-zero.
/// </summary>
public sealed class InputException : Exception
{
    /// <summary>Creates the exception with a one-line message naming the file/option and the problem.</summary>
    public InputException(string message) : base(message) { }

    /// <summary>Creates the exception, keeping the low-level cause for <c>--verbose</c> output.</summary>
    public InputException(string message, Exception inner) : base(message, inner) { }
}
