using System.Globalization;

namespace FunctionSpace.Ising.IO;

/// <summary>
/// Whitespace-separated text matrices (numpy <c>savetxt</c> style), the format of the study's published
/// effective models.
/// </summary>
public static class TextMatrix
{
    /// <summary>Reads a matrix; every row must have the same number of finite values.</summary>
    /// <returns>The values row by row, with the row and column counts.</returns>
    public static (double[] Values, int Rows, int Columns) Read(string path)
    {
        InputFile.Require(path);
        var values = new List<double>();
        int rows = 0, columns = -1, lineNumber = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            string trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed.StartsWith('#')) continue;
            string[] fields = trimmed.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (columns < 0) columns = fields.Length;
            else if (fields.Length != columns)
                throw new InputException($"{path}: line {lineNumber} has {fields.Length} values, expected {columns}");
            foreach (string field in fields)
            {
                if (!double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
                    throw new InputException($"{path}: line {lineNumber}: '{MessageText.Excerpt(field)}' is not a number");
                if (!double.IsFinite(v))
                    throw new InputException($"{path}: line {lineNumber}: value '{MessageText.Excerpt(field)}' is not finite");
                values.Add(v);
            }
            rows++;
        }
        if (rows == 0) throw new InputException($"{path}: no values");
        return (values.ToArray(), rows, columns);
    }

    /// <summary>Reads a vector: one row, or one value per line.</summary>
    public static double[] ReadVector(string path)
    {
        var (values, rows, columns) = Read(path);
        if (rows != 1 && columns != 1) throw new InputException($"{path}: expected a vector, found a {rows}x{columns} matrix");
        return values;
    }
}
