using System.Text.Json.Nodes;
using Maximus.Contracts;

namespace Maximus.Deployment.Tests;

/// <summary>Every kustomization renders with kubectl, and what it renders validates and is a complete environment.</summary>
public sealed class KustomizeRenderTests
{
    public static TheoryData<string> KustomizeDirectories() => [.. Kustomize.Directories()];

    public static TheoryData<string> Overlays() => ["k8s/overlays/k3s", "k8s/overlays/gke"];

    [Fact]
    public void The_overlays_the_base_and_the_edge_are_kustomizations()
    {
        Assert.Subset(
            new HashSet<string>(Kustomize.Directories(), StringComparer.Ordinal),
            new HashSet<string>(["k8s/base", "k8s/overlays/k3s", "k8s/overlays/gke", "k8s/kserve", "k8s/knative", "edge"], StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(KustomizeDirectories))]
    public void Kustomization_renders_and_every_rendered_document_validates(string directory)
    {
        var schemas = new ManifestSchemas(Repository.RequireSchemaRoot());

        var rendered = Kustomize.Render(directory);

        Assert.NotEmpty(rendered);
        var failures = rendered
            .Select(document => (document, verdict: schemas.Validate(document.Node)))
            .Where(x => !x.verdict.IsValid)
            .Select(x => $"{x.document} is invalid {x.verdict}")
            .ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Overlay_renders_every_role_and_the_five_dapr_resources_in_namespace_maximus(string overlay)
    {
        var rendered = Kustomize.Render(overlay);

        foreach (var role in Repository.Roles)
        {
            foreach (var kind in new[] { "Deployment", "Service", "ServiceAccount", "PodDisruptionBudget", "HorizontalPodAutoscaler" })
            {
                Assert.Single(rendered, m => m.Kind == kind && m.Name == role);
            }
        }

        var dapr = rendered.Where(m => m.IsDapr).Select(m => m.Name).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(Repository.ComponentNames.Order(StringComparer.Ordinal), dapr);
        Assert.Single(rendered, m => m.Kind == "Namespace" && m.Name == "maximus");
        Assert.Single(rendered, m => m.Kind == "StatefulSet" && m.Name == "qdrant");
        Assert.All(rendered.Where(m => m.Kind != "Namespace"), m => Assert.Equal("maximus", m.Node["metadata"]?["namespace"].AsText()));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Overlay_pins_a_registry_image_with_a_tag(string overlay)
    {
        var images = Kustomize.Render(overlay)
            .Where(m => m.Kind == "Deployment" && Repository.Roles.Contains(m.Name!))
            .SelectMany(Pods.Containers)
            .Select(c => c["image"].AsText())
            .Distinct()
            .ToList();

        var image = Assert.Single(images);
        Assert.Matches("^[a-z0-9.-]+(:[0-9]+)?/.+/maximus-host:[0-9][0-9A-Za-z.-]*$", image);
    }

    [Fact]
    public void K3s_overlay_runs_redis_for_its_components_and_lets_the_secret_store_read_only_named_secrets()
    {
        var rendered = Kustomize.Render("k8s/overlays/k3s");

        Assert.Single(rendered, m => m.Kind == "StatefulSet" && m.Name == "redis");
        Assert.Single(rendered, m => m.Kind == "Service" && m.Name == "redis");
        Assert.Equal("pubsub.redis", rendered.Single(m => m.Name == Components.PubSub).Node["spec"]?["type"].AsText());
        Assert.Equal("secretstores.kubernetes", rendered.Single(m => m.Name == Components.SecretStore).Node["spec"]?["type"].AsText());
        var rule = Assert.Single(rendered.Single(m => m.Kind == "Role").Node["rules"] as JsonArray ?? []);
        Assert.Equal(["get"], (rule?["verbs"] as JsonArray ?? []).Select(v => v.AsText()));
        Assert.NotEmpty(rule?["resourceNames"] as JsonArray ?? []);
        Assert.All(rendered.Where(m => m.Kind == "HorizontalPodAutoscaler"), hpa => Assert.Equal(1L, hpa.Node["spec"]?["minReplicas"]?.GetValue<long>()));
    }

    [Fact]
    public void Gke_overlay_binds_every_role_to_its_google_service_account_with_workload_identity()
    {
        var rendered = Kustomize.Render("k8s/overlays/gke");

        foreach (var role in Repository.Roles)
        {
            var account = rendered.Single(m => m.Kind == "ServiceAccount" && m.Name == role);
            Assert.Matches(
                $"^maximus-{role}@[a-z][a-z0-9-]+\\.iam\\.gserviceaccount\\.com$",
                account.Node["metadata"]?["annotations"]?["iam.gke.io/gcp-service-account"].AsText() ?? "");
        }

        Assert.Equal("pubsub.gcp.pubsub", rendered.Single(m => m.Name == Components.PubSub).Node["spec"]?["type"].AsText());
        Assert.Equal("secretstores.gcp.secretmanager", rendered.Single(m => m.Name == Components.SecretStore).Node["spec"]?["type"].AsText());
        Assert.Equal("state.postgresql", rendered.Single(m => m.Name == Components.StateStore).Node["spec"]?["type"].AsText());
    }

    [Fact]
    public void Edge_renders_the_edge_planner_with_the_edge_components_in_its_own_namespace()
    {
        var rendered = Kustomize.Render("edge");

        Assert.Single(rendered, m => m.Kind == "Deployment" && m.Name == AppIds.Planner);
        Assert.Equal(Repository.ComponentNames.Order(StringComparer.Ordinal), rendered.Where(m => m.IsDapr).Select(m => m.Name).Order(StringComparer.Ordinal));
        Assert.All(rendered.Where(m => m.Kind != "Namespace"), m => Assert.Equal("maximus-edge", m.Node["metadata"]?["namespace"].AsText()));
    }
}
