using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Maximus.ServiceDefaults;

namespace Maximus.Mcp.Server;

/// <summary>
/// The JSON of tool arguments, results and schemas: Maximus's wire options (camelCase, nullable annotations respected),
/// the same the services speak. Nulls are written: the output schemas the SDK derives list every property as required.
/// </summary>
internal static class McpJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(MaximusJson.Options)
        {
            TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        options.MakeReadOnly();
        return options;
    }

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);
}
