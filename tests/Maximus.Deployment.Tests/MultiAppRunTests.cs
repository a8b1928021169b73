using System.Text.Json.Nodes;
using Maximus.Contracts;

namespace Maximus.Deployment.Tests;

/// <summary>dapr.yaml (Dapr Multi-App Run) starts every role once, on its own ports, with the local components.</summary>
public sealed class MultiAppRunTests
{
    private static readonly Lazy<JsonObject> LazyTemplate = new(() =>
        Assert.IsType<JsonObject>(Assert.Single(YamlJson.LoadDocuments(File.ReadAllText(Repository.PathOf("dapr.yaml"))))));

    private static JsonObject Template => LazyTemplate.Value;

    private static IReadOnlyList<JsonObject> Apps => [.. (Template["apps"] as JsonArray ?? []).Select(a => Assert.IsType<JsonObject>(a))];

    [Fact]
    public void Template_is_version_1()
    {
        Assert.Equal(1L, Template["version"]?.GetValue<long>());
    }

    [Fact]
    public void Multi_app_run_starts_exactly_the_services_and_the_pddl_plugin()
    {
        var appIds = Apps.Select(a => a["appID"].AsText()).ToList();

        Assert.Equal(appIds.Count, appIds.Distinct().Count());
        Assert.Equal(
            [.. AppIds.Services.Append(AppIds.PddlPlugin).Order(StringComparer.Ordinal)],
            appIds.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_app_and_sidecar_port_is_set_and_unique()
    {
        var ports = Apps
            .SelectMany(a => new[] { "appPort", "daprHTTPPort", "daprGRPCPort" }.Select(field => (App: a["appID"].AsText(), Field: field, Port: a[field])))
            .ToList();

        var missing = ports.Where(p => p.Port is not JsonValue value || !value.TryGetValue<long>(out _)).Select(p => $"{p.App}.{p.Field}").ToList();
        Assert.True(missing.Count == 0, "ports not set as numbers: " + string.Join(", ", missing));

        var clashes = ports.GroupBy(p => p.Port!.GetValue<long>()).Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(" and ", g.Select(p => $"{p.App}.{p.Field}"))}")
            .ToList();
        Assert.True(clashes.Count == 0, "ports used twice: " + string.Join("; ", clashes));
    }

    [Fact]
    public void Each_app_runs_the_host_in_its_own_role_with_the_dapr_runtime_on_its_app_port()
    {
        foreach (var app in Apps)
        {
            var appId = app["appID"].AsText();
            var command = (app["command"] as JsonArray ?? []).Select(c => c.AsText()).ToList();

            Assert.Equal("./services/Maximus.Host/", app["appDirPath"].AsText());
            Assert.Equal(["dotnet", "run", "--no-build", "--"], command.Take(4));
            Assert.Equal(appId, ArgumentAfter(command, "--role"));
            Assert.Equal("dapr", ArgumentAfter(command, "--runtime"));
            Assert.Equal($"http://localhost:{app["appPort"]}", ArgumentAfter(command, "--urls"));
        }
    }

    [Fact]
    public void Each_sidecar_waits_for_the_app_readiness_endpoint()
    {
        foreach (var app in Apps)
        {
            Assert.True(app["enableAppHealthCheck"]?.GetValue<bool>(), $"{app["appID"]}: enableAppHealthCheck");
            // The sidecar asks "is the app alive": /health/ready itself waits for the sidecar.
            Assert.Equal("/health/live", app["appHealthCheckPath"].AsText());
        }
    }

    [Fact]
    public void Common_resources_and_configuration_point_to_components_local()
    {
        var common = Template["common"];
        var resourcesPaths = new[] { common?["resourcesPath"].AsText() }
            .Concat((common?["resourcesPaths"] as JsonArray ?? []).Select(p => p.AsText()))
            .OfType<string>()
            .Select(p => Repository.Relative(Repository.PathOf(p)))
            .ToList();
        var configFile = common?["configFilePath"].AsText();

        Assert.Equal(["components/local"], resourcesPaths);
        Assert.NotNull(configFile);
        Assert.Equal("components/local/config.yaml", Repository.Relative(Repository.PathOf(configFile)));
        Assert.True(File.Exists(Repository.PathOf(configFile)));
        Assert.All(Apps, app =>
        {
            Assert.Null(app["resourcesPath"]);
            Assert.Null(app["resourcesPaths"]);
            Assert.Null(app["configFilePath"]);
        });
    }

    [Fact]
    public void Local_secret_store_file_resolves_from_each_sidecar_working_directory()
    {
        var secretStore = Assert.Single(Manifest.Load("components/local/secretstore.yaml"));
        var secretsFile = (secretStore.Node["spec"]?["metadata"] as JsonArray ?? [])
            .Where(e => e?["name"].AsText() == "secretsFile")
            .Select(e => e?["value"].AsText())
            .Single();
        Assert.NotNull(secretsFile);

        // dapr run -f starts each daprd in the app's appDirPath, so relative component paths start there.
        foreach (var app in Apps)
        {
            var resolved = Path.GetFullPath(Path.Combine(Repository.PathOf(app["appDirPath"].AsText()!), secretsFile));
            Assert.Equal("components/local/secrets.json", Repository.Relative(resolved));
            Assert.True(File.Exists(resolved), resolved);
        }
    }

    [Fact]
    public void Template_sets_no_api_token_or_other_secret_in_the_environment()
    {
        var environments = new[] { Template["common"]?["env"] }.Concat(Apps.Select(a => a["env"])).OfType<JsonObject>();

        var secrets = environments
            .SelectMany(env => env.Select(p => p.Key))
            .Where(key => key.Contains("TOKEN", StringComparison.OrdinalIgnoreCase)
                || key.Contains("KEY", StringComparison.OrdinalIgnoreCase)
                || key.Contains("SECRET", StringComparison.OrdinalIgnoreCase)
                || key.Contains("PASSWORD", StringComparison.OrdinalIgnoreCase))
            .ToList();

        Assert.Empty(secrets);
    }

    private static string? ArgumentAfter(IReadOnlyList<string?> command, string option)
    {
        var index = command.ToList().IndexOf(option);
        return index >= 0 && index + 1 < command.Count ? command[index + 1] : null;
    }
}
