using System.Text.Json;
using System.Text.Json.Serialization;

namespace Maximus.ServiceDefaults;

/// <summary>Reads the JSON object a language model was asked for, tolerating prose or code fences around it.</summary>
public static class ModelAnswer
{
    private static readonly JsonSerializerOptions Lenient = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
        AllowTrailingCommas = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
    };

    /// <summary>The first-to-last brace span of <paramref name="text"/> as a <typeparamref name="T"/>; null when there is none or it does not read.</summary>
    public static T? ReadObject<T>(string? text)
        where T : class
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var start = text.IndexOf('{', StringComparison.Ordinal);
        var end = text.LastIndexOf('}');
        if (start < 0 || end <= start)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<T>(text[start..(end + 1)], Lenient);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
