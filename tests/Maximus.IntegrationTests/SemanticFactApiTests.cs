using System.Net;
using System.Text.Json.Nodes;
using static Maximus.IntegrationTests.Http;

namespace Maximus.IntegrationTests;

/// <summary>Bi-temporal semantic facts through the memory role's HTTP API, across a restart of the host on one data folder.</summary>
public sealed class SemanticFactApiTests
{
    [Fact]
    public async Task A_contradicting_fact_closes_the_old_one_and_as_of_searches_answer_over_http_after_a_restart()
    {
        var folder = Directory.CreateTempSubdirectory("maximus-facts-api-").FullName;
        var settings = new Dictionary<string, string> { ["data-dir"] = folder };
        try
        {
            await using (var host = new MaximusHostFactory("memory", "embedded", settings))
            {
                using var client = host.CreateClient();
                await WriteAsync(client, "cup-1", "kitchen", "2020-01-01T00:00:00Z");
                var moved = await WriteAsync(client, "cup-2", "office", "2020-06-01T00:00:00Z");

                using var bad = await client.PostAsync("/v1/memory/ops/search", Json("""{"query": "cup located in", "asOf": "last spring"}"""), Ct);

                Assert.Equal(["cup-1"], moved["fact"]!["supersedes"]!.AsArray().Select(n => n!.GetValue<string>()));
                Assert.Equal("asOf", (await ReadProblemAsync(bad, HttpStatusCode.BadRequest)).Text("field"));
            }

            await using (var restarted = new MaximusHostFactory("memory", "embedded", settings))
            {
                using var client = restarted.CreateClient();
                Assert.Equal(["cup-2"], await SearchAsync(client, null));
                Assert.Equal(["cup-1"], await SearchAsync(client, "2020-03-01T00:00:00Z"));
                Assert.Equal(["cup-2"], await SearchAsync(client, "2020-06-01T00:00:00Z"));

                using var invalidate = await client.PostAsync("/v1/memory/ops/entries/cup-2/invalidate", Json("{}"), Ct);
                var retracted = await ReadJsonAsync(invalidate, HttpStatusCode.OK);

                Assert.NotNull(retracted["fact"]?["invalidatedAt"]);
                Assert.Empty(await SearchAsync(client, null));
                Assert.Equal(["cup-1"], await SearchAsync(client, "2020-03-01T00:00:00Z"));
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<JsonNode> WriteAsync(HttpClient client, string id, string place, string validFrom)
    {
        var body = new JsonObject
        {
            ["type"] = "Semantic",
            ["id"] = id,
            ["text"] = $"the cup is located in the {place}",
            ["fact"] = new JsonObject { ["subject"] = "cup", ["predicate"] = "located-in", ["object"] = place, ["validFrom"] = validFrom },
        };
        using var response = await client.PostAsync("/v1/memory/ops/entries", Json(body.ToJsonString()), Ct);
        return await ReadJsonAsync(response, HttpStatusCode.Created);
    }

    private static async Task<List<string>> SearchAsync(HttpClient client, string? asOf)
    {
        var body = new JsonObject { ["query"] = "where is the cup located", ["types"] = new JsonArray("Semantic"), ["k"] = 10 };
        if (asOf is not null)
        {
            body["asOf"] = asOf;
        }

        using var response = await client.PostAsync("/v1/memory/ops/search", Json(body.ToJsonString()), Ct);
        var hits = (await ReadJsonAsync(response, HttpStatusCode.OK))["hits"]!.AsArray();
        return [.. hits.Select(h => h!["entry"]!["id"]!.GetValue<string>()).Order(StringComparer.Ordinal)];
    }
}
