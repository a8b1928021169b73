using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Maximus.ServiceDefaults;

/// <summary>
/// The one reader of the JSON a language model was asked for. The answer may hold prose before or after the JSON, wrap it
/// in a code fence (<c>```json … ```</c>), use trailing commas or comments: the first <c>{</c> (or <c>[</c>, when arrays
/// are accepted) from which a whole JSON value reads is the answer, and whatever follows it is ignored.
/// </summary>
public static class ModelAnswer
{
    private static readonly JsonSerializerOptions Lenient = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
        AllowTrailingCommas = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
    };

    private static readonly JsonReaderOptions ReaderOptions = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
    };

    /// <summary>The answer's JSON object as a <typeparamref name="T"/> (property names case-insensitive, numbers may be strings); null when there is none or it does not read.</summary>
    public static T? ReadObject<T>(string? text)
        where T : class
    {
        if (!TryRead(text, allowArray: false, out var value, out _))
        {
            return null;
        }

        try
        {
            return value.Deserialize<T>(Lenient);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// The first JSON object (or array, when <paramref name="allowArray"/>) of the answer. When there is none,
    /// <paramref name="error"/> says why in a sentence that can be shown to the user or sent back to the model.
    /// </summary>
    public static bool TryRead(string? text, bool allowArray, out JsonElement value, [NotNullWhen(false)] out string? error)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "the answer is empty.";
            return false;
        }

        // '{' and '[' are single bytes in UTF-8, so the candidates can be found in the encoded answer itself.
        var utf8 = Encoding.UTF8.GetBytes(text);
        string? firstError = null;
        for (var start = NextOpener(utf8, 0, allowArray); start >= 0; start = NextOpener(utf8, start + 1, allowArray))
        {
            var reader = new Utf8JsonReader(utf8.AsSpan(start), ReaderOptions);
            try
            {
                value = JsonElement.ParseValue(ref reader);
                error = null;
                return true;
            }
            catch (JsonException ex)
            {
                firstError ??= ex.Message;
            }
        }

        error = firstError is null
            ? (allowArray ? "the answer holds no JSON object or array." : "the answer holds no JSON object.")
            : $"the answer is not valid JSON: {firstError}";
        return false;
    }

    private static int NextOpener(byte[] utf8, int from, bool allowArray)
    {
        var span = utf8.AsSpan(from);
        var at = allowArray ? span.IndexOfAny((byte)'{', (byte)'[') : span.IndexOf((byte)'{');
        return at < 0 ? -1 : from + at;
    }
}
