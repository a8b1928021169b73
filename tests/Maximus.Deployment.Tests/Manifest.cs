using System.Text.Json.Nodes;

namespace Maximus.Deployment.Tests;

/// <summary>One YAML document of a manifest file, as JSON.</summary>
internal sealed record Manifest(string File, int Index, JsonObject Node)
{
    public string? ApiVersion => Node["apiVersion"].AsText();

    public string? Kind => Node["kind"].AsText();

    public string? Name => Node["metadata"]?["name"].AsText();

    /// <summary>The folder directly under <c>components/</c> (local, k3s, gke, edge), or null elsewhere.</summary>
    public string? Environment
    {
        get
        {
            var parts = File.Split('/');
            return parts.Length > 2 && parts[0] == "components" ? parts[1] : null;
        }
    }

    public bool IsDapr => ApiVersion?.StartsWith("dapr.io/", StringComparison.Ordinal) == true;

    /// <summary>Dapr resource kinds that take a top-level <c>scopes</c> list.</summary>
    public bool IsScopedDaprKind => IsDapr && Kind is "Component" or "Resiliency" or "Subscription" or "HTTPEndpoint";

    public IReadOnlyList<string?> Scopes =>
        Node["scopes"] is JsonArray scopes ? [.. scopes.Select(s => s.AsText())] : [];

    public override string ToString() => $"{File}#{Index} ({Kind} {Name})";

    /// <summary>Loads every non-empty document of a file given relative to the repository root.</summary>
    public static IReadOnlyList<Manifest> Load(string relativeFile)
    {
        var documents = YamlJson.LoadDocuments(System.IO.File.ReadAllText(Repository.PathOf(relativeFile)));
        return [.. documents.Select((node, index) => node is JsonObject obj
            ? new Manifest(relativeFile, index, obj)
            : throw new InvalidDataException($"{relativeFile}#{index} is a {node.GetValueKind()}, not a mapping."))];
    }

    /// <summary>Every document under the manifest folders (components/, k8s/, edge/).</summary>
    public static IReadOnlyList<Manifest> LoadAll() => [.. Repository.ManifestFiles().SelectMany(Load)];
}

internal static class JsonNodeText
{
    /// <summary>The string held by a JSON value, or null for anything else.</summary>
    public static string? AsText(this JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
