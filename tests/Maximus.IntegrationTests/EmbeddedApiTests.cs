using System.Net;
using System.Text.Json.Nodes;
using Maximus.Contracts.Missions;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using static Maximus.IntegrationTests.Http;

namespace Maximus.IntegrationTests;

/// <summary>Maximus.Host on the embedded runtime with every role, shared by the tests of one class.</summary>
public sealed class EmbeddedAllRolesHost() : IAsyncDisposable
{
    public MaximusHostFactory Factory { get; } = new("all", "embedded");

    public ValueTask DisposeAsync() => Factory.DisposeAsync();
}

/// <summary>
/// The HTTP surface of Maximus.Host on the embedded runtime (every role in one process): health probes and
/// RFC 9457 problems that name the bad field, with nothing written on a refused request.
/// </summary>
public sealed class EmbeddedApiTests(EmbeddedAllRolesHost host) : IClassFixture<EmbeddedAllRolesHost>
{
    private readonly WebApplicationFactory<Program> _factory = host.Factory;

    [Fact]
    public async Task Liveness_answers_200_at_once_and_readiness_once_the_embedding_model_is_loaded()
    {
        using var client = _factory.CreateClient();

        using var live = await client.GetAsync("/health/live", Ct);
        using var ready = await WaitReadyAsync(client);

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync(Ct));

        // Ready means ready: the first search right after it runs with the model loaded.
        var embeddings = _factory.Services.GetRequiredService<Maximus.Memory.Vectors.Embeddings.EmbeddingWarmup>();
        var check = await embeddings.CheckHealthAsync(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext(), Ct);
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, check.Status);
    }

    [Theory]
    [InlineData("""{"pluginAppId": "pddl-env", "maxCandidates": "three"}""", "maxCandidates")]
    [InlineData("""{"pluginAppId": """, "pluginAppId")]
    [InlineData("not json", "body")]
    public async Task A_mission_with_malformed_JSON_is_a_400_problem_naming_the_field(string body, string field)
    {
        using var client = _factory.CreateClient();

        using var response = await client.PostAsync("/v1/missions", Json(body), Ct);

        var problem = await ReadProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(field, problem.Text("field"));
        Assert.NotNull(problem["errors"]?[field]);
    }

    [Fact]
    public async Task A_mission_for_an_invalid_plugin_app_id_is_a_400_problem_and_nothing_is_written()
    {
        using var client = _factory.CreateClient();

        using var response = await client.PostAsync("/v1/missions", Json(new MissionRequest("Bad App")), Ct);
        var problem = await ReadProblemAsync(response, HttpStatusCode.BadRequest);
        using var list = await client.GetAsync("/v1/missions", Ct);

        Assert.Equal("pluginAppId", problem.Text("field"));
        Assert.Contains("pluginAppId", problem.Text("detail"), StringComparison.Ordinal);
        Assert.Empty((await ReadJsonAsync(list, HttpStatusCode.OK)).AsArray());
    }

    [Fact]
    public async Task A_plan_request_without_actions_is_a_400_problem_naming_actions()
    {
        using var client = _factory.CreateClient();
        var request = """
            {
              "actions": [],
              "state": { "objects": [{ "name": "a" }, { "name": "b" }], "facts": [] },
              "goal": [{ "predicate": "on", "arguments": ["a", "b"] }]
            }
            """;

        using var response = await client.PostAsync("/v1/plans", Json(request), Ct);

        var problem = await ReadProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("actions", problem.Text("field"));
    }

    [Fact]
    public async Task An_environment_with_an_invalid_domain_is_a_400_problem_with_the_line_in_the_detail()
    {
        using var client = _factory.CreateClient();
        var domain = """
            (define (domain shelves)
              (:requirements :strips)
              (:predicates (on ?x ?y))
              (:action stack
                :parameters (?x ?y)
                :precondition (and (clear ?y))
                :effect (on ?x ?y)))
            """;

        using var response = await client.PostAsync(
            "/pddl-env/v1/environments", Json(new { domain, problem = Blocksworld.Problem("p", "(on a b)") }), Ct);

        var problem = await ReadProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("domain", problem.Text("field"));
        Assert.Matches(@"^domain:6:\d+: .*clear", problem.Text("detail"));
    }

    [Fact]
    public async Task An_environment_with_an_invalid_problem_is_a_400_problem_with_the_line_in_the_detail()
    {
        using var client = _factory.CreateClient();
        var problemText = """
            (define (problem broken)
              (:domain blocks)
              (:objects a b)
              (:init (handempty) (ontable a) (ontable b) (clear a) (clear b))
              (:goal (and (on a b) (stacked b a))))
            """;

        using var response = await client.PostAsync(
            "/pddl-env/v1/environments", Json(new { domain = Blocksworld.Domain, problem = problemText, problemFile = "broken.pddl" }), Ct);

        var problem = await ReadProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("problem", problem.Text("field"));
        Assert.Matches(@"^broken\.pddl:5:\d+: .*stacked", problem.Text("detail"));
    }

    [Fact]
    public async Task An_unknown_mission_is_a_404_problem()
    {
        using var client = _factory.CreateClient();

        using var response = await client.GetAsync("/v1/missions/m-does-not-exist", Ct);

        var problem = await ReadProblemAsync(response, HttpStatusCode.NotFound);
        Assert.Contains("m-does-not-exist", problem.Text("detail"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_step_reflection_reads_back_by_its_log_id_which_holds_slashes_sent_as_is_or_encoded()
    {
        using var client = _factory.CreateClient();
        var mission = "m-reflect-" + Guid.NewGuid().ToString("N")[..8];
        var logId = $"{mission}/r0/s2";
        var log = new Maximus.Contracts.Reflection.ExecutionLog(
            logId, mission, "agent-1", 2, "(stack a b)", Maximus.Contracts.Plugins.ActionOutcome.Succeeded, 3, DateTimeOffset.UtcNow, "ok", Priority:
            Maximus.Contracts.Reflection.ReflectionPriority.Critical);
        using (var submitted = await client.PostAsync("/v1/reflections", Json(log), Ct))
        {
            Assert.Equal(logId, (await ReadJsonAsync(submitted, HttpStatusCode.OK)).Text("logId"));
        }

        using var plain = await client.GetAsync($"/v1/reflections/{logId}", Ct);
        using var encoded = await client.GetAsync($"/v1/reflections/{Uri.EscapeDataString(logId)}", Ct);
        using var otherStep = await client.GetAsync($"/v1/reflections/{mission}/r0/s3", Ct);

        Assert.Equal(logId, (await ReadJsonAsync(plain, HttpStatusCode.OK)).Text("logId"));
        Assert.Equal(logId, (await ReadJsonAsync(encoded, HttpStatusCode.OK)).Text("logId"));
        Assert.Contains($"{mission}/r0/s3", (await ReadProblemAsync(otherStep, HttpStatusCode.NotFound)).Text("detail"), StringComparison.Ordinal);
    }

    /// <summary>/health/ready, asked until it answers 200 (the embedding model loads beside start-up) or a minute has passed.</summary>
    internal static async Task<HttpResponseMessage> WaitReadyAsync(HttpClient client)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var ready = await client.GetAsync("/health/ready", Ct);
            if (ready.StatusCode == HttpStatusCode.OK || clock.Elapsed > TimeSpan.FromMinutes(1))
            {
                return ready;
            }

            ready.Dispose();
            await Task.Delay(50, Ct);
        }
    }

}

/// <summary>Limits and the API token of Maximus.Host, each on a host configured for the test.</summary>
public sealed class EmbeddedHostLimitsTests
{
    [Fact]
    public async Task A_request_body_over_MaxRequestBodyBytes_is_refused_with_413()
    {
        // The limit is Kestrel's (TestServer enforces none), so this host listens on a loopback port.
        await using var host = new MaximusHostFactory("all", "embedded", new Dictionary<string, string>
        {
            ["Maximus:Service:MaxRequestBodyBytes"] = "1024",
        });
        host.UseKestrel(0);
        using var client = host.CreateClient();
        var small = """{"actions": [], "state": {"objects": [], "facts": []}, "goal": []}""";
        var large = new MissionRequest("pddl-env", Description: new string('x', 4096));

        using var smallResponse = await client.PostAsync("/v1/plans", Json(small), Ct);
        using var largeResponse = await client.PostAsync("/v1/missions", Json(large), Ct);
        using var list = await client.GetAsync("/v1/missions", Ct);

        await ReadProblemAsync(smallResponse, HttpStatusCode.BadRequest);
        await ReadProblemAsync(largeResponse, HttpStatusCode.RequestEntityTooLarge);
        Assert.Empty((await ReadJsonAsync(list, HttpStatusCode.OK)).AsArray());
    }

    [Fact]
    public async Task With_APP_API_TOKEN_set_a_request_needs_the_dapr_api_token_header_but_health_probes_do_not()
    {
        await using var host = new MaximusHostFactory("all", "embedded", new Dictionary<string, string> { ["APP_API_TOKEN"] = "s3cret" });
        using var client = host.CreateClient();

        using var missing = await client.GetAsync("/v1/missions", Ct);
        using var wrong = await client.SendAsync(WithToken(HttpMethod.Get, "/v1/missions", "guess"), Ct);
        using var right = await client.SendAsync(WithToken(HttpMethod.Get, "/v1/missions", "s3cret"), Ct);
        using var live = await client.GetAsync("/health/live", Ct);
        using var ready = await EmbeddedApiTests.WaitReadyAsync(client);

        var problem = await ReadProblemAsync(missing, HttpStatusCode.Unauthorized);
        Assert.Contains("dapr-api-token", problem.Text("detail"), StringComparison.Ordinal);
        await ReadProblemAsync(wrong, HttpStatusCode.Unauthorized);
        Assert.IsType<JsonArray>(await ReadJsonAsync(right, HttpStatusCode.OK));
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    private static HttpRequestMessage WithToken(HttpMethod method, string path, string token)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("dapr-api-token", token);
        return request;
    }
}
