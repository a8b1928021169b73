using Maximus.Contracts;
using Maximus.Contracts.Events;
using Maximus.Contracts.Memory;
using Maximus.Contracts.Ports;
using Maximus.Contracts.Reflection;
using Maximus.Memory.Apis;
using Maximus.Memory.Mirix;

namespace Maximus.Memory.Tests;

/// <summary>One episodic store: every write path lands in the vector store behind AgentMemory, and every read path sees it.</summary>
public sealed class OneMemoryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_three_former_episodic_paths_return_the_same_entries()
    {
        await using var host = await MemoryHost.StartAsync();
        var invoker = host.Get<IServiceInvoker>();

        var appended = await invoker.InvokeAsync<AppendEpisodeRequest, EpisodicMemory>(AppIds.Memory, "v1/memory/ann/episodic",
            new("Inverted the blue tower of four blocks", "orchestrator", "success", new Dictionary<string, string> { ["kind"] = "mission" }, Id: "ep-1"), Ct);
        await invoker.InvokeAsync<WriteMemoryRequest, MemoryEntry>(AppIds.Memory, "v1/memory/ann/entries",
            new(MemoryType.Episodic, "Painted the garden fence green on Sunday", Id: "en-1"), Ct);
        await invoker.InvokeAsync<HybridApi.IngestRequest, HybridApi.IngestResponse>(AppIds.Memory, "v1/memory/ann/conversations",
            new([new("I adopted a grey kitten named Pixel.", "Ann", "s1", 1, Id: "cv-1")]), Ct);
        await invoker.InvokeAsync<WriteMemoryRequest, MemoryEntry>(AppIds.Memory, "v1/memory/ann/entries",
            new(MemoryType.Semantic, "Pixel is a cat", Id: "fact-1", Fact: new SemanticFact("Pixel", "is a", "cat")), Ct);

        var listed = await invoker.GetAsync<EpisodicMemoryPage>(AppIds.Memory, "v1/memory/ann/episodic?limit=10", Ct);
        var searched = await invoker.InvokeAsync<SearchMemoryRequest, SearchMemoryResponse>(
            AppIds.Memory, "v1/memory/ann/search", new("what did Ann do", [MemoryType.Episodic], 10), Ct);
        var recalled = await invoker.InvokeAsync<HybridApi.RecallRequest, HybridApi.RecallResponse>(
            AppIds.Memory, "v1/memory/ann/recall", new("tower fence kitten", 10), Ct);

        string[] ids = ["cv-1", "en-1", "ep-1"];
        Assert.Equal(ids, listed.Items.Select(e => e.Id).Order(StringComparer.Ordinal));
        Assert.Equal(3, listed.Total);
        Assert.Equal(ids, searched.Hits.Select(h => h.Entry.Id).Order(StringComparer.Ordinal));
        Assert.Equal(ids, recalled.Hits.Where(h => h.LexicalRank is not null).Select(h => h.Id).Order(StringComparer.Ordinal));

        // Each entry is the best hit of /search and of /recall for its own words.
        foreach (var (query, id) in new[] { ("blue tower blocks", "ep-1"), ("garden fence", "en-1"), ("kitten named Pixel", "cv-1") })
        {
            var search = await invoker.InvokeAsync<SearchMemoryRequest, SearchMemoryResponse>(
                AppIds.Memory, "v1/memory/ann/search", new(query, [MemoryType.Episodic], 3), Ct);
            var recall = await invoker.InvokeAsync<HybridApi.RecallRequest, HybridApi.RecallResponse>(
                AppIds.Memory, "v1/memory/ann/recall", new(query, 3), Ct);
            Assert.Equal(id, search.Hits[0].Entry.Id);
            Assert.Equal(id, recall.Hits[0].Id);
        }

        // The v1 episode keeps its shape: event, actor, outcome, tags.
        var episode = listed.Items.Single(e => e.Id == "ep-1");
        Assert.Equal(appended, episode with { Tags = appended.Tags });
        Assert.Equal("mission", episode.Tags!["kind"]);
        var entry = searched.Hits.Single(h => h.Entry.Id == "ep-1").Entry;
        Assert.Equal(("Inverted the blue tower of four blocks", "orchestrator", "success"), (entry.Text, entry.Actor, entry.Outcome));
        Assert.Equal("Ann", listed.Items.Single(e => e.Id == "cv-1").Actor);
    }

    [Fact]
    public async Task An_episodic_append_with_an_id_is_idempotent_and_lands_once_in_every_index()
    {
        await using var host = await MemoryHost.StartAsync();
        var invoker = host.Get<IServiceInvoker>();
        var request = new AppendEpisodeRequest("Stacked the red block on the green one", "executor", "success", Id: "once");

        var first = await invoker.InvokeAsync<AppendEpisodeRequest, EpisodicMemory>(AppIds.Memory, "v1/memory/bo/episodic", request, Ct);
        var again = await invoker.InvokeAsync<AppendEpisodeRequest, EpisodicMemory>(AppIds.Memory, "v1/memory/bo/episodic", request with { Outcome = "failure" }, Ct);
        var fresh = await invoker.InvokeAsync<AppendEpisodeRequest, EpisodicMemory>(AppIds.Memory, "v1/memory/bo/episodic", request with { Id = null }, Ct);

        var listed = await invoker.GetAsync<EpisodicMemoryPage>(AppIds.Memory, "v1/memory/bo/episodic?limit=10", Ct);
        var recalled = await invoker.InvokeAsync<HybridApi.RecallRequest, HybridApi.RecallResponse>(AppIds.Memory, "v1/memory/bo/recall", new("red block", 10), Ct);

        Assert.Equal(first, again with { Tags = first.Tags });
        Assert.Equal("success", again.Outcome);
        Assert.NotEqual("once", fresh.Id);
        Assert.Equal(2, listed.Total);
        Assert.Equal(new[] { "once", fresh.Id }.Order(StringComparer.Ordinal), recalled.Hits.Select(h => h.Id).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_reflections_lessons_land_in_the_searchable_store_with_their_tags()
    {
        await using var host = await MemoryHost.StartAsync();
        var invoker = host.Get<IServiceInvoker>();
        var reflection = new ReflectionResult(
            "log-7", "mission-7", "cy", "Failure", 0.2, ["Clear the target block before stacking onto it."], [], false, "heuristic", DateTimeOffset.UnixEpoch.AddDays(3));

        await new LessonsHandler(host.Get<EpisodicMemoryStore>()).HandleAsync(new ReflectionCompletedIntegrationEvent(reflection), Ct);

        var searched = await invoker.InvokeAsync<SearchMemoryRequest, SearchMemoryResponse>(AppIds.Memory, "v1/memory/cy/search",
            new("stacking onto a block", K: 5, Tags: new Dictionary<string, string> { ["kind"] = "lesson", ["missionId"] = "mission-7" }), Ct);
        var recalled = await invoker.InvokeAsync<HybridApi.RecallRequest, HybridApi.RecallResponse>(AppIds.Memory, "v1/memory/cy/recall", new("clear the target", 5), Ct);
        var listed = await invoker.GetAsync<EpisodicMemoryPage>(AppIds.Memory, "v1/memory/cy/episodic?limit=5", Ct);

        var lesson = Assert.Single(searched.Hits).Entry;
        Assert.Equal(("lesson-log-7", MemoryType.Episodic, "log-7"), (lesson.Id, lesson.Type, lesson.Tags!["logId"]));
        Assert.Equal("lesson-log-7", recalled.Hits[0].Id);
        Assert.Equal("lesson-log-7", Assert.Single(listed.Items).Id);
    }
}
