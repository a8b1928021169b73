using System.Text.Json;
using System.Text.Json.Nodes;
using Maximus.Contracts;

namespace Maximus.Deployment.Tests;

/// <summary>Names, scopes, policies and secrets of the Dapr resources agree with Maximus.Contracts.</summary>
public sealed class ComponentConsistencyTests
{
    private static readonly Lazy<IReadOnlyList<Manifest>> LazyComponents =
        new(() => [.. Manifest.LoadAll().Where(m => m.File.StartsWith("components/", StringComparison.Ordinal))]);

    private static IReadOnlyList<Manifest> DaprResources => [.. LazyComponents.Value.Where(m => m.IsDapr)];

    [Fact]
    public void Every_scoped_dapr_resource_declares_a_non_empty_scopes_list()
    {
        var unscoped = DaprResources
            .Where(m => m.IsScopedDaprKind && (m.Scopes.Count == 0 || m.Scopes.Any(string.IsNullOrWhiteSpace)))
            .Select(m => m.ToString())
            .ToList();

        Assert.NotEmpty(DaprResources);
        Assert.True(unscoped.Count == 0, "without scopes: " + string.Join(", ", unscoped));
    }

    [Fact]
    public void Every_scope_is_a_known_app_id()
    {
        var unknown = DaprResources
            .SelectMany(m => m.Scopes.Where(s => s is null || !Repository.KnownAppIds.Contains(s)).Select(s => $"{m}: '{s}'"))
            .ToList();

        Assert.True(unknown.Count == 0, "unknown app ids in scopes: " + string.Join(", ", unknown));
    }

    [Fact]
    public void Scopes_list_no_app_twice()
    {
        var repeated = DaprResources
            .Where(m => m.Scopes.Distinct().Count() != m.Scopes.Count)
            .Select(m => m.ToString())
            .ToList();

        Assert.True(repeated.Count == 0, "repeated scopes: " + string.Join(", ", repeated));
    }

    [Fact]
    public void Each_environment_defines_exactly_the_contract_component_names()
    {
        var environments = DaprResources.GroupBy(m => m.Environment ?? "(components root)").ToList();

        Assert.Contains(environments, g => g.Key == "local");
        foreach (var environment in environments)
        {
            var names = environment.Select(m => m.Name ?? "(no name)").Order(StringComparer.Ordinal).ToList();
            Assert.True(
                names.SequenceEqual(Repository.ComponentNames.Order(StringComparer.Ordinal)),
                $"components/{environment.Key} defines [{string.Join(", ", names)}], "
                + $"expected each of [{string.Join(", ", Repository.ComponentNames.Order(StringComparer.Ordinal))}] once.");
        }
    }

    [Fact]
    public void Each_contract_name_has_the_matching_kind_and_component_type()
    {
        var expected = new Dictionary<string, (string Kind, string? TypePrefix)>(StringComparer.Ordinal)
        {
            [Components.PubSub] = ("Component", "pubsub."),
            [Components.StateStore] = ("Component", "state."),
            [Components.SecretStore] = ("Component", "secretstores."),
            [Components.Configuration] = ("Configuration", null),
            [Components.Resiliency] = ("Resiliency", null),
        };

        var mismatches = DaprResources
            .Where(m => m.Name is not null && expected.ContainsKey(m.Name))
            .Where(m =>
            {
                var (kind, typePrefix) = expected[m.Name!];
                var type = m.Node["spec"]?["type"].AsText();
                return m.Kind != kind || (typePrefix is not null && type?.StartsWith(typePrefix, StringComparison.Ordinal) != true);
            })
            .Select(m => $"{m} type {m.Node["spec"]?["type"].AsText()}")
            .ToList();

        Assert.True(mismatches.Count == 0, string.Join(", ", mismatches));
    }

    [Fact]
    public void Each_environment_has_one_actor_state_store_and_it_is_the_contract_state_store()
    {
        foreach (var environment in DaprResources.Where(m => m.Kind == "Component").GroupBy(m => m.Environment))
        {
            var actorStores = environment
                .Where(m => MetadataEntries(m).Any(e => e.Name == "actorStateStore" && e.Value is "true"))
                .Select(m => m.Name)
                .ToList();

            Assert.Equal([Components.StateStore], actorStores);
        }
    }

    [Fact]
    public void Access_control_policies_name_known_callers_with_trust_domain_and_namespace()
    {
        foreach (var configuration in DaprResources.Where(m => m.Kind == "Configuration"))
        {
            var accessControl = configuration.Node["spec"]?["accessControl"];
            if (accessControl is null)
            {
                continue;
            }

            var policies = accessControl["policies"] as JsonArray ?? [];
            foreach (var policy in policies)
            {
                var appId = policy?["appId"].AsText();
                Assert.True(appId is not null && Repository.KnownAppIds.Contains(appId), $"{configuration}: unknown caller '{appId}'");

                // daprd refuses to load a policy without either (it then fails to start).
                Assert.False(string.IsNullOrEmpty(policy?["trustDomain"].AsText()), $"{configuration}: policy for {appId} has no trustDomain");
                Assert.False(string.IsNullOrEmpty(policy?["namespace"].AsText()), $"{configuration}: policy for {appId} has no namespace");
            }

            // Dapr keys policies by app id AND namespace (the same app id in two namespaces is two callers).
            var callers = policies.Select(p => (p?["appId"].AsText(), p?["namespace"].AsText())).ToList();
            Assert.True(callers.Distinct().Count() == callers.Count, $"{configuration}: a caller has two policies");
        }
    }

    [Fact]
    public void Local_access_control_allows_exactly_the_intended_callers()
    {
        var configuration = Assert.Single(DaprResources, m => m.Environment == "local" && m.Kind == "Configuration");
        var accessControl = configuration.Node["spec"]?["accessControl"];

        var callers = (accessControl?["policies"] as JsonArray ?? [])
            .Where(p => p?["defaultAction"].AsText() == "allow")
            .Select(p => p?["appId"].AsText())
            .Order(StringComparer.Ordinal);

        // Locally there is no Sentry, so no caller identity: the default must let calls through (see components/README.md).
        Assert.Equal("allow", accessControl?["defaultAction"].AsText());
        Assert.Equal(
            [AppIds.Executor, Repository.CliAppId, AppIds.Orchestrator, AppIds.Planner, AppIds.Reflector],
            callers);
    }

    [Fact]
    public void Resiliency_targets_name_known_apps_and_components_and_defined_policies()
    {
        foreach (var resiliency in DaprResources.Where(m => m.Kind == "Resiliency"))
        {
            var spec = resiliency.Node["spec"];
            var defined = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal)
            {
                ["timeout"] = Keys(spec?["policies"]?["timeouts"]),
                ["retry"] = Keys(spec?["policies"]?["retries"]),
                ["circuitBreaker"] = Keys(spec?["policies"]?["circuitBreakers"]),
            };

            var apps = spec?["targets"]?["apps"] as JsonObject ?? [];
            foreach (var (app, target) in apps)
            {
                Assert.True(Repository.KnownAppIds.Contains(app), $"{resiliency}: unknown app target '{app}'");
                AssertPolicies(resiliency, $"apps.{app}", target, defined);
            }

            var components = spec?["targets"]?["components"] as JsonObject ?? [];
            foreach (var (component, target) in components)
            {
                Assert.True(Repository.ComponentNames.Contains(component), $"{resiliency}: unknown component target '{component}'");
                foreach (var direction in new[] { "inbound", "outbound" })
                {
                    AssertPolicies(resiliency, $"components.{component}.{direction}", target?[direction], defined);
                }
            }
        }
    }

    [Fact]
    public void Secret_files_hold_placeholder_names_with_empty_values()
    {
        var secretFiles = Repository.ManifestFolders
            .Select(Repository.PathOf)
            .Where(Directory.Exists)
            .SelectMany(folder => Directory.EnumerateFiles(folder, "secrets*.json", SearchOption.AllDirectories))
            .ToList();

        Assert.Contains(secretFiles, f => Repository.Relative(f) == "components/local/secrets.json");
        foreach (var file in secretFiles)
        {
            var root = Assert.IsType<JsonObject>(JsonNode.Parse(File.ReadAllText(file)));
            Assert.NotEmpty(root);
            var filled = Leaves(root, "").Where(l => l.Value is not "").Select(l => l.Path).ToList();
            Assert.True(filled.Count == 0, $"{Repository.Relative(file)} carries values for: {string.Join(", ", filled)}");
        }
    }

    [Fact]
    public void Component_metadata_carries_no_plain_text_secret()
    {
        string[] sensitive = ["password", "passwd", "token", "apikey", "api-key", "accesskey", "secretkey", "privatekey",
            "clientsecret", "masterkey", "connectionstring", "credential"];

        var leaks = DaprResources
            .Where(m => m.Kind == "Component")
            .SelectMany(m => MetadataEntries(m)
                .Where(e => sensitive.Any(s => e.Name?.Contains(s, StringComparison.OrdinalIgnoreCase) == true))
                .Where(e => e.Value is not (null or ""))
                .Select(e => $"{m}: {e.Name}"))
            .ToList();

        Assert.True(leaks.Count == 0, "use secretKeyRef instead of a value: " + string.Join(", ", leaks));
    }

    private static IEnumerable<(string? Name, string? Value)> MetadataEntries(Manifest manifest) =>
        (manifest.Node["spec"]?["metadata"] as JsonArray ?? [])
            .Select(e => (e?["name"].AsText(), e?["value"] is { } v ? (v.AsText() ?? v.ToJsonString()) : null));

    private static HashSet<string> Keys(JsonNode? node) =>
        node is JsonObject obj ? obj.Select(p => p.Key).ToHashSet(StringComparer.Ordinal) : [];

    private static void AssertPolicies(Manifest resiliency, string target, JsonNode? node, Dictionary<string, IReadOnlySet<string>> defined)
    {
        foreach (var (field, names) in defined)
        {
            if (node?[field].AsText() is { } name)
            {
                Assert.True(names.Contains(name), $"{resiliency}: {target}.{field} names undefined policy '{name}'");
            }
        }
    }

    private static IEnumerable<(string Path, string? Value)> Leaves(JsonNode? node, string path) => node switch
    {
        JsonObject obj => obj.SelectMany(p => Leaves(p.Value, $"{path}/{p.Key}")),
        JsonArray array => array.SelectMany((item, i) => Leaves(item, $"{path}/{i}")),
        JsonValue value when value.GetValueKind() == JsonValueKind.String => [(path, value.GetValue<string>())],
        null => [(path, "")],
        _ => [(path, node.ToJsonString())],
    };
}
