using System.Text.Json.Nodes;
using Maximus.Contracts;

namespace Maximus.Deployment.Tests;

/// <summary>
/// What a rendered overlay must hold to keep memory: the memory role points at a vector store the overlay deploys,
/// and no role that runs more than one replica keeps durable data on an <c>emptyDir</c> (k8s/README.md, "Volumes").
/// </summary>
/// <remarks>
/// Durable and spool are told apart by the volume's name: an <c>emptyDir</c> named <c>tmp</c>, or ending in
/// <c>-spool</c> (a local queue drained into a service, e.g. the reflection outbox) or <c>-cache</c> (per pod,
/// derived from data held elsewhere) may be lost with its pod; any other <c>emptyDir</c> is durable data.
/// </remarks>
internal static class ProductionShape
{
    /// <summary>The settings the memory role reads for Qdrant's address (QdrantVectorStoreOptions, VectorStoreServiceCollectionExtensions).</summary>
    public static IReadOnlyList<string> QdrantUrlVariables { get; } = ["Maximus__Memory__Qdrant__Url", "QDRANT_URL"];

    public const string QdrantApiKeyVariable = "Maximus__Memory__Qdrant__ApiKey";

    public static bool IsDisposable(string volumeName) =>
        volumeName == "tmp" || volumeName.EndsWith("-spool", StringComparison.Ordinal) || volumeName.EndsWith("-cache", StringComparison.Ordinal);

    /// <summary>Every problem of a rendered overlay, one line each; empty when it keeps memory.</summary>
    public static IReadOnlyList<string> Problems(IReadOnlyList<Manifest> rendered)
    {
        var problems = new List<string>();
        foreach (var workload in rendered.Where(m => m.Kind is "Deployment" or "StatefulSet"))
        {
            var replicas = Replicas(rendered, workload);
            if (replicas <= 1)
            {
                continue;
            }

            var pod = Pods.Template(workload)?["spec"];
            var emptyDirs = (pod?["volumes"] as JsonArray ?? []).OfType<JsonObject>()
                .Where(v => v["emptyDir"] is not null).Select(v => v["name"].AsText()!).ToHashSet(StringComparer.Ordinal);
            foreach (var container in Pods.Containers(workload).Concat(Pods.InitContainers(workload)))
            {
                foreach (var mount in (container["volumeMounts"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    var name = mount["name"].AsText()!;
                    if (emptyDirs.Contains(name) && !IsDisposable(name))
                    {
                        problems.Add($"{workload.Kind} {workload.Name}: {replicas} replicas keep {mount["mountPath"].AsText()} (volume {name}) on emptyDir");
                    }
                }
            }
        }

        var memory = rendered.SingleOrDefault(m => m.Kind == "Deployment" && m.Name == AppIds.Memory);
        if (memory is null)
        {
            problems.Add("no memory Deployment");
            return problems;
        }

        var env = Pods.Containers(memory).SelectMany(c => (c["env"] as JsonArray ?? []).OfType<JsonObject>()).ToList();
        var url = env.FirstOrDefault(e => QdrantUrlVariables.Contains(e["name"].AsText()!))?["value"].AsText();
        if (url is null)
        {
            problems.Add($"memory: no vector-store URL ({string.Join(" or ", QdrantUrlVariables)})");
        }
        else if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            problems.Add($"memory: the vector-store URL '{url}' is not an absolute URI");
        }
        else if (!rendered.Any(m => m.Kind == "Service" && IsServedBy(m, uri)))
        {
            problems.Add($"memory: the vector-store URL '{url}' names no Service gRPC port of this overlay (Qdrant.Client speaks gRPC only)");
        }

        var key = env.FirstOrDefault(e => e["name"].AsText() == QdrantApiKeyVariable)?["valueFrom"]?["secretKeyRef"];
        var qdrantKey = rendered.Where(m => m.Kind == "StatefulSet" && m.Name == "qdrant").SelectMany(Pods.Containers)
            .SelectMany(c => (c["env"] as JsonArray ?? []).OfType<JsonObject>())
            .FirstOrDefault(e => e["name"].AsText() == "QDRANT__SERVICE__API_KEY")?["valueFrom"]?["secretKeyRef"];
        if (key is null || qdrantKey is null
            || key["name"].AsText() != qdrantKey["name"].AsText() || key["key"].AsText() != qdrantKey["key"].AsText())
        {
            problems.Add($"memory: {QdrantApiKeyVariable} is not the secretKeyRef Qdrant enforces (QDRANT__SERVICE__API_KEY)");
        }

        return problems;
    }

    /// <summary>The most replicas a workload keeps: its <c>replicas</c> or its autoscaler's <c>minReplicas</c> (both default 1).</summary>
    public static long Replicas(IReadOnlyList<Manifest> rendered, Manifest workload)
    {
        var replicas = workload.Node["spec"]?["replicas"]?.GetValue<long>() ?? 1;
        var autoscaled = rendered
            .Where(m => m.Kind == "HorizontalPodAutoscaler"
                && m.Node["spec"]?["scaleTargetRef"]?["kind"].AsText() == workload.Kind
                && m.Node["spec"]?["scaleTargetRef"]?["name"].AsText() == workload.Name)
            .Select(m => m.Node["spec"]?["minReplicas"]?.GetValue<long>() ?? 1);
        return autoscaled.Append(replicas).Max();
    }

    private static bool IsServedBy(Manifest service, Uri uri)
    {
        var host = uri.Host;
        var ns = service.Node["metadata"]?["namespace"].AsText();
        var names = new[] { service.Name, $"{service.Name}.{ns}", $"{service.Name}.{ns}.svc", $"{service.Name}.{ns}.svc.cluster.local" };
        return names.Contains(host, StringComparer.Ordinal)
            && (service.Node["spec"]?["ports"] as JsonArray ?? []).Any(p => p?["port"]?.GetValue<long>() == uri.Port && p?["name"].AsText() == "grpc");
    }
}
