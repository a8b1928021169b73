using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Maximus.Deployment.Tests;

/// <summary>
/// Converts YAML to <see cref="JsonNode"/>s the way Kubernetes and Dapr read manifests: quoted and
/// block scalars stay strings; plain scalars become null, booleans (YAML 1.1 spellings included, as
/// the Go YAML parser behind Kubernetes and Dapr reads them), integers or floats when they look like
/// one, and strings otherwise. Explicit tags (<c>!!str</c>, <c>!!int</c>, ...) win.
/// </summary>
internal static partial class YamlJson
{
    private const string TagPrefix = "tag:yaml.org,2002:";

    /// <summary>Parses every document of a YAML stream; empty documents are left out.</summary>
    public static IReadOnlyList<JsonNode> LoadDocuments(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return [.. stream.Documents.Select(d => ToJson(d.RootNode)).OfType<JsonNode>()];
    }

    public static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode mapping => ToObject(mapping),
        YamlSequenceNode sequence => new JsonArray([.. sequence.Children.Select(ToJson)]),
        YamlScalarNode scalar => ToValue(scalar),
        _ => throw new InvalidDataException($"Unsupported YAML node {node.NodeType} at {node.Start}."),
    };

    private static JsonObject ToObject(YamlMappingNode mapping)
    {
        var result = new JsonObject();
        foreach (var (key, value) in mapping.Children)
        {
            if (key is not YamlScalarNode { Value: { } name })
            {
                throw new InvalidDataException($"Mapping key at {key.Start} is not a plain string.");
            }

            if (!result.TryAdd(name, ToJson(value)))
            {
                throw new InvalidDataException($"Duplicate key '{name}' at {key.Start}.");
            }
        }

        return result;
    }

    private static JsonNode? ToValue(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? string.Empty;
        if (!scalar.Tag.IsEmpty)
        {
            return FromTag(scalar.Tag.Value, text, scalar.Start);
        }

        return scalar.Style is ScalarStyle.Plain or ScalarStyle.Any ? FromPlain(text) : JsonValue.Create(text);
    }

    private static JsonNode? FromTag(string tag, string text, Mark start)
    {
        var shortTag = tag.StartsWith(TagPrefix, StringComparison.Ordinal) ? tag[TagPrefix.Length..] : tag.TrimStart('!');
        return shortTag switch
        {
            "str" or "" => JsonValue.Create(text),
            "null" => null,
            "bool" => TryBoolean(text, out var flag)
                ? JsonValue.Create(flag)
                : throw new InvalidDataException($"'{text}' at {start} is not a !!bool."),
            "int" or "float" => TryNumber(text) ?? throw new InvalidDataException($"'{text}' at {start} is not a !!{shortTag}."),
            _ => JsonValue.Create(text),
        };
    }

    private static JsonNode? FromPlain(string text)
    {
        if (text is "" or "~" or "null" or "Null" or "NULL")
        {
            return null;
        }

        if (TryBoolean(text, out var flag))
        {
            return JsonValue.Create(flag);
        }

        return TryNumber(text) ?? JsonValue.Create(text);
    }

    private static bool TryBoolean(string text, out bool value)
    {
        switch (text)
        {
            case "true" or "True" or "TRUE" or "yes" or "Yes" or "YES" or "on" or "On" or "ON" or "y" or "Y":
                value = true;
                return true;
            case "false" or "False" or "FALSE" or "no" or "No" or "NO" or "off" or "Off" or "OFF" or "n" or "N":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }

    private static JsonValue? TryNumber(string text)
    {
        if (DecimalInteger().IsMatch(text))
        {
            return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var whole)
                ? JsonValue.Create(whole)
                : JsonValue.Create(double.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture));
        }

        if (text.StartsWith("0x", StringComparison.Ordinal) && text.Length > 2 &&
            long.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex))
        {
            return JsonValue.Create(hex);
        }

        if (text.StartsWith("0o", StringComparison.Ordinal) && text.Length > 2 && text.Skip(2).All(c => c is >= '0' and <= '7'))
        {
            return JsonValue.Create(text.Skip(2).Aggregate(0L, (acc, c) => (acc * 8) + (c - '0')));
        }

        return Float().IsMatch(text)
            ? JsonValue.Create(double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture))
            : null;
    }

    [GeneratedRegex("^[-+]?[0-9]+$")]
    private static partial Regex DecimalInteger();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex Float();
}
