using Maximus.Contracts.Memory;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Maximus.Contracts;
using Maximus.Memory.Hybrid;
using Maximus.Memory.Mirix;
using Maximus.Memory.Vectors.Embedded;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using static Maximus.IntegrationTests.Http;

namespace Maximus.IntegrationTests;

/// <summary>
/// Forgetting through the memory API on the embedded runtime: after a forget, an expiry or an invalidation no endpoint
/// returns the entry, and after a forget or an expiry no file of the data directory (databases, their -wal/-shm files,
/// vector index files) holds its text.
/// </summary>
public sealed class ForgettingTests
{
    private static readonly Dictionary<string, string> Settings = new()
    {
        // Every partition gets an HNSW index file at once, so that the index files are searched for the text too.
        ["Maximus:Memory:Vectors:IndexThreshold"] = "1",
        ["Maximus:Memory:Vectors:BuildIndexInBackground"] = "false",
    };

    [Fact]
    public async Task A_forgotten_entry_is_returned_by_no_endpoint_and_its_text_is_in_no_file()
    {
        const string Marker = "zebra-quartz-7731";
        await using var host = new MaximusHostFactory(AppIds.Memory, "embedded", Settings);
        using var client = host.CreateClient();
        var entry = await WriteEntryAsync(client, "ada", new JsonObject { ["type"] = "episodic", ["text"] = $"The locker code is {Marker} for the blue bag." });
        await IngestAsync(client, "ada", ("turn-1", $"Remember the vault phrase {Marker} please."), ("turn-2", "The weather at the harbour was calm all week."));
        var before = await RecallIdsAsync(client, "ada", $"vault phrase {Marker}");
        var searchedBefore = await SearchIdsAsync(client, "ada", $"locker code {Marker}");
        await FlushAsync(host);
        var filesBefore = FilesContaining(host.DataDirectory, Marker);

        await ForgetAsync(client, "ada", entry);
        await ForgetAsync(client, "ada", "turn-1");
        await FlushAsync(host);

        Assert.Contains("turn-1", before);
        Assert.Contains(entry, searchedBefore);
        Assert.NotEmpty(filesBefore);
        Assert.DoesNotContain(entry, await RecallIdsAsync(client, "ada", $"vault phrase {Marker}"));
        Assert.DoesNotContain("turn-1", await RecallIdsAsync(client, "ada", $"vault phrase {Marker}"));
        Assert.DoesNotContain(entry, await SearchIdsAsync(client, "ada", $"locker code {Marker}"));
        Assert.DoesNotContain("turn-1", await SearchIdsAsync(client, "ada", $"vault phrase {Marker}"));
        await AssertNotFoundAsync(client, "ada", entry);
        await AssertNotFoundAsync(client, "ada", "turn-1");
        Assert.Contains("turn-2", await RecallIdsAsync(client, "ada", "weather at the harbour"));
        Assert.NotEmpty(Directory.GetFiles(host.DataDirectory, "*.usearch", SearchOption.AllDirectories));
        Assert.Empty(FilesContaining(host.DataDirectory, Marker));
        Assert.Empty(FilesContaining(host.DataDirectory, "quartz"));
    }

    [Fact]
    public async Task Expired_entries_are_purged_from_every_index_and_file_and_one_met_by_a_read_is_removed_at_once()
    {
        const string Purged = "walrus-ember-4420";
        const string ReadExpired = "heron-cobalt-9182";
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = new MaximusHostFactory(AppIds.Memory, "embedded", Settings, s => s.AddSingleton<TimeProvider>(clock));
        using var client = host.CreateClient();
        var entry = await WriteEntryAsync(client, "bo", new JsonObject
        {
            ["type"] = "episodic",
            ["text"] = $"The gate password is {Purged} until noon.",
            ["expiresAt"] = (clock.GetUtcNow() + TimeSpan.FromHours(1)).ToString("O"),
        });
        await IngestAsync(client, "bo", ("bo-1", $"The ferry ticket number is {Purged}."), ("bo-2", "The harbour cafe opens early."));
        await IngestAsync(client, "cy", ("cy-1", $"The attic box is labelled {ReadExpired}."), ("cy-2", "The garden needs water on Sundays."));
        Assert.Contains("bo-1", await RecallIdsAsync(client, "bo", $"ferry ticket {Purged}"));

        // Past the episodic lifetime (90 days) of the conversation turns.
        clock.Advance(TimeSpan.FromDays(91));
        var recalledExpired = await RecallIdsAsync(client, "cy", $"attic box {ReadExpired}");
        await FlushAsync(host);
        var readExpiredFiles = FilesContaining(host.DataDirectory, ReadExpired);
        var purged = await host.Services.GetRequiredService<AgentMemory>().PurgeExpiredAsync(Ct);
        await FlushAsync(host);

        Assert.Empty(recalledExpired);
        Assert.Empty(readExpiredFiles);
        Assert.InRange(purged, 3, 4); // bo's three entries, and cy-2 unless the read above met it.
        Assert.Empty(await RecallIdsAsync(client, "bo", $"ferry ticket gate password {Purged}"));
        Assert.Empty(await SearchIdsAsync(client, "bo", $"gate password {Purged}"));
        await AssertNotFoundAsync(client, "bo", entry);
        await AssertNotFoundAsync(client, "bo", "bo-1");
        Assert.Empty(FilesContaining(host.DataDirectory, Purged));
        Assert.Empty(FilesContaining(host.DataDirectory, ReadExpired));
    }

    [Fact]
    public async Task Recall_never_returns_an_invalidated_fact_even_when_the_lexical_index_finds_it()
    {
        await using var host = new MaximusHostFactory(AppIds.Memory, "embedded");
        using var client = host.CreateClient();

        // Indexed lexically as well as densely, so that a keyword match finds it whatever the vector filter does.
        var retriever = host.Services.GetRequiredService<HybridRetriever>();
        await retriever.IngestAsync("di", [
            new HybridDocument(new WriteMemoryRequest(
                MemoryType.Semantic, "The lighthouse keeper is Marguerite Okonkwo.", Id: "fact-1",
                Fact: new SemanticFact("lighthouse", "keeper", "Marguerite Okonkwo"))),
            new HybridDocument(new WriteMemoryRequest(MemoryType.Episodic, "Marguerite painted the lighthouse door red.", Id: "ep-1")),
        ], Ct);
        var before = await RecallIdsAsync(client, "di", "Who is the lighthouse keeper Marguerite Okonkwo?");

        using var invalidated = await client.PostAsync("/v1/memory/di/entries/fact-1/invalidate", Json("{}"), Ct);
        await ReadJsonAsync(invalidated, HttpStatusCode.OK);
        var after = await RecallIdsAsync(client, "di", "Who is the lighthouse keeper Marguerite Okonkwo?");

        Assert.Contains("fact-1", before);
        Assert.DoesNotContain("fact-1", after);
        Assert.Contains("ep-1", after);
    }

    private static async Task<string> WriteEntryAsync(HttpClient client, string agent, JsonObject body)
    {
        using var response = await client.PostAsync($"/v1/memory/{agent}/entries", Json(body.ToJsonString()), Ct);
        return (await ReadJsonAsync(response, HttpStatusCode.Created)).Text("id")!;
    }

    private static async Task IngestAsync(HttpClient client, string agent, params (string Id, string Text)[] turns)
    {
        var body = new JsonObject
        {
            ["turns"] = new JsonArray([.. turns.Select((t, i) => (JsonNode)new JsonObject
            {
                ["id"] = t.Id, ["text"] = t.Text, ["speaker"] = "Sam", ["session"] = "s1", ["sequence"] = i + 1,
            })]),
        };
        using var response = await client.PostAsync($"/v1/memory/{agent}/conversations", Json(body.ToJsonString()), Ct);
        await ReadJsonAsync(response, HttpStatusCode.Created);
    }

    private static async Task<List<string>> RecallIdsAsync(HttpClient client, string agent, string query)
    {
        using var response = await client.PostAsync($"/v1/memory/{agent}/recall", Json(new JsonObject { ["query"] = query, ["k"] = 10 }.ToJsonString()), Ct);
        return [.. (await ReadJsonAsync(response, HttpStatusCode.OK))["hits"]!.AsArray().Select(h => h.Text("id")!)];
    }

    private static async Task<List<string>> SearchIdsAsync(HttpClient client, string agent, string query)
    {
        using var response = await client.PostAsync($"/v1/memory/{agent}/search", Json(new JsonObject { ["query"] = query, ["k"] = 10 }.ToJsonString()), Ct);
        return [.. (await ReadJsonAsync(response, HttpStatusCode.OK))["hits"]!.AsArray().Select(h => h!["entry"].Text("id")!)];
    }

    private static async Task ForgetAsync(HttpClient client, string agent, string id)
    {
        using var response = await client.DeleteAsync($"/v1/memory/{agent}/entries/{id}", Ct);
        Assert.True((await ReadJsonAsync(response, HttpStatusCode.OK))["removed"]!.GetValue<bool>());
    }

    private static async Task AssertNotFoundAsync(HttpClient client, string agent, string id)
    {
        using var response = await client.GetAsync($"/v1/memory/{agent}/entries/{id}", Ct);
        await ReadProblemAsync(response, HttpStatusCode.NotFound);
    }

    /// <summary>Writes the vector indexes to their files (as a shutdown would), so that they are searched as well.</summary>
    private static Task FlushAsync(MaximusHostFactory host) => host.Services.GetRequiredService<EmbeddedVectorStore>().FlushAsync(Ct);

    /// <summary>Every file under <paramref name="directory"/> whose bytes hold <paramref name="text"/> (UTF-8).</summary>
    private static List<string> FilesContaining(string directory, string text)
    {
        var needle = Encoding.UTF8.GetBytes(text);
        var found = new List<string>();
        foreach (var file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
        {
            using var buffer = new MemoryStream();
            try
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                stream.CopyTo(buffer);
            }
            catch (FileNotFoundException)
            {
                // SQLite removed it (a -shm or -wal file at the last connection's close) between listing and reading: gone, so it holds nothing.
                continue;
            }

            if (buffer.GetBuffer().AsSpan(0, (int)buffer.Length).IndexOf(needle) >= 0)
            {
                found.Add(file);
            }
        }

        return found;
    }
}
