using System.Text.Json.Nodes;
using Maximus.Contracts.Ports;
using Maximus.Memory.Vectors.Embedded;
using Maximus.Migration.Chroma;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Maximus.Migration.Tests;

/// <summary>
/// Error cases, configuration and the legacy v1 API, against <see cref="FakeChromaServer"/> (a FAKE from the documented API
/// shapes, not a real Chroma) or no server at all. Dual-write and <c>chroma-http:</c> against a real Chroma server are in
/// <see cref="RealChroma.RealChromaServerTests"/>.
/// </summary>
public sealed class ChromaDualWriteTests : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    public void Dispose()
    {
        foreach (var item in _owned)
        {
            item.Dispose();
        }
    }

    private EmbeddedVectorStore Embedded()
    {
        var store = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { DataDirectory = ChromaFixtures.TempDirectory(), BuildIndexInBackground = false });
        _owned.Add(store);
        return store;
    }

    /// <summary>API v1 (Chroma 0.4–0.5): the real server of the tests (1.0.0) serves v2 only, so v1 is checked against the fake.</summary>
    [Fact]
    public async Task The_http_source_reads_a_fake_v1_server_page_by_page_and_migrates_with_verified_checksums()
    {
        const string version = "v1";
        var ct = TestContext.Current.CancellationToken;
        using var fake = new FakeChromaServer(version);
        var notes = fake.Seed("notes");
        for (var i = 0; i < 23; i++)
        {
            notes.Put($"rec-{i:00}", $"note {i}", new JsonObject { ["user_id"] = $"user-{i % 3}", ["n"] = i }, [i, 1, 2, 3]);
        }

        using var http = fake.Client();
        var data = ChromaFixtures.TempDirectory();
        var store = Embedded();
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await MigrateCommand.RunAsync(
            new MigrateCommandOptions { From = $"chroma-http:{FakeChromaServer.BaseUrl}", Verify = true, Json = true, BatchSize = 10, AgentKey = "user_id", DataDirectory = data },
            () => store, output, error, http: http, cancellationToken: ct);

        Assert.True(code == 0, error.ToString());
        var report = JsonNode.Parse(output.ToString())!;
        Assert.Equal(23, report["read"]!.GetValue<long>());
        Assert.Equal(23, report["written"]!.GetValue<long>());
        Assert.Equal(0, report["mismatched"]!.GetValue<long>());
        Assert.Equal(23, await store.CountAsync("chroma-notes", cancellationToken: ct));
        var gets = fake.Requests.Where(r => r.EndsWith("/get", StringComparison.Ordinal)).ToList();
        Assert.True(gets.Count >= 3, string.Join("\n", fake.Requests));
        Assert.All(fake.Requests.Where(r => !r.EndsWith("/heartbeat", StringComparison.Ordinal)), r => Assert.StartsWith($"GET /api/{version}/", r.Replace("POST ", "GET ", StringComparison.Ordinal), StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unreachable_chroma_server_is_a_clear_error()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var chroma = new ChromaVectorStore(new ChromaHttpClient(http, new Uri("http://127.0.0.1:9")));

        var error = await Assert.ThrowsAsync<ChromaSourceException>(() => chroma.EnsureCollectionAsync(new VectorCollectionSpec("memories", 3), ct));

        Assert.Contains("unreachable", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddDualWriteVectorStore_decorates_the_registered_store_only_when_enabled()
    {
        var embedded = Embedded();
        IConfiguration Config(params (string Key, string Value)[] pairs) =>
            new ConfigurationBuilder().AddInMemoryCollection(pairs.Select(p => KeyValuePair.Create<string, string?>("Maximus:Memory:DualWrite:" + p.Key, p.Value))).Build();
        ServiceProvider Build(IConfiguration config) => new ServiceCollection().AddSingleton<IVectorStore>(embedded).AddDualWriteVectorStore(config).BuildServiceProvider();

        await using (var off = Build(Config()))
        {
            Assert.Same(embedded, off.GetRequiredService<IVectorStore>());
        }

        await using (var on = Build(Config(("Enabled", "true"), ("ChromaUrl", "http://127.0.0.1:9"), ("Primary", "old"), ("Until", "2999-01-01T00:00:00Z"))))
        {
            var dual = Assert.IsType<DualWriteVectorStore>(on.GetRequiredService<IVectorStore>());
            Assert.False(dual.ReadsFromNew);
            Assert.True(dual.DualWriting);
            Assert.Same(dual, on.GetRequiredService<DualWriteVectorStore>());
        }

        var bad = Assert.Throws<InvalidOperationException>(() => Build(Config(("Enabled", "true"))));
        Assert.Contains("ChromaUrl", bad.Message, StringComparison.Ordinal);
    }
}
