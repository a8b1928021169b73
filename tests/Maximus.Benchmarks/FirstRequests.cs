using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Maximus.Composition;
using Maximus.Contracts;
using Maximus.Contracts.Memory;
using Maximus.Contracts.Missions;
using Maximus.Contracts.Planning;
using Maximus.Contracts.Plugins;
using Maximus.Contracts.Reflection;
using Maximus.Plugins.Pddl;
using Maximus.ServiceDefaults;

namespace Maximus.Benchmarks;

/// <summary>
/// The first real request of each role, as a client would send it right after the host says ready: what the cold-start
/// benchmark waits for. <c>all</c> sends every one of them and succeeds when all do.
/// </summary>
internal static class FirstRequests
{
    /// <summary>The CLI's sample Blocksworld domain (the one `maximus run` uses), read from the repository.</summary>
    internal static readonly Lazy<string> Domain = new(() =>
        File.ReadAllText(Path.Combine(PublishedHost.RepositoryRoot(), "services", "Maximus.Cli", "Samples", "blocksworld-domain.pddl")));

    private const string Problem = """
        (define (problem three) (:domain blocksworld)
          (:objects a b c)
          (:init (ontable a) (ontable b) (on c a) (clear b) (clear c) (handempty))
          (:goal (and (on a b) (on b c))))
        """;

    private static readonly Lazy<PlanningRequest> Plan = new(() =>
    {
        var environment = PddlEnvironment.Create(Domain.Value, Problem);
        return new PlanningRequest(environment.Manifest(AppIds.PddlPlugin, "1").Actions, environment.State(), environment.Goal, Planner: "symbolic");
    });

    public static string Describe(string role) => role switch
    {
        AppIds.Memory => "POST v1/memory/{agent}/search {query, k 5} (query embedding + search)",
        AppIds.Planner => "POST v1/plans (3-block Blocksworld, symbolic planner)",
        AppIds.Reflector => "POST v1/reflections (one execution log, CRITICAL: reflected synchronously)",
        AppIds.Orchestrator => "POST v1/missions accepted (202)",
        AppIds.PddlPlugin => "POST v1/environments (a Blocksworld problem parsed and created)",
        AppIds.Executor => "GET /health/ready only: the executor's requests need a plugin app beside it",
        MaximusHostSettings.AllRoles => "every role's request above: a memory search, a plan, a reflection, an environment created, a mission accepted",
        _ => "GET /health/ready",
    };

    /// <summary>True when the role's request(s) succeeded.</summary>
    public static async Task<bool> SendAsync(string role, HttpClient http, Uri host, CancellationToken ct)
    {
        if (role == MaximusHostSettings.AllRoles)
        {
            foreach (var one in new[] { AppIds.Memory, AppIds.Planner, AppIds.Reflector, AppIds.PddlPlugin, AppIds.Orchestrator })
            {
                if (!await SendAsync(one, http, host, ct).ConfigureAwait(false))
                {
                    return false;
                }
            }

            return true;
        }

        return role switch
        {
            AppIds.Memory => await PostAsync(http, new Uri(host, "v1/memory/coldstart/search"), new SearchMemoryRequest("what happened after the last deploy?", K: 5), ct).ConfigureAwait(false),
            AppIds.Planner => await PostAsync(http, new Uri(host, "v1/plans"), Plan.Value, ct).ConfigureAwait(false),
            AppIds.Reflector => await PostAsync(http, new Uri(host, "v1/reflections"), new ExecutionLog(
                Guid.NewGuid().ToString("N"), "coldstart", "coldstart", 0, "(pick-up b)", ActionOutcome.Succeeded, 3, DateTimeOffset.UtcNow,
                Priority: ReflectionPriority.Critical), ct).ConfigureAwait(false),
            AppIds.PddlPlugin => await PostAsync(http, new Uri(host, "v1/environments"), new Maximus.Plugins.Pddl.Service.CreateEnvironmentRequest(Domain.Value, Problem), ct).ConfigureAwait(false),
            AppIds.Orchestrator => await PostAsync(http, new Uri(host, "v1/missions"), new MissionRequest(AppIds.PddlPlugin, Description: "cold start"), ct).ConfigureAwait(false),
            _ => true,
        };
    }

    private static async Task<bool> PostAsync<T>(HttpClient http, Uri uri, T body, CancellationToken ct)
    {
        using var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, MaximusJson.Options));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await http.PostAsync(uri, content, ct).ConfigureAwait(false);
        return response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Created or HttpStatusCode.Accepted;
    }
}
