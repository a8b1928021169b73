using System.Text.Json;

namespace Maximus.ServiceDefaults;

/// <summary>The JSON settings of every API and message: web defaults, nullability and required parameters enforced.</summary>
public static class MaximusJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            RespectNullableAnnotations = true,
            RespectRequiredConstructorParameters = true,
            MaxDepth = 64,
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
