using Maximus.Contracts.Memory;
using System.Text;
using Maximus.Contracts.Ports;
using Maximus.Memory.Hybrid;
using Maximus.Memory.Mirix;
using Microsoft.Extensions.Options;

namespace Maximus.Memory.Tests;

/// <summary>Forgetting and expiry leave through one path: the vector store (vector, payload and keyword terms) and the search cache.</summary>
public sealed partial class AgentMemoryTests
{
    [Fact]
    public async Task Forget_and_the_expiry_purge_remove_the_entry_from_keyword_search_too()
    {
        var retriever = Retriever();
        await retriever.IngestAsync("a", [
            new HybridDocument(new WriteMemoryRequest(MemoryType.Episodic, "the pelican carried a brass key", "forgotten")),
            new HybridDocument(new WriteMemoryRequest(MemoryType.Episodic, "the pelican dropped a brass key", "expiring", ExpiresAt: _clock.GetUtcNow() + TimeSpan.FromHours(1))),
            new HybridDocument(new WriteMemoryRequest(MemoryType.Episodic, "the pelican kept a brass key", "kept")),
        ], Ct);

        Assert.True(await _memory.ForgetAsync("a", "forgotten", Ct));
        _clock.Advance(TimeSpan.FromHours(2));
        var purged = await _memory.PurgeExpiredAsync(Ct);

        Assert.Equal(1, purged);
        var keyword = await _store.SearchTextAsync(VectorCollections.Memories, new VectorTextSearchRequest("pelican brass key", 10), Ct);
        Assert.Equal(["a:kept"], keyword.Select(h => h.Id));
        Assert.False(await _memory.ForgetAsync("a", "forgotten", Ct));
    }

    [Fact]
    public async Task An_expired_entry_met_by_a_read_is_removed_from_the_store_at_once()
    {
        var episode = await Write("a", new WriteMemoryRequest(MemoryType.Episodic, "the robot dropped the green block"));

        _clock.Advance(TimeSpan.FromDays(2));
        await Assert.ThrowsAsync<ProblemException>(() => _memory.GetAsync("a", episode.Id, Ct));

        Assert.Equal(0, await _store.CountAsync(VectorCollections.Memories, cancellationToken: Ct));
        Assert.Equal(0, await _memory.PurgeExpiredAsync(Ct));
    }

    [Fact]
    public async Task A_cached_search_answer_never_returns_an_entry_that_expired_after_it_was_cached()
    {
        var fact = await Write("a", Fact("copper kettle", "is", "dented") with { ExpiresAt = _clock.GetUtcNow() + TimeSpan.FromHours(1) });
        var before = await Search("a", "copper kettle", [MemoryType.Semantic]);

        _clock.Advance(TimeSpan.FromHours(2));
        var after = await Search("a", "copper kettle", [MemoryType.Semantic]);

        Assert.Contains(before, h => h.Entry.Id == fact.Id);
        Assert.DoesNotContain(after, h => h.Entry.Id == fact.Id);
    }

    [Fact]
    public async Task A_forgotten_entry_leaves_neither_its_text_nor_its_keyword_terms_in_any_file()
    {
        var retriever = Retriever();
        await retriever.IngestAsync("a", [
            .. Enumerable.Range(0, 50).Select(i => new HybridDocument(new WriteMemoryRequest(MemoryType.Episodic, $"filler line {i} about the harbour", $"d{i}"))),
            new HybridDocument(new WriteMemoryRequest(MemoryType.Episodic, "the vault phrase is zebra-quartz-7731", "secret")),
        ], Ct);

        Assert.True(await _memory.ForgetAsync("a", "secret", Ct));

        Assert.Empty(await _store.SearchTextAsync(VectorCollections.Memories, new VectorTextSearchRequest("vault phrase zebra quartz 7731", 10), Ct));
        Assert.Equal(10, (await _store.SearchTextAsync(VectorCollections.Memories, new VectorTextSearchRequest("harbour", 10), Ct)).Count);
        foreach (var file in Directory.EnumerateFiles(Path.GetDirectoryName(_store.DatabasePath)!))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var bytes = new MemoryStream();
            stream.CopyTo(bytes);
            Assert.True(bytes.ToArray().AsSpan().IndexOf("zebra-quartz-7731"u8) < 0, $"{file} holds the text");
            Assert.True(bytes.ToArray().AsSpan().IndexOf(Encoding.UTF8.GetBytes("quartz")) < 0, $"{file} holds the term");
        }
    }

    private HybridRetriever Retriever() =>
        new(_memory, _store, new HashingEmbedder(), Options.Create(new MemoryOptions()), Options.Create(new HybridRetrievalOptions()));
}
