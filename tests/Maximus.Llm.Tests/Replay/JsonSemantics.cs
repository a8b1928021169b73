using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Maximus.Llm.Tests.Replay;

/// <summary>
/// Compares two Gemini request bodies as JSON trees, ignoring key order and the differences the API itself treats as
/// the same (documented with the recordings in shared/fixtures/SOURCES.md):
/// <list type="bullet">
/// <item>snake_case and camelCase field names (<c>include_thoughts</c> = <c>includeThoughts</c>);</item>
/// <item>url-safe and standard base64 thought signatures and <c>inlineData</c> bytes (padded or not);</item>
/// <item>an empty object or null is the same as an absent field (<c>"generationConfig": {}</c>);</item>
/// <item>a function declaration's OpenAPI <c>parameters</c>/<c>response</c> (upper-case types) and its
/// <c>parametersJsonSchema</c>/<c>responseJsonSchema</c>; an empty description and none;</item>
/// <item>the order of the <c>tools</c> entries;</item>
/// <item>fields the recording marks irrelevant: JSON pointers in the pair's or the exchange's <c>irrelevant</c> array.</item>
/// </list>
/// </summary>
internal static class JsonSemantics
{
    /// <summary>The differences, as JSON paths with both values; empty when the bodies mean the same.</summary>
    public static List<string> Differences(JsonNode? expected, JsonNode? actual, IEnumerable<string> irrelevant)
    {
        var pointers = irrelevant.ToList();
        var left = Normalize(Remove(expected?.DeepClone(), pointers), inDeclaration: false);
        var right = Normalize(Remove(actual?.DeepClone(), pointers), inDeclaration: false);
        var differences = new List<string>();
        Compare(left, right, "$", differences);
        return differences;
    }

    private static JsonNode? Remove(JsonNode? root, List<string> pointers)
    {
        foreach (var pointer in pointers)
        {
            var segments = pointer.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries).Select(s => s.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToList();
            var node = root;
            for (var i = 0; i < segments.Count - 1 && node is not null; i++)
            {
                node = node switch
                {
                    JsonObject o => o[segments[i]] ?? o[Camel(segments[i])],
                    JsonArray a when int.TryParse(segments[i], CultureInfo.InvariantCulture, out var index) && index < a.Count => a[index],
                    _ => null,
                };
            }

            if (segments.Count > 0 && node is JsonObject parent)
            {
                parent.Remove(segments[^1]);
                parent.Remove(Camel(segments[^1]));
            }
        }

        return root;
    }

    private static JsonNode? Normalize(JsonNode? node, bool inDeclaration)
    {
        switch (node)
        {
            case JsonObject obj:
                var result = new JsonObject();
                foreach (var (rawKey, rawValue) in obj.ToList())
                {
                    var key = Camel(rawKey);
                    var value = rawValue?.DeepClone();
                    if (inDeclaration && key is "parameters" or "response")
                    {
                        key += "JsonSchema";
                        value = LowerTypes(value);
                    }

                    if (inDeclaration && key == "description" && value is JsonValue v && v.TryGetValue<string>(out var d) && d.Length == 0)
                    {
                        continue;
                    }

                    if (key == "thoughtSignature" && value is JsonValue signature && signature.TryGetValue<string>(out var s))
                    {
                        value = JsonValue.Create(s.Replace('-', '+').Replace('_', '/'));
                    }

                    if (key == "inlineData" && value is JsonObject blob && blob["data"] is JsonValue data && data.TryGetValue<string>(out var bytes))
                    {
                        blob["data"] = JsonValue.Create(bytes.Replace('-', '+').Replace('_', '/').TrimEnd('='));
                    }

                    var normalized = key == "functionDeclarations" && value is JsonArray declarations
                        ? new JsonArray([.. declarations.Select(x => Normalize(x?.DeepClone(), inDeclaration: true))])
                        : Normalize(value, inDeclaration: false);
                    if (key == "tools" && normalized is JsonArray tools)
                    {
                        normalized = new JsonArray([.. tools.Select(t => t?.DeepClone()).OrderBy(t => t?.ToJsonString(), StringComparer.Ordinal)]);
                    }

                    if (normalized is null || normalized is JsonObject { Count: 0 })
                    {
                        continue;
                    }

                    result[key] = normalized;
                }

                return result;
            case JsonArray array:
                return new JsonArray([.. array.Select(x => Normalize(x?.DeepClone(), inDeclaration))]);
            default:
                return node?.DeepClone();
        }
    }

    private static JsonNode? LowerTypes(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj.ToList())
                {
                    obj[key] = key == "type" && value is JsonValue t && t.TryGetValue<string>(out var type)
                        ? JsonValue.Create(type.ToLowerInvariant())
                        : LowerTypes(value?.DeepClone());
                }

                return obj;
            case JsonArray array:
                return new JsonArray([.. array.Select(x => LowerTypes(x?.DeepClone()))]);
            default:
                return node;
        }
    }

    internal static string Camel(string key)
    {
        if (!key.Contains('_', StringComparison.Ordinal) || key.StartsWith('_'))
        {
            return key;
        }

        var text = new StringBuilder();
        var upper = false;
        foreach (var c in key)
        {
            if (c == '_')
            {
                upper = true;
                continue;
            }

            text.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }

        return text.ToString();
    }

    private static void Compare(JsonNode? expected, JsonNode? actual, string path, List<string> differences)
    {
        switch (expected, actual)
        {
            case (null, null):
                return;
            case (JsonObject e, JsonObject a):
                foreach (var key in e.Select(p => p.Key).Union(a.Select(p => p.Key)).Order(StringComparer.Ordinal))
                {
                    Compare(e[key], a[key], $"{path}.{key}", differences);
                }

                return;
            case (JsonArray e, JsonArray a):
                if (e.Count != a.Count)
                {
                    differences.Add($"{path}: {e.Count} items recorded, {a.Count} sent");
                }

                for (var i = 0; i < Math.Min(e.Count, a.Count); i++)
                {
                    Compare(e[i], a[i], $"{path}[{i}]", differences);
                }

                return;
            case (JsonValue e, JsonValue a) when SameValue(e, a):
                return;
            default:
                differences.Add($"{path}: recorded {Show(expected)}, sent {Show(actual)}");
                return;
        }
    }

    private static bool SameValue(JsonValue e, JsonValue a)
    {
        var ek = e.GetValueKind();
        var ak = a.GetValueKind();
        if (ek == JsonValueKind.Number && ak == JsonValueKind.Number)
        {
            return decimal.Parse(e.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture) == decimal.Parse(a.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        return ek == ak && e.ToJsonString() == a.ToJsonString();
    }

    private static string Show(JsonNode? node)
    {
        var text = node?.ToJsonString() ?? "(absent)";
        return text.Length > 160 ? text[..160] + "…" : text;
    }
}
