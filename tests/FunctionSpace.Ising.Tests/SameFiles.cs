using FunctionSpace.Ising.Reporting;

namespace FunctionSpace.Ising.Tests;

/// <summary>Asserts that two output folders hold the same files with the same bytes.</summary>
internal static class SameFiles
{
    /// <summary>
    /// Same file names, same bytes; a CSV may differ only in the <paramref name="timingColumns"/> (wall and CPU times), and a
    /// file named in <paramref name="timedFiles"/> (a figure whose axis is a time) only needs to exist in both.
    /// </summary>
    public static void Assert(string expected, string actual, string[]? timingColumns = null, string[]? timedFiles = null)
    {
        timingColumns ??= [];
        timedFiles ??= [];
        string[] Names(string dir) => Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;
        var names = Names(expected);
        Xunit.Assert.NotEmpty(names);
        Xunit.Assert.Equal(names, Names(actual));
        foreach (string name in names)
        {
            string a = Path.Combine(expected, name), b = Path.Combine(actual, name);
            if (timedFiles.Contains(name)) continue;
            if (name.EndsWith(".csv", StringComparison.Ordinal) && timingColumns.Length > 0)
            {
                var (headersA, rowsA) = CsvTable.Read(a);
                var (headersB, rowsB) = CsvTable.Read(b);
                Xunit.Assert.Equal(headersA, headersB);
                var keep = Enumerable.Range(0, headersA.Length).Where(i => !timingColumns.Contains(headersA[i])).ToArray();
                Xunit.Assert.Equal(rowsA.Select(r => keep.Select(i => r[i]).ToArray()), rowsB.Select(r => keep.Select(i => r[i]).ToArray()));
            }
            else if (name.EndsWith(".svg", StringComparison.Ordinal))
                Xunit.Assert.True(ClipIdsInOrder(File.ReadAllText(a)) == ClipIdsInOrder(File.ReadAllText(b)), $"{name} differs");
            else Xunit.Assert.True(File.ReadAllBytes(a).AsSpan().SequenceEqual(File.ReadAllBytes(b)), $"{name} differs");
        }
    }

    // Skia's SVG canvas numbers clip paths (cl_9, cl_a, …, in hexadecimal) with a counter of the process, so the same figure drawn twice in one
    // process differs in those numbers alone: renumber them in order of appearance.
    private static string ClipIdsInOrder(string svg)
    {
        var numbers = new Dictionary<string, int>();
        return System.Text.RegularExpressions.Regex.Replace(svg, @"\bcl_[0-9a-f]+\b", m =>
        {
            if (!numbers.TryGetValue(m.Value, out int n)) numbers[m.Value] = n = numbers.Count;
            return $"cl_{n}";
        });
    }
}
