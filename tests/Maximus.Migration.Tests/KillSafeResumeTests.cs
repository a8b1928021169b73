using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;
using Maximus.Contracts.Ports;
using Maximus.Memory.Vectors.Embedded;
using Maximus.Migration.Chroma;

namespace Maximus.Migration.Tests;

/// <summary>
/// <c>maximus memory migrate</c> as a real child process (the built CLI), SIGKILLed in the middle of a write by its opt-in
/// fault hook (<c>Maximus__Migration__KillAfterRecords</c>), then run again with <c>--resume</c>.
/// </summary>
public sealed class KillSafeResumeTests
{
    private static readonly string CliPath = Path.GetFullPath(
        typeof(KillSafeResumeTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "MaximusCliPath").Value!);

    private static float[] Vector(int seed, int dimension) =>
        [.. Enumerable.Range(0, dimension).Select(d => MathF.Cos((seed * 0.77f) + (d * 1.1f)) * (1 + (seed % 5)))];

    private static LayoutCollection Source(string name, int persisted, int logged, int dimension, string space) => new(name, dimension, space)
    {
        Persisted = [.. Enumerable.Range(0, persisted).Select(i => (
            $"{name}-{i:D4}", Vector(i, dimension), i % 9 == 0 ? null : $"{name} memory {i}",
            i % 6 == 0 ? null : new JsonObject { ["user_id"] = $"user-{i % 3}", ["n"] = i, ["ratio"] = i / 3.0, ["odd"] = i % 2 == 1 }))],
        Log =
        [
            .. Enumerable.Range(persisted, logged).Select(i => new LogWrite(0, $"{name}-{i:D4}", Vector(i, dimension), $"{name} logged {i}", new JsonObject { ["n"] = i })),
            new LogWrite(1, $"{name}-0001", Vector(7001, dimension), "updated after the flush"),
            new LogWrite(3, $"{name}-0002"),
        ],
    };

    private static async Task<(int ExitCode, string StdOut, string StdErr)> MigrateAsync(string[] args, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])[CliPath, "memory", "migrate", .. args])
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(180));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"maximus memory migrate {string.Join(' ', args)} did not end within 180 s.");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task A_migration_killed_mid_batch_resumes_to_exactly_the_source_records_with_every_checksum_verified()
    {
        var ct = TestContext.Current.CancellationToken;
        var (dir, expected, _) = ChromaLayoutWriter.Write(Source("alpha", 600, 180, 16, "cosine"), Source("beta", 250, 40, 16, "l2"));
        var data = ChromaFixtures.TempDirectory();
        string[] args = ["--from", "chroma:" + dir, "--batch-size", "50", "--json", "--data-dir", data];
        var alpha = expected["alpha"].Count; // 779: 600 flushed + 180 logged - 1 deleted
        var beta = expected["beta"].Count;

        // The hook writes the first 33 records of the 15th batch (records 700..749), then SIGKILLs the process.
        var killed = await MigrateAsync(args, new Dictionary<string, string> { ["Maximus__Migration__KillAfterRecords"] = "733" });

        Assert.Equal(137, killed.ExitCode); // 128 + SIGKILL
        Assert.Contains("killing the process after 733 records", killed.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("\"written\"", killed.StdOut, StringComparison.Ordinal);
        using (var partial = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { DataDirectory = data, BuildIndexInBackground = false }))
        {
            Assert.Equal(733, await partial.CountAsync("chroma-alpha", cancellationToken: ct));
            Assert.Null(await partial.GetCollectionAsync("chroma-beta", ct));
        }

        var resumed = await MigrateAsync([.. args, "--resume", "--verify"]);

        Assert.True(resumed.ExitCode == 0, resumed.StdErr + resumed.StdOut);
        var report = JsonNode.Parse(resumed.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1])!;
        Assert.Equal(alpha + beta, report["read"]!.GetValue<long>());
        Assert.Equal(700, report["resumed"]!.GetValue<long>()); // 14 checkpointed batches
        Assert.Equal(33, report["skipped"]!.GetValue<long>()); // written before the kill, equal by checksum
        Assert.Equal(alpha + beta - 733, report["written"]!.GetValue<long>());
        Assert.True(report["verified"]!.GetValue<bool>());
        Assert.Equal(0, report["mismatched"]!.GetValue<long>());

        // Exactly the source's records: none missing, none twice, each one's checksum equal to the source's.
        using var store = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { DataDirectory = data, BuildIndexInBackground = false });
        var reader = new ChromaDirectoryReader(dir);
        foreach (var collection in await reader.ListCollectionsAsync(ct))
        {
            var source = new Dictionary<string, string>(StringComparer.Ordinal);
            await foreach (var batch in reader.ReadAsync(collection, 500, ct))
            {
                foreach (var r in batch)
                {
                    source.Add(r.Id, RecordChecksum.Compute(r.Id, r.Document, r.Metadata, r.Embedding));
                }
            }

            var migrated = new List<(string ChromaId, string? Checksum)>();
            string? cursor = null;
            do
            {
                var page = await store.ScrollAsync("chroma-" + collection.Name, new VectorScrollRequest(200, Cursor: cursor) { WithVectors = true }, ct);
                migrated.AddRange(page.Records.Select(p => (p.Payload[ChromaMigrator.ChromaIdKey]!.GetValue<string>(), ChromaMigrator.TargetChecksum(p))));
                cursor = page.NextCursor;
            }
            while (cursor is not null);

            Assert.Equal(expected[collection.Name].Count, source.Count);
            Assert.Equal(source.Count, migrated.Count);
            Assert.Equal(source.Keys.Order(StringComparer.Ordinal), migrated.Select(m => m.ChromaId).Order(StringComparer.Ordinal));
            Assert.All(migrated, m => Assert.Equal(source[m.ChromaId], m.Checksum));
        }
    }
}
