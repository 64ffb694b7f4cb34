using System.Text.Json;
using System.Text.Json.Serialization;

namespace FunctionSpace.Ising.Theory;

/// <summary>
/// The theory jobs' settings as JSON (System.Text.Json): enums by name, β = ∞ as "Infinity", indented; what a caller
/// stores beside its outputs or reads back to run a job again.
/// </summary>
public static class TheorySettingsJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>The settings as indented JSON.</summary>
    public static string Serialize<TSettings>(TSettings settings) => JsonSerializer.Serialize(settings, Options);

    /// <summary>Settings read back from JSON; a malformed document is an <see cref="InputException"/> naming <paramref name="source"/>.</summary>
    public static TSettings Deserialize<TSettings>(string json, string source = "settings")
    {
        try
        {
            return JsonSerializer.Deserialize<TSettings>(json, Options) ?? throw new InputException($"{source}: empty settings");
        }
        catch (JsonException e)
        {
            throw new InputException($"{source}: {e.Message}");
        }
    }
}
