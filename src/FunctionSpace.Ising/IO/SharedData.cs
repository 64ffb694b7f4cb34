namespace FunctionSpace.Ising.IO;

/// <summary>
/// Locates the workplace's shared folder (the study's published reference models live in
/// <c>shared/reference</c>), which sits beside the repository clone. Set FSI_SHARED_DIR to override.
/// </summary>
public static class SharedData
{
    /// <summary>The <c>shared/reference</c> directory, or an <see cref="InputException"/> saying where it was looked for.</summary>
    public static string ReferenceDirectory()
    {
        string? explicitDir = Environment.GetEnvironmentVariable("FSI_SHARED_DIR");
        if (!string.IsNullOrEmpty(explicitDir))
        {
            string candidate = Path.Combine(explicitDir, "reference");
            if (Directory.Exists(candidate)) return candidate;
            throw new InputException($"FSI_SHARED_DIR={explicitDir}: no reference/ folder there");
        }
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "shared", "reference");
                if (File.Exists(Path.Combine(candidate, "README.md"))) return candidate;
            }
        }
        throw new InputException("shared/reference not found beside the repository or its parents; set FSI_SHARED_DIR to the shared folder");
    }
}
