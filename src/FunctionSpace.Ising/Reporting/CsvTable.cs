using System.Globalization;
using CsvHelper;

namespace FunctionSpace.Ising.Reporting;

/// <summary>Writes the table behind a figure as CSV (invariant culture, round-trip doubles), atomically.</summary>
public static class CsvTable
{
    /// <summary>Writes <paramref name="rows"/> under <paramref name="headers"/> to <paramref name="path"/>.</summary>
    public static void Write(string path, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<object?>> rows)
    {
        IO.AtomicFile.Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false), 1 << 16, leaveOpen: true);
            using var csv = new CsvWriter(writer, CultureInfo.InvariantCulture);
            foreach (string header in headers) csv.WriteField(header);
            csv.NextRecord();
            foreach (var row in rows)
            {
                if (row.Count != headers.Count)
                    throw new ArgumentException($"row has {row.Count} fields, the header {headers.Count}");
                foreach (object? field in row) csv.WriteField(Format(field));
                csv.NextRecord();
            }
        });
    }

    /// <summary>Writes equal-length numeric columns.</summary>
    public static void WriteColumns(string path, IReadOnlyList<string> headers, params IReadOnlyList<double>[] columns)
    {
        if (columns.Length != headers.Count) throw new ArgumentException("one header per column");
        int length = columns.Length == 0 ? 0 : columns[0].Count;
        if (columns.Any(c => c.Count != length)) throw new ArgumentException("columns differ in length");
        Write(path, headers, Enumerable.Range(0, length).Select(i => (IReadOnlyList<object?>)columns.Select(c => (object?)c[i]).ToArray()));
    }

    /// <summary>The header every histogram table shares: bin edges, the bin's centre, and the count in it.</summary>
    public static IReadOnlyList<string> HistogramHeaders { get; } = ["bin_low", "bin_high", "bin_centre", "count"];

    /// <summary>
    /// Writes a histogram under <see cref="HistogramHeaders"/>: bin k spans [edges[k], edges[k+1]) and holds counts[k].
    /// No counts writes the header alone.
    /// </summary>
    public static void WriteHistogram(string path, IReadOnlyList<double> edges, IReadOnlyList<long> counts)
    {
        if (counts.Count > 0 && edges.Count != counts.Count + 1) throw new ArgumentException($"{counts.Count} bins need {counts.Count + 1} edges, got {edges.Count}");
        Write(path, HistogramHeaders, Enumerable.Range(0, counts.Count)
            .Select(k => (IReadOnlyList<object?>)[edges[k], edges[k + 1], 0.5 * (edges[k] + edges[k + 1]), counts[k]]));
    }

    /// <summary>Reads a CSV written by <see cref="Write"/>: the header and the rows as strings.</summary>
    public static (string[] Headers, List<string[]> Rows) Read(string path)
    {
        IO.InputFile.Require(path);
        using var reader = new StreamReader(path);
        using var csv = new CsvReader(reader, CultureInfo.InvariantCulture);
        if (!csv.Read() || !csv.ReadHeader()) throw new InputException($"{path}: empty CSV");
        string[] headers = csv.HeaderRecord ?? [];
        var rows = new List<string[]>();
        while (csv.Read()) rows.Add(Enumerable.Range(0, headers.Length).Select(i => csv.GetField(i) ?? "").ToArray());
        return (headers, rows);
    }

    /// <summary>
    /// One field as text: integers as integers, floating-point values round-trip and always with a decimal point or an
    /// exponent (0.0, not 0), so a column of floats never reads as integers in one file and floats in another.
    /// </summary>
    internal static string Format(object? field) => field switch
    {
        null => "",
        double d => Real(d.ToString("R", CultureInfo.InvariantCulture)),
        float f => Real(f.ToString("R", CultureInfo.InvariantCulture)),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => field.ToString() ?? "",
    };

    // NaN and ±Infinity stay as they are (numpy and Python's float() read them).
    private static string Real(string text) =>
        text.AsSpan().IndexOfAny('.', 'E', 'N') >= 0 || text.Contains("Infinity", StringComparison.Ordinal) ? text : text + ".0";
}
