using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Maximus.Contracts.Planning;
using Maximus.Contracts.Ports;
using Maximus.Edge.Planning;
using Maximus.Planning;
using Maximus.Planning.Llm;
using Maximus.Plugins.Pddl;
using Maximus.Runtime.Embedded;
using Maximus.ServiceDefaults;
using Maximus.Tests;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Maximus.Edge.Tests;

/// <summary>
/// The planner role as <c>Maximus.Host --role planner</c> composes it on an edge node (<c>Maximus:Edge:Enabled</c>),
/// over HTTP, with a fake cloud planner behind service invocation.
/// </summary>
public sealed class EdgePlannerRoleTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_symbolic_request_is_answered_on_the_edge_without_calling_the_cloud()
    {
        var cloud = new FakeCloudPlanner();
        await using var host = new EdgePlannerHost(cloud);
        using var http = host.CreateClient();

        var response = await http.PostAsJsonAsync("/v1/plans", Blocks(), MaximusJson.Options, Ct);

        var plan = await ReadPlanAsync(response);
        Assert.Equal(SymbolicPlannerName, Assert.Single(plan.Candidates).Planner);
        Assert.Equal(["(unstack c b)", "(put-down c)", "(unstack b a)", "(stack b c)", "(pick-up a)", "(stack a b)"],
            plan.Candidates[0].Steps.Select(s => s.ToString()));
        Assert.Equal(0, cloud.Calls);
        Assert.Equal(1, host.Router.Stats.Edge);
    }

    [Fact]
    public async Task A_repeated_request_is_answered_from_the_edge_plan_cache()
    {
        var cloud = new FakeCloudPlanner();
        await using var host = new EdgePlannerHost(cloud);
        using var http = host.CreateClient();

        var first = await ReadPlanAsync(await http.PostAsJsonAsync("/v1/plans", Blocks(), MaximusJson.Options, Ct));
        var second = await ReadPlanAsync(await http.PostAsJsonAsync("/v1/plans", Blocks(), MaximusJson.Options, Ct));

        Assert.Equal(first.Candidates[0].Steps.Select(s => s.ToString()), second.Candidates[0].Steps.Select(s => s.ToString()));
        Assert.Equal(0, second.NodesExpanded);
        Assert.Equal(1, host.Services.GetRequiredService<SymbolicEdgePlanning>().CacheHits);
        Assert.Equal(0, cloud.Calls);
    }

    [Fact]
    public async Task A_request_that_needs_the_llm_planner_is_forwarded_to_the_cloud_planner()
    {
        var cloud = new FakeCloudPlanner();
        await using var host = new EdgePlannerHost(cloud);
        using var http = host.CreateClient();

        var response = await http.PostAsJsonAsync("/v1/plans", WithoutEffects(), MaximusJson.Options, Ct);

        var plan = await ReadPlanAsync(response);
        Assert.Equal(PlannerRouter.Llm, Assert.Single(plan.Candidates).Planner);
        Assert.Equal(1, cloud.Calls);
        Assert.Equal(["v1/plans"], cloud.Methods);
        Assert.Equal(1, host.Router.Stats.Cloud);
    }

    [Fact]
    public async Task During_a_cloud_outage_the_edge_serves_what_it_can_and_refuses_the_rest_with_a_problem()
    {
        var cloud = new FakeCloudPlanner { Down = true };
        await using var host = new EdgePlannerHost(cloud);
        using var http = host.CreateClient();
        var servable = new List<HttpStatusCode>();
        var unservable = new List<HttpResponseMessage>();

        // A mix: 20 over declared effects (some repeated, some over budget for the router's credit), 5 needing the LLM planner.
        for (var i = 0; i < 25; i++)
        {
            if (i % 5 == 4)
            {
                unservable.Add(await http.PostAsJsonAsync("/v1/plans", WithoutEffects(), MaximusJson.Options, Ct));
            }
            else
            {
                var response = await http.PostAsJsonAsync("/v1/plans", i % 2 == 0 ? Blocks() : Blocks(towerOnA: true), MaximusJson.Options, Ct);
                await ReadPlanAsync(response);
                servable.Add(response.StatusCode);
            }
        }

        Assert.Equal(20, servable.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(5, unservable.Count);
        foreach (var response in unservable)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;
            Assert.Equal(503, problem["status"]!.GetValue<int>());
            Assert.Equal("Cloud planner unreachable", problem["title"]!.GetValue<string>());
            var detail = problem["detail"]!.GetValue<string>();
            Assert.Contains(FakeCloudPlanner.AppId, detail, StringComparison.Ordinal);
            Assert.Contains("declares effects", detail, StringComparison.Ordinal);
        }

        // The cloud was tried once, then the router stayed edge-only (no call per request).
        Assert.Equal(1, cloud.Calls);
        Assert.False(host.Router.CloudAvailable);
        Assert.Equal(5, host.Router.Stats.Unserved);
        Assert.Equal(20, host.Router.Stats.EdgeFallback + host.Router.Stats.Edge);
    }

    [Fact]
    public async Task Without_the_edge_setting_the_planner_answers_in_process()
    {
        await using var host = new EdgePlannerHost(new FakeCloudPlanner(), edge: false);

        Assert.IsType<PlannerRouter>(host.Services.GetRequiredService<IPlanRequestHandler>());
        Assert.Null(host.Services.GetService<SymbolicEdgePlanning>());
    }

    [Fact]
    public async Task An_edge_planner_pointed_at_its_own_app_id_is_refused_at_start_up()
    {
        await using var host = new EdgePlannerHost(new FakeCloudPlanner(), settings: new() { ["Maximus:Edge:planner:CloudAppId"] = "planner" });

        var error = Assert.Throws<OptionsValidationException>(() => host.CreateClient());

        Assert.Contains("planner.maximus", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_edge_manifest_runs_the_planner_edge_first_against_the_cloud_planner()
    {
        var environment = EdgeManifestEnvironment();
        Assert.Equal("true", environment["Maximus__Edge__Enabled"]);

        var settings = environment.ToDictionary(e => e.Key.Replace("__", ":", StringComparison.Ordinal), e => e.Value);
        var cloud = new FakeCloudPlanner();
        await using var host = new EdgePlannerHost(cloud, edge: false, settings: settings);
        using var http = host.CreateClient();
        await ReadPlanAsync(await http.PostAsJsonAsync("/v1/plans", WithoutEffects(), MaximusJson.Options, Ct));

        Assert.IsType<EdgeFirstPlanning>(host.Services.GetRequiredService<IPlanRequestHandler>());
        Assert.Equal(1, cloud.Calls);
    }

    /// <summary>The literal environment variables of the planner container in <c>edge/planner.yaml</c>.</summary>
    private static Dictionary<string, string> EdgeManifestEnvironment()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Maximus.sln")))
        {
            root = root.Parent;
        }

        Assert.NotNull(root);
        var yaml = new YamlDotNet.RepresentationModel.YamlStream();
        using (var reader = new StreamReader(Path.Combine(root.FullName, "edge", "planner.yaml")))
        {
            yaml.Load(reader);
        }

        static YamlDotNet.RepresentationModel.YamlNode At(YamlDotNet.RepresentationModel.YamlNode node, params string[] keys) =>
            keys.Aggregate(node, (n, key) => ((YamlDotNet.RepresentationModel.YamlMappingNode)n)[key]);

        var deployment = yaml.Documents.Select(d => d.RootNode).Single(n => At(n, "kind").ToString() == "Deployment");
        var container = ((YamlDotNet.RepresentationModel.YamlSequenceNode)At(deployment, "spec", "template", "spec", "containers"))
            .Single(c => At(c, "name").ToString() == "planner");
        return ((YamlDotNet.RepresentationModel.YamlSequenceNode)At(container, "env"))
            .Cast<YamlDotNet.RepresentationModel.YamlMappingNode>()
            .Where(e => e.Children.ContainsKey("value"))
            .ToDictionary(e => At(e, "name").ToString(), e => At(e, "value").ToString());
    }

    private const string SymbolicPlannerName = "symbolic";

    private static async Task<PlanningResponse> ReadPlanAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"expected 200, got {(int)response.StatusCode}: {body}");
        return System.Text.Json.JsonSerializer.Deserialize<PlanningResponse>(body, MaximusJson.Options)!;
    }

    /// <summary>Three blocks c on b on a, to be inverted (or, with <paramref name="towerOnA"/>, stacked b on a on c).</summary>
    internal static PlanningRequest Blocks(bool towerOnA = false)
    {
        var goal = towerOnA ? "(and (on b a) (on a c))" : "(and (on a b) (on b c))";
        var environment = PddlEnvironment.Create(TestPddl.Blocksworld, $"""
            (define (problem three)
              (:domain blocks)
              (:objects a b c)
              (:init (handempty) (ontable a) (on b a) (on c b) (clear c))
              (:goal {goal}))
            """);
        return new PlanningRequest(environment.Manifest("pddl-env", "1").Actions, environment.State(), environment.Goal);
    }

    /// <summary>The same plugin with its effects left undeclared: only an LLM planner can plan over it.</summary>
    internal static PlanningRequest WithoutEffects()
    {
        var request = Blocks();
        return request with { Actions = request.Actions.Select(a => a with { Effects = null }).ToList() };
    }

    /// <summary>Maximus.Host with the planner role on the embedded runtime, edge planning on, the fake cloud behind invocation.</summary>
    private sealed class EdgePlannerHost(FakeCloudPlanner cloud, bool edge = true, Dictionary<string, string>? settings = null)
        : WebApplicationFactory<Program>
    {
        private readonly string _dataDirectory = Directory.CreateTempSubdirectory("maximus-edge-tests-").FullName;

        public EdgeRouter<PlanningRequest, PlanningResponse> Router =>
            Services.GetRequiredKeyedService<EdgeRouter<PlanningRequest, PlanningResponse>>(EdgePlanningOptions.RouterName);

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("role", "planner");
            builder.UseSetting("runtime", "embedded");
            builder.UseSetting("data-dir", _dataDirectory);
            builder.UseSetting("Serilog:MinimumLevel:Default", "Error");
            builder.UseSetting("Maximus:Edge:Enabled", edge ? "true" : "false");
            foreach (var (key, value) in settings ?? [])
            {
                builder.UseSetting(key, value);
            }

            builder.ConfigureTestServices(services => services.AddSingleton<IServiceInvoker>(sp =>
            {
                cloud.Inner = sp.GetRequiredService<EmbeddedServiceInvoker>();
                return cloud;
            }));
        }

        public override async ValueTask DisposeAsync()
        {
            await base.DisposeAsync();
            try
            {
                Directory.Delete(_dataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp folder changes no test's outcome.
            }
        }
    }
}
