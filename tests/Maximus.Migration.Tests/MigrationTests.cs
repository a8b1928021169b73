using System.Text.Json.Nodes;
using Maximus.Contracts.Ports;
using Maximus.Memory.Vectors.Embedded;
using Maximus.Migration.Chroma;

namespace Maximus.Migration.Tests;

public sealed class MigrationTests : IDisposable
{
    private readonly List<EmbeddedVectorStore> _stores = [];

    public void Dispose()
    {
        foreach (var store in _stores)
        {
            store.Dispose();
        }
    }

    private EmbeddedVectorStore Store(string dataDirectory)
    {
        var store = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { DataDirectory = dataDirectory, BuildIndexInBackground = false });
        _stores.Add(store);
        return store;
    }

    private static string Shared() =>
        ChromaFixtures.SharedDirectory() ?? throw new InvalidOperationException("unreachable");

    private static void SkipWithoutFixture()
    {
        if (ChromaFixtures.SharedDirectory() is null)
        {
            Assert.Skip("The shared Chroma fixture (<repo>/../shared/fixtures/chroma) is absent.");
        }
    }

    private async Task<(int ExitCode, string Out, string Err)> RunAsync(MigrateCommandOptions options, IVectorStore store)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await MigrateCommand.RunAsync(options, () => store, output, error, cancellationToken: TestContext.Current.CancellationToken);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Shared_fixture_migrates_every_record_verifies_and_a_second_run_writes_nothing()
    {
        SkipWithoutFixture();
        var ct = TestContext.Current.CancellationToken;
        var sourceCount = (await new ChromaDirectoryReader(Shared()).ListCollectionsAsync(ct)).Sum(c => c.Count);
        var data = ChromaFixtures.TempDirectory();
        var store = Store(data);
        var options = new MigrateCommandOptions { From = "chroma:" + Shared(), Verify = true, Json = true, DataDirectory = data };

        var first = await RunAsync(options, store);
        var second = await RunAsync(options, store);

        Assert.Equal(0, first.ExitCode);
        var report = JsonNode.Parse(first.Out)!;
        Assert.Equal(sourceCount, report["read"]!.GetValue<long>());
        Assert.Equal(sourceCount, report["written"]!.GetValue<long>());
        Assert.Equal(0, report["mismatched"]!.GetValue<long>());
        Assert.Equal(0, second.ExitCode);
        var again = JsonNode.Parse(second.Out)!;
        Assert.Equal(0, again["written"]!.GetValue<long>());
        Assert.Equal(sourceCount, again["skipped"]!.GetValue<long>());
        var point = (await store.GetAsync("chroma-mem0migrations", [ChromaMigrator.PointId("mem0migrations", "807b0cca-090b-4fee-a1bc-684f387e4282")], true, ct)).Single();
        Assert.Equal(1536, point.Vector.Length);
        Assert.Equal(0.1f, point.Vector.Span[0]);
        Assert.Equal("user_identity", point.Payload["chroma"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Generated_thousand_records_migrate_verified_and_an_interrupted_run_resumes_without_duplicates()
    {
        SkipWithoutFixture();
        var ct = TestContext.Current.CancellationToken;
        var chroma = ChromaFixtures.Generate(Shared(), 1000);
        var data = ChromaFixtures.TempDirectory();
        var store = Store(data);
        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var options = new MigrationOptions
        {
            BatchSize = 100,
            CheckpointDirectory = Path.Combine(data, "migrations"),
            AgentKey = "user_id",
            Verify = true,
            Progress = p =>
            {
                if (p.Phase == "write" && p.Done >= 400)
                {
                    interrupt.Cancel();
                }
            },
        };
        var migrator = new ChromaMigrator(new ChromaDirectoryReader(chroma), options);
        var plan = await migrator.PlanAsync(ct);
        Assert.Equal(1000, plan.Records);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => migrator.ExecuteAsync(plan, store, interrupt.Token));
        Assert.Equal(400, await store.CountAsync("chroma-notes", cancellationToken: ct));

        var resumed = await new ChromaMigrator(new ChromaDirectoryReader(chroma), options with { Resume = true, Progress = null }).ExecuteAsync(plan, store, ct);

        Assert.Equal(400, resumed.Resumed);
        Assert.Equal(600, resumed.Written);
        Assert.Equal(0, resumed.Mismatched);
        Assert.True(resumed.Verified);
        Assert.Equal(1000, await store.CountAsync("chroma-notes", cancellationToken: ct));
        Assert.Equal(334, await store.CountAsync("chroma-notes", VectorFilter.ForAgent("user-1"), ct));

        var rerun = await new ChromaMigrator(new ChromaDirectoryReader(chroma), options with { Progress = null }).ExecuteAsync(plan, store, ct);
        Assert.Equal(0, rerun.Written);
        Assert.Equal(1000, rerun.Skipped);
        Assert.Equal(0, rerun.Mismatched);
    }

    [Fact]
    public async Task Migration_into_the_embedded_store_builds_its_index_once_at_the_end_and_searches_exactly_meanwhile()
    {
        SkipWithoutFixture();
        var ct = TestContext.Current.CancellationToken;
        var chroma = ChromaFixtures.Generate(Shared(), 1000);
        var data = ChromaFixtures.TempDirectory();
        var store = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { DataDirectory = data, BuildIndexInBackground = false, IndexThreshold = 200 });
        _stores.Add(store);
        var during = new List<(long Done, VectorIndexState State, int Indexed, bool Found)>();
        var options = new MigrationOptions
        {
            BatchSize = 100,
            Progress = p =>
            {
                if (p.Phase == "write" && p.Done % 300 == 0)
                {
                    var status = store.GetIndexStatus("chroma-notes");
                    // Dot product: the best hit scores at least as high as the query point itself, which is stored.
                    var first = store.GetAsync("chroma-notes", [ChromaMigrator.PointId("notes", "rec-00001")], withVectors: true, ct).Result.Single();
                    var hits = store.SearchAsync("chroma-notes", new VectorSearchRequest(first.Vector, 1000), ct).Result;
                    var self = System.Numerics.Tensors.TensorPrimitives.Dot(first.Vector.Span, first.Vector.Span);
                    during.Add((p.Done, status.State, status.IndexedPoints, hits.Count == p.Done && hits.Any(h => h.Id == first.Id) && hits[0].Score >= self - 1e-4f));
                }
            },
        };
        var migrator = new ChromaMigrator(new ChromaDirectoryReader(chroma), options);

        var report = await migrator.ExecuteAsync(await migrator.PlanAsync(ct), store, ct);

        Assert.Equal(1000, report.Written);
        Assert.Equal([300L, 600, 900], during.Select(d => d.Done));
        Assert.All(during, d => Assert.Equal((VectorIndexState.None, 0, true), (d.State, d.Indexed, d.Found)));
        var after = store.GetIndexStatus("chroma-notes");
        Assert.Equal(VectorIndexState.Ready, after.State);
        Assert.Equal(1000, after.IndexedPoints);
    }

    [Fact]
    public async Task Verify_detects_a_tampered_target_record_and_lists_its_id()
    {
        SkipWithoutFixture();
        var ct = TestContext.Current.CancellationToken;
        var chroma = ChromaFixtures.Generate(Shared(), 50);
        var data = ChromaFixtures.TempDirectory();
        var store = Store(data);
        var options = new MigrateCommandOptions { From = "chroma:" + chroma, Verify = true, DataDirectory = data };
        Assert.Equal(0, (await RunAsync(options, store)).ExitCode);
        var id = ChromaMigrator.PointId("notes", "rec-00017");
        var point = (await store.GetAsync("chroma-notes", [id], true, ct)).Single();
        point.Payload["text"] = "silently altered";
        await store.UpsertAsync("chroma-notes", [point], ct);

        var check = await RunAsync(options with { DryRun = true }, store);

        Assert.Equal(1, check.ExitCode);
        Assert.Contains("rec-00017", check.Out, StringComparison.Ordinal);
        Assert.Contains("1 mismatched", check.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dual_write_lands_every_write_in_both_stores_and_rollback_restores_reads_from_the_old_store()
    {
        var ct = TestContext.Current.CancellationToken;
        var oldStore = Store(ChromaFixtures.TempDirectory());
        var newStore = Store(ChromaFixtures.TempDirectory());
        var dual = new DualWriteVectorStore(newStore, oldStore, new DualWriteOptions());
        await dual.EnsureCollectionAsync(new VectorCollectionSpec("memories", 3, VectorDistance.Dot), ct);
        VectorRecord Point(string id, string text) => new(id, new float[] { 1, 2, 3 }, new JsonObject { ["agentId"] = "a", ["type"] = "resource", ["text"] = text });

        await dual.UpsertAsync("memories", [Point("p1", "one"), Point("p2", "two")], ct);
        Assert.Equal(2, await oldStore.CountAsync("memories", cancellationToken: ct));
        Assert.Equal(2, await newStore.CountAsync("memories", cancellationToken: ct));
        Assert.True((await dual.CompareAsync("memories", ct)).InParity);

        dual.CutOver();
        await dual.UpsertAsync("memories", [Point("p3", "three")], ct);
        await dual.DeleteAsync("memories", ["p1"], ct);
        Assert.True(dual.ReadsFromNew);
        Assert.Equal(["p2", "p3"], (await oldStore.GetAsync("memories", ["p1", "p2", "p3"], cancellationToken: ct)).Select(r => r.Id));
        Assert.True((await dual.CompareAsync("memories", ct)).InParity);

        await newStore.UpsertAsync("memories", [Point("p4", "only new"), Point("p2", "changed")], ct);
        var parity = await dual.CompareAsync("memories", ct);
        Assert.Equal(["p4"], parity.OnlyInNew);
        Assert.Equal(["p2"], parity.Different);
        Assert.Equal("changed", (await dual.GetAsync("memories", ["p2"], cancellationToken: ct)).Single().Payload["text"]!.GetValue<string>());

        dual.RollBack();
        Assert.False(dual.ReadsFromNew);
        Assert.Equal("two", (await dual.GetAsync("memories", ["p2"], cancellationToken: ct)).Single().Payload["text"]!.GetValue<string>());
        Assert.Equal(2, await dual.CountAsync("memories", cancellationToken: ct));
    }

    [Theory]
    [InlineData("missing-dir", "does not exist")]
    [InlineData("not-chroma", "has no chroma.sqlite3")]
    [InlineData("corrupt", "chroma.sqlite3")]
    [InlineData("unknown-collection", "Unknown Chroma collection")]
    [InlineData("unreachable", "unreachable")]
    [InlineData("bad-scheme", "Unknown source")]
    public async Task Bad_input_is_a_clear_error_with_exit_code_2_and_the_target_untouched(string kind, string message)
    {
        var dir = ChromaFixtures.TempDirectory();
        var from = kind switch
        {
            "missing-dir" => "chroma:" + Path.Combine(dir, "nope"),
            "not-chroma" => "chroma:" + dir,
            "corrupt" => "chroma:" + Corrupt(dir),
            "unknown-collection" => "chroma:" + ChromaFixtures.Generate(ChromaFixtures.SharedDirectory() ?? Skip(), 3),
            "unreachable" => "chroma-http:http://127.0.0.1:9",
            _ => "pinecone:" + dir,
        };
        var data = ChromaFixtures.TempDirectory();
        var opened = false;
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await MigrateCommand.RunAsync(
            new MigrateCommandOptions { From = from, Collections = kind == "unknown-collection" ? ["nope"] : [], DataDirectory = data },
            () =>
            {
                opened = true;
                return Store(data);
            },
            output, error, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(2, code);
        Assert.Contains(message, error.ToString(), StringComparison.Ordinal);
        Assert.False(opened);
        Assert.Empty(Directory.EnumerateFileSystemEntries(data));
    }

    private static string Corrupt(string dir)
    {
        File.WriteAllBytes(Path.Combine(dir, "chroma.sqlite3"), [.. Enumerable.Range(0, 8192).Select(i => (byte)(i * 31))]);
        return dir;
    }

    private static string Skip()
    {
        Assert.Skip("The shared Chroma fixture (<repo>/../shared/fixtures/chroma) is absent.");
        return "";
    }
}
