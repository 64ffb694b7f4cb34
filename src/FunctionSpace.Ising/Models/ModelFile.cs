using System.Text.Json;
using FunctionSpace.Ising.IO;

namespace FunctionSpace.Ising.Models;

/// <summary>
/// Model files: <c>&lt;stem&gt;.J.npy</c> (N×N float64), <c>&lt;stem&gt;.h.npy</c> (N float64) and a JSON
/// sidecar <c>&lt;stem&gt;.json</c> with free-form metadata (method, hyper-parameters, RMSE curve, source
/// ensemble, slice). Also reads the study's published whitespace text matrices (J_&lt;part&gt;.txt, h_&lt;part&gt;.txt).
/// </summary>
public static class ModelFile
{
    // Metadata may carry NaN (e.g. an RMSE that could not be computed); write it as "NaN" rather than fail.
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Path of the couplings file for a stem.</summary>
    public static string CouplingsPath(string stem) => stem + ".J.npy";

    /// <summary>Path of the fields file for a stem.</summary>
    public static string FieldsPath(string stem) => stem + ".h.npy";

    /// <summary>Path of the JSON sidecar for a stem.</summary>
    public static string SidecarPath(string stem) => stem + ".json";

    /// <summary>Writes J, h and the metadata sidecar atomically, as one set (all three or none).</summary>
    public static void Save(string stem, IsingModel model, object metadata)
    {
        ArgumentNullException.ThrowIfNull(model);
        int n = model.Size;
        using var files = OutputSet.Scope();
        Npy.Write<double>(CouplingsPath(stem), model.Couplings, n, n);
        Npy.Write<double>(FieldsPath(stem), model.Fields, n);
        string json = JsonSerializer.Serialize(metadata ?? new { }, metadata?.GetType() ?? typeof(object), JsonOptions);
        AtomicFile.WriteAllText(SidecarPath(stem), json + "\n");
        files.Commit();
    }

    /// <summary>Reads the metadata sidecar as a JSON document, or null when there is none.</summary>
    public static JsonDocument? LoadMetadata(string stem)
    {
        string path = SidecarPath(stem);
        if (!File.Exists(path)) return null;
        InputFile.Require(path);
        try
        {
            return JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InputException($"{path}: not valid JSON ({e.Message.Split('\n')[0]})", e);
        }
    }

    /// <summary>Reads <c>&lt;stem&gt;.J.npy</c> and <c>&lt;stem&gt;.h.npy</c>; the sidecar (if present) must be valid JSON.</summary>
    public static IsingModel Load(string stem)
    {
        string jPath = CouplingsPath(stem), hPath = FieldsPath(stem);
        var j = Npy.Read(jPath);
        var h = Npy.Read(hPath);
        if (h.Shape.Length != 1) throw new InputException($"{hPath}: expected a vector, found shape ({string.Join(",", h.Shape)})");
        int n = h.Shape[0];
        if (j.Shape.Length != 2 || j.Shape[0] != j.Shape[1])
            throw new InputException($"{jPath}: expected a square matrix, found shape ({string.Join(",", j.Shape)})");
        if (j.Shape[0] != n) throw new InputException($"{jPath}: {j.Shape[0]}x{j.Shape[1]} couplings but {hPath} has {n} fields");
        using (LoadMetadata(stem)) { }
        return Build(h.ToDoubles(), j.ToDoubles(), jPath, hPath);
    }

    /// <summary>Reads a published model: an n×n couplings text matrix and an n-vector of fields.</summary>
    public static IsingModel LoadText(string couplingsPath, string fieldsPath)
    {
        var (values, rows, columns) = TextMatrix.Read(couplingsPath);
        if (rows != columns) throw new InputException($"{couplingsPath}: expected a square matrix, found {rows}x{columns}");
        double[] h = TextMatrix.ReadVector(fieldsPath);
        if (h.Length != rows) throw new InputException($"{couplingsPath}: {rows}x{columns} couplings but {fieldsPath} has {h.Length} fields");
        return Build(h, values, couplingsPath, fieldsPath);
    }

    // Prefixes the model's own validation message with the file it came from.
    private static IsingModel Build(double[] h, double[] j, string jPath, string hPath)
    {
        try
        {
            return new IsingModel(h, j);
        }
        catch (InputException e)
        {
            string file = e.Message.StartsWith("fields", StringComparison.Ordinal) ? hPath : jPath;
            throw new InputException($"{file}: {e.Message}", e);
        }
    }
}
