using System.Text.Json.Nodes;
using Maximus.Contracts;

namespace Maximus.Deployment.Tests;

/// <summary>
/// The rendered overlays keep memory: memory reads and writes Qdrant (with its API key), Qdrant keeps its data on
/// volume claims of the overlay's storage class and admits only the memory pods, and no replicated role keeps
/// durable data on an emptyDir (<see cref="ProductionShape"/>).
/// </summary>
public sealed class ProductionShapeTests
{
    public static TheoryData<string> Overlays() => ["k8s/overlays/k3s", "k8s/overlays/gke"];

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Overlay_points_memory_at_qdrant_and_keeps_no_durable_data_on_empty_dirs(string overlay)
    {
        var problems = ProductionShape.Problems(Kustomize.Render(overlay));

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Gke_overlay_runs_at_least_two_replicas_of_every_role_so_the_empty_dir_rule_applies()
    {
        var rendered = Kustomize.Render("k8s/overlays/gke");

        Assert.All(Repository.Roles, role => Assert.True(
            ProductionShape.Replicas(rendered, rendered.Single(m => m.Kind == "Deployment" && m.Name == role)) >= 2, role));
    }

    [Fact]
    public void A_replicated_role_with_its_data_folder_on_an_empty_dir_is_reported()
    {
        var rendered = Clone(Kustomize.Render("k8s/overlays/gke"));
        var orchestrator = Pods.Template(rendered.Single(m => m.Kind == "Deployment" && m.Name == AppIds.Orchestrator))!;
        var volumes = (JsonArray)orchestrator["spec"]!["volumes"]!;
        volumes.Add(new JsonObject { ["name"] = "data", ["emptyDir"] = new JsonObject() });
        var container = (JsonObject)((JsonArray)orchestrator["spec"]!["containers"]!)[0]!;
        ((JsonArray)container["volumeMounts"]!).Add(new JsonObject { ["name"] = "data", ["mountPath"] = "/home/app/.maximus" });

        var problem = Assert.Single(ProductionShape.Problems(rendered));

        Assert.Contains("orchestrator", problem, StringComparison.Ordinal);
        Assert.Contains("/home/app/.maximus", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void The_same_empty_dir_in_a_single_replica_role_is_not_reported()
    {
        var rendered = Clone(Kustomize.Render("k8s/overlays/k3s"));
        var memory = Pods.Template(rendered.Single(m => m.Kind == "Deployment" && m.Name == AppIds.Memory))!;
        ((JsonArray)memory["spec"]!["volumes"]!).Add(new JsonObject { ["name"] = "data", ["emptyDir"] = new JsonObject() });
        var container = (JsonObject)((JsonArray)memory["spec"]!["containers"]!)[0]!;
        ((JsonArray)container["volumeMounts"]!).Add(new JsonObject { ["name"] = "data", ["mountPath"] = "/home/app/.maximus" });

        Assert.Empty(ProductionShape.Problems(rendered));
        var hpa = rendered.Single(m => m.Kind == "HorizontalPodAutoscaler" && m.Name == AppIds.Memory);
        hpa.Node["spec"]!["minReplicas"] = 2L;
        Assert.Contains(ProductionShape.Problems(rendered), p => p.Contains("memory: 2 replicas", StringComparison.Ordinal) && p.Contains("volume data", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(null, "no vector-store URL")]
    [InlineData("http://qdrant:6333", "names no Service gRPC port")]
    [InlineData("http://chroma:6334", "names no Service gRPC port")]
    [InlineData("qdrant:6334", "names no Service gRPC port")]
    public void A_memory_role_without_a_reachable_vector_store_url_is_reported(string? url, string expected)
    {
        var rendered = Clone(Kustomize.Render("k8s/overlays/gke"));
        var env = MemoryEnvironment(rendered);
        var entry = env.OfType<JsonObject>().Single(e => e["name"].AsText() == ProductionShape.QdrantUrlVariables[0]);
        if (url is null)
        {
            env.Remove(entry);
        }
        else
        {
            entry["value"] = url;
        }

        Assert.Contains(ProductionShape.Problems(rendered), p => p.StartsWith("memory: ", StringComparison.Ordinal) && p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void A_memory_role_without_qdrants_api_key_is_reported()
    {
        var rendered = Clone(Kustomize.Render("k8s/overlays/k3s"));
        var env = MemoryEnvironment(rendered);
        env.Remove(env.OfType<JsonObject>().Single(e => e["name"].AsText() == ProductionShape.QdrantApiKeyVariable));

        var problem = Assert.Single(ProductionShape.Problems(rendered));

        Assert.Contains(ProductionShape.QdrantApiKeyVariable, problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("k8s/overlays/k3s", "local-path", "local-path")]
    [InlineData("k8s/overlays/gke", "premium-rwo", "standard-rwo")]
    public void Qdrant_keeps_its_collections_and_snapshots_on_claims_of_the_overlays_storage_classes(string overlay, string storage, string snapshots)
    {
        var qdrant = Kustomize.Render(overlay).Single(m => m.Kind == "StatefulSet" && m.Name == "qdrant");

        var claims = (qdrant.Node["spec"]?["volumeClaimTemplates"] as JsonArray ?? []).OfType<JsonObject>()
            .ToDictionary(c => c["metadata"]?["name"].AsText()!, c => c["spec"]?["storageClassName"].AsText(), StringComparer.Ordinal);
        Assert.Equal(storage, claims["storage"]);
        Assert.Equal(snapshots, claims["snapshots"]);
        Assert.DoesNotContain(Pods.Template(qdrant)?["spec"]?["volumes"] as JsonArray ?? [], v => v?["name"].AsText() is "storage" or "snapshots");
        var key = Pods.Containers(qdrant).Single()["env"]!.AsArray().Single(e => e?["name"].AsText() == "QDRANT__SERVICE__API_KEY");
        Assert.Equal("qdrant-api-key", key?["valueFrom"]?["secretKeyRef"]?["name"].AsText());
        Assert.Null(key?["valueFrom"]?["secretKeyRef"]?["optional"]);
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Only_the_memory_pods_reach_qdrants_api_and_only_qdrant_peers_its_cluster_port(string overlay)
    {
        var rendered = Kustomize.Render(overlay);
        var qdrantLabels = Pods.Template(rendered.Single(m => m.Kind == "StatefulSet" && m.Name == "qdrant"))?["metadata"]?["labels"] as JsonObject ?? [];
        var policies = rendered.Where(m => m.Kind == "NetworkPolicy" && Selects(m.Node["spec"]?["podSelector"] as JsonObject, qdrantLabels)).ToList();

        var rules = policies.SelectMany(p => (p.Node["spec"]?["ingress"] as JsonArray ?? []).OfType<JsonObject>()).ToList();
        Assert.NotEmpty(rules);
        foreach (var rule in rules)
        {
            var peers = (rule["from"] as JsonArray ?? []).OfType<JsonObject>().ToList();
            Assert.NotEmpty(peers);
            Assert.All(peers, peer => Assert.Equal(["podSelector"], peer.Select(p => p.Key)));
            var ports = (rule["ports"] as JsonArray ?? []).Select(p => p?["port"]?.GetValue<long>()).Order().ToList();
            var selected = peers.Select(p => p["podSelector"]?["matchLabels"]?["app.kubernetes.io/name"].AsText()).Distinct().ToList();
            if (ports.SequenceEqual([6333L, 6334L]))
            {
                Assert.Equal([AppIds.Memory], selected);
                Assert.All(peers, p => Assert.Equal("maximus", p["podSelector"]?["matchLabels"]?["app.kubernetes.io/part-of"].AsText()));
            }
            else
            {
                Assert.Equal([6335L], ports);
                Assert.Equal(["qdrant"], selected);
            }
        }
    }

    /// <summary>Whether a label selector (matchLabels, matchExpressions) selects a pod with these labels.</summary>
    private static bool Selects(JsonObject? selector, JsonObject labels)
    {
        if (selector is null)
        {
            return false;
        }

        var matchLabels = (selector["matchLabels"] as JsonObject ?? []).All(l => labels[l.Key].AsText() == l.Value.AsText());
        var matchExpressions = (selector["matchExpressions"] as JsonArray ?? []).OfType<JsonObject>().All(e =>
        {
            var value = labels[e["key"].AsText()!].AsText();
            var values = (e["values"] as JsonArray ?? []).Select(v => v.AsText()).ToList();
            return e["operator"].AsText() switch
            {
                "In" => value is not null && values.Contains(value),
                "NotIn" => value is null || !values.Contains(value),
                "Exists" => value is not null,
                "DoesNotExist" => value is null,
                _ => false,
            };
        });
        return matchLabels && matchExpressions;
    }

    private static JsonArray MemoryEnvironment(IReadOnlyList<Manifest> rendered) =>
        (JsonArray)Pods.Containers(rendered.Single(m => m.Kind == "Deployment" && m.Name == AppIds.Memory)).Single()["env"]!;

    private static List<Manifest> Clone(IReadOnlyList<Manifest> rendered) =>
        [.. rendered.Select(m => m with { Node = (JsonObject)m.Node.DeepClone() })];
}
