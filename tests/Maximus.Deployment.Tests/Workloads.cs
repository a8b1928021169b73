using System.Text.Json.Nodes;

namespace Maximus.Deployment.Tests;

/// <summary>Pod templates and containers of workload manifests (Deployment, StatefulSet, Knative Service).</summary>
internal static class Pods
{
    public static bool IsWorkload(Manifest manifest) =>
        manifest.Kind is "Deployment" or "StatefulSet"
        || (manifest.Kind == "Service" && manifest.ApiVersion?.StartsWith("serving.knative.dev/", StringComparison.Ordinal) == true);

    /// <summary>The pod template (<c>spec.template</c>) of a workload, or null.</summary>
    public static JsonObject? Template(Manifest manifest) =>
        IsWorkload(manifest) ? manifest.Node["spec"]?["template"] as JsonObject : null;

    public static JsonObject? Annotations(Manifest manifest) => Template(manifest)?["metadata"]?["annotations"] as JsonObject;

    public static string? Annotation(Manifest manifest, string name) => Annotations(manifest)?[name].AsText();

    public static bool IsDaprEnabled(Manifest manifest) => Annotation(manifest, "dapr.io/enabled") == "true";

    public static IEnumerable<JsonObject> Containers(Manifest manifest) =>
        (Template(manifest)?["spec"]?["containers"] as JsonArray ?? []).OfType<JsonObject>();

    public static IEnumerable<JsonObject> InitContainers(Manifest manifest) =>
        (Template(manifest)?["spec"]?["initContainers"] as JsonArray ?? []).OfType<JsonObject>();

    public static IReadOnlyList<string?> Args(JsonObject container) =>
        [.. (container["args"] as JsonArray ?? []).Select(a => a.AsText())];

    public static string? ArgumentAfter(IReadOnlyList<string?> args, string option)
    {
        var index = args.ToList().IndexOf(option);
        return index >= 0 && index + 1 < args.Count ? args[index + 1] : null;
    }
}

/// <summary>The Multi-App Run file: app ids and their app ports (the source of truth for ports).</summary>
internal static class DaprRunFile
{
    private static readonly Lazy<IReadOnlyDictionary<string, long>> LazyPorts = new(() =>
    {
        var template = Assert.IsType<JsonObject>(Assert.Single(YamlJson.LoadDocuments(File.ReadAllText(Repository.PathOf("dapr.yaml")))));
        return (template["apps"] as JsonArray ?? [])
            .OfType<JsonObject>()
            .ToDictionary(a => a["appID"].AsText()!, a => a["appPort"]!.GetValue<long>(), StringComparer.Ordinal);
    });

    public static IReadOnlyDictionary<string, long> AppPorts => LazyPorts.Value;
}
