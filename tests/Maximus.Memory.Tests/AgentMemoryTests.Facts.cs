using Maximus.Contracts.Memory;
using Maximus.Contracts.Ports;
using Maximus.Memory.Mirix;
using Maximus.Memory.Vectors.Embedded;
using Microsoft.Extensions.Options;

namespace Maximus.Memory.Tests;

/// <summary>Bi-temporal semantic facts: contradiction closes, "as of" (valid time) and "known at" (record time) queries.</summary>
public sealed partial class AgentMemoryTests
{
    [Fact]
    public async Task A_contradicting_fact_closes_the_old_one_and_as_of_queries_return_what_was_true_then()
    {
        var kitchen = await Write("a", Fact("cup", "located-in", "kitchen"));
        _clock.Advance(TimeSpan.FromHours(1));
        var moved = _clock.GetUtcNow();
        var office = await Write("a", Fact("cup", "located-in", "office"));
        _clock.Advance(TimeSpan.FromMinutes(5));

        var now = await FactIds("a", "cup located in");
        var before = await FactIds("a", "cup located in", asOf: moved.AddMinutes(-30));
        var atTheMove = await FactIds("a", "cup located in", asOf: moved);
        var believedThen = await FactIds("a", "cup located in", knownAt: moved.AddMinutes(-30));
        var closed = await _memory.GetAsync("a", kitchen.Id, Ct);

        Assert.Equal([kitchen.Id], office.Fact!.Supersedes);
        Assert.Equal(moved, office.Fact.RecordedAt);
        Assert.Equal([office.Id], now);
        Assert.Equal([kitchen.Id], before);
        Assert.Equal([office.Id], atTheMove);
        Assert.Equal([kitchen.Id], believedThen);
        Assert.Equal(moved, closed.Fact!.ValidTo);
        Assert.Equal(moved, closed.Fact.SupersededAt);
        Assert.Equal(office.Id, closed.Fact.SupersededBy);
        Assert.Null(closed.Fact.InvalidatedAt);
        Assert.False(_memory.IsCurrent(closed));
        Assert.True(_memory.IsCurrent(closed, asOf: moved.AddMinutes(-1)));
        Assert.True(_memory.IsCurrent(office));
    }

    [Fact]
    public async Task Non_functional_predicates_keep_both_facts_and_the_fact_flag_overrides_the_configured_list()
    {
        var tea = await Write("a", Fact("alice", "likes", "tea"));
        _clock.Advance(TimeSpan.FromMinutes(1));
        var coffee = await Write("a", Fact("alice", "likes", "coffee"));
        var home = await Write("a", Fact("bob", "located-in", "rome") with { Fact = new SemanticFact("bob", "located-in", "rome", Functional: false) });
        _clock.Advance(TimeSpan.FromMinutes(1));
        var office = await Write("a", Fact("bob", "located-in", "paris") with { Fact = new SemanticFact("bob", "located-in", "paris", Functional: false) });
        var mood = await Write("a", Fact("alice", "feels", "calm"));
        _clock.Advance(TimeSpan.FromMinutes(1));
        var later = await Write("a", Fact("alice", "feels", "tired") with { Fact = new SemanticFact("alice", "feels", "tired", Functional: true) });

        var likes = await FactIds("a", "alice likes");
        var bob = await FactIds("a", "bob located in");
        var feels = await FactIds("a", "alice feels");

        Assert.Null(coffee.Fact!.Supersedes);
        Assert.Null(office.Fact!.Supersedes);
        Assert.Contains(tea.Id, likes);
        Assert.Contains(coffee.Id, likes);
        Assert.Contains(home.Id, bob);
        Assert.Contains(office.Id, bob);
        Assert.Equal([mood.Id], later.Fact!.Supersedes);
        Assert.Contains(later.Id, feels);
        Assert.DoesNotContain(mood.Id, feels);
    }

    [Fact]
    public async Task A_retracted_fact_is_gone_now_but_returned_as_known_before_its_retraction()
    {
        var wrong = await Write("a", Fact("door", "has-status", "open"));
        _clock.Advance(TimeSpan.FromMinutes(10));
        var retracted = await _memory.InvalidateFactAsync("a", wrong.Id, Ct);
        _clock.Advance(TimeSpan.FromMinutes(10));

        var now = await FactIds("a", "door has status");
        var before = await FactIds("a", "door has status", knownAt: retracted.Fact!.InvalidatedAt!.Value.AddMinutes(-1));
        var pastValidTime = await FactIds("a", "door has status", asOf: _clock.Start.AddMinutes(5));

        Assert.Empty(now);
        Assert.Empty(pastValidTime);
        Assert.Equal([wrong.Id], before);
        await Assert.ThrowsAsync<ProblemException>(() => _memory.GetAsync("a", wrong.Id, Ct));
    }

    [Fact]
    public async Task An_older_fact_arriving_late_is_bounded_by_the_current_one_and_closes_nothing()
    {
        var current = await Write("a", Fact("robot", "is-at", "dock"));
        var history = await Write("a", Fact("robot", "is-at", "lab") with
        {
            Fact = new SemanticFact("robot", "is-at", "lab", ValidFrom: _clock.Start.AddDays(-1)),
        });

        var now = await FactIds("a", "robot is at");
        var yesterday = await FactIds("a", "robot is at", asOf: _clock.Start.AddHours(-12));

        Assert.Null(history.Fact!.Supersedes);
        Assert.Equal(_clock.Start, history.Fact.ValidTo);
        Assert.Equal([current.Id], now);
        Assert.Equal([history.Id], yesterday);
    }

    [Fact]
    public async Task Graph_expansion_follows_the_same_as_of_rule()
    {
        var knows = await Write("a", Fact("alice", "knows", "bob"));
        var rome = await Write("a", Fact("bob", "located-in", "rome"));
        _clock.Advance(TimeSpan.FromDays(1));
        var paris = await Write("a", Fact("bob", "located-in", "paris"));

        var now = await Hits("a", "alice knows", asOf: null);
        var then = await Hits("a", "alice knows", asOf: _clock.Start.AddHours(1));

        Assert.Equal(knows.Id, now[0].Entry.Id);
        Assert.Contains(now, h => h.Entry.Id == paris.Id && h.Via is not null);
        Assert.DoesNotContain(now, h => h.Entry.Id == rome.Id);
        Assert.Equal(knows.Id, then[0].Entry.Id);
        Assert.Contains(then, h => h.Entry.Id == rome.Id && h.Via is not null);
        Assert.DoesNotContain(then, h => h.Entry.Id == paris.Id);
    }

    [Fact]
    public async Task Concurrent_contradicting_writes_leave_exactly_one_current_fact()
    {
        var writes = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => Task.Run(() => Write("a", Fact("arm", "has-status", $"state{i}")), Ct)));

        var current = await FactIds("a", "arm has status");

        Assert.Single(current);
        Assert.Equal(11, writes.Sum(w => w.Fact!.Supersedes?.Count ?? 0));
    }

    [Fact]
    public async Task Closed_facts_and_as_of_answers_survive_a_restart()
    {
        var folder = Directory.CreateTempSubdirectory("maximus-facts-").FullName;
        string oldId, newId;
        using (var store = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { DataDirectory = folder }))
        {
            var memory = new AgentMemory(store, new HashingEmbedder(), Options.Create(new MemoryOptions()), _clock);
            oldId = (await memory.WriteAsync("a", Fact("valve", "has-state", "closed"), Ct)).Id;
            _clock.Advance(TimeSpan.FromHours(2));
            newId = (await memory.WriteAsync("a", Fact("valve", "has-state", "open"), Ct)).Id;
        }

        using var reopened = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { DataDirectory = folder });
        var restarted = new AgentMemory(reopened, new HashingEmbedder(), Options.Create(new MemoryOptions()), _clock);
        var now = await restarted.SearchAsync("a", new SearchMemoryRequest("valve has state", [MemoryType.Semantic]), Ct);
        var then = await restarted.SearchAsync("a", new SearchMemoryRequest("valve has state", [MemoryType.Semantic], AsOf: _clock.Start.AddHours(1)), Ct);

        Assert.Equal([newId], now.Hits.Select(h => h.Entry.Id));
        Assert.Equal([oldId], then.Hits.Select(h => h.Entry.Id));
    }

    private async Task<IReadOnlyList<MemoryHit>> Hits(string agent, string query, DateTimeOffset? asOf = null, DateTimeOffset? knownAt = null) =>
        (await _memory.SearchAsync(agent, new SearchMemoryRequest(query, [MemoryType.Semantic], 10, AsOf: asOf, KnownAt: knownAt), Ct)).Hits;

    private async Task<List<string>> FactIds(string agent, string query, DateTimeOffset? asOf = null, DateTimeOffset? knownAt = null) =>
        [.. (await Hits(agent, query, asOf, knownAt)).Select(h => h.Entry.Id).Order(StringComparer.Ordinal)];
}
