using System.Net;
using System.Text.Json.Nodes;
using static Maximus.IntegrationTests.Http;

namespace Maximus.IntegrationTests;

/// <summary>
/// A whole mission over HTTP on the embedded runtime with every role: a PDDL environment is created on the
/// plugin, the mission plans, simulates, executes, reflects and remembers, and memory lists its episodes.
/// </summary>
public sealed class MissionEndToEndTests
{
    private static readonly TimeSpan MissionTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan LessonTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_Blocksworld_mission_succeeds_and_lands_in_episodic_memory_with_its_lessons()
    {
        await using var host = new MaximusHostFactory("all", "embedded");
        using var client = host.CreateClient();

        using var created = await client.PostAsync(
            "/pddl-env/v1/environments", Json(new { domain = Blocksworld.Domain, problem = Blocksworld.InvertThree }), Ct);
        var environment = await ReadJsonAsync(created, HttpStatusCode.Created);
        var environmentId = environment.Text("environmentId")!;
        Assert.Equal("blocks", environment.Text("domainName"));

        using var accepted = await client.PostAsync("/v1/missions", Json(new { pluginAppId = "pddl-env", context = environmentId }), Ct);
        var missionId = (await ReadJsonAsync(accepted, HttpStatusCode.Accepted)).Text("missionId")!;

        var mission = await PollAsync(client, $"/v1/missions/{missionId}", MissionTimeout, m => m.Text("status") is "Succeeded" or "Failed");
        Assert.True(mission.Text("status") == "Succeeded", $"the mission ended {mission.ToJsonString()}");
        var result = mission["result"]!;
        var plan = result["plan"]!.AsArray().Select(s => s!.GetValue<string>()).ToList();
        Assert.True(result["goalReached"]!.GetValue<bool>());
        Assert.NotEmpty(plan);
        Assert.Equal(plan.Count, result["stepsExecuted"]!.GetValue<int>());
        Assert.Equal("(stack a b)", plan[^1]);

        // The plugin's own state says the goal holds: the plan really ran there.
        using var envView = await client.GetAsync($"/pddl-env/v1/environments/{environmentId}", Ct);
        Assert.True((await ReadJsonAsync(envView, HttpStatusCode.OK))["state"]!["goalReached"]!.GetValue<bool>());

        using var memory = await client.GetAsync("/v1/memory/default/episodic?limit=100", Ct);
        var episodes = (await ReadJsonAsync(memory, HttpStatusCode.OK))["items"]!.AsArray();
        var episode = Assert.Single(episodes, e => e.Text("id") == $"mission-{missionId}")!;
        Assert.Equal("mission", episode["tags"].Text("kind"));
        Assert.Equal("Succeeded", episode.Text("outcome"));
        Assert.Equal("true", episode["tags"].Text("goalReached"));

        // Lessons arrive asynchronously: reflection completed → pub/sub → memory.
        var withLessons = await PollAsync(client, "/v1/memory/default/episodic?limit=100", LessonTimeout, page => Lessons(page, missionId).Any());
        var lesson = Lessons(withLessons, missionId).First();
        Assert.Equal("reflector", lesson.Text("actor"));
        Assert.StartsWith("Lesson: ", lesson.Text("event"), StringComparison.Ordinal);
    }

    private static IEnumerable<JsonNode> Lessons(JsonNode page, string missionId) =>
        page["items"]!.AsArray().OfType<JsonNode>()
            .Where(e => e["tags"].Text("kind") == "lesson" && e["tags"].Text("missionId") == missionId);

    private static async Task<JsonNode> PollAsync(HttpClient client, string path, TimeSpan timeout, Func<JsonNode, bool> done)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            using var response = await client.GetAsync(path, Ct);
            var body = await ReadJsonAsync(response, HttpStatusCode.OK);
            if (done(body))
            {
                return body;
            }

            Assert.True(DateTime.UtcNow < deadline, $"GET {path} did not reach the expected state within {timeout}: {body.ToJsonString()}");
            await Task.Delay(50, Ct);
        }
    }
}
