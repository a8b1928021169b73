using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Maximus.Memory.Vectors.Embedded;
using Maximus.Migration;
using Maximus.Migration.Tests;
using Maximus.ServiceDefaults;

namespace Maximus.Benchmarks;

/// <summary>
/// <c>migrate</c>: a Chroma directory in the real layout (chroma.sqlite3 with its metadata segment and write-ahead log, one
/// hnswlib vector segment with its pickled id map), generated here with <c>--records</c> records, migrated into a fresh
/// embedded store with verification, through the same entry point as <c>maximus memory migrate --from chroma:&lt;dir&gt;
/// --verify</c>. Reports records/s end to end and per phase (read + checksum, write, verify) and the process's peak
/// resident memory during the migration; then waits for the HNSW index the store builds once the migration's bulk load
/// has ended (searches are exact until then) and reports that apart: its time and the peak resident memory with it.
/// </summary>
public static class MigrateBenchmark
{
    public const double TargetRecordsPerSecond = 5000;
    public const long TargetPeakRssBytes = 1L << 30;

    public sealed record Phase(string Name, long Records, double Seconds, double RecordsPerSecond);

    public sealed record Result(
        string Benchmark,
        int Records,
        int Dimension,
        string Space,
        int InSegment,
        int InLog,
        double GenerateSeconds,
        double Seconds,
        double RecordsPerSecond,
        IReadOnlyList<Phase> Phases,
        long Written,
        long Mismatched,
        int ExitCode,
        long PeakRssBytes,
        long RssBeforeBytes,
        double IndexBuildSeconds,
        int IndexedPoints,
        long PeakRssWithIndexBytes,
        bool MeetsTargets,
        IReadOnlyDictionary<string, string> Paths,
        object Machine);

    public static Command CreateCommand(Option<bool> json)
    {
        var records = new Option<int>("--records") { Description = "Records in the generated Chroma directory.", DefaultValueFactory = _ => 100_000 };
        var dimension = new Option<int>("--dimension") { Description = "Vector dimension.", DefaultValueFactory = _ => 384 };
        var space = new Option<string>("--space") { Description = "l2, ip or cosine.", DefaultValueFactory = _ => "cosine" };
        var logShare = new Option<double>("--log-share") { Description = "Share of the writes left in the write-ahead log after the segment's max_seq_id.", DefaultValueFactory = _ => 0.1 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 42 };
        var command = new Command("migrate", "A generated real-layout Chroma directory migrated into the embedded store with verification: records/s, peak RSS.")
        {
            records, dimension, space, logShare, seed,
        };
        command.SetAction(async (result, ct) =>
        {
            if (result.GetValue(records) < 10 || result.GetValue(dimension) is < 2 or > 4096 || result.GetValue(space) is not ("l2" or "ip" or "cosine")
                || result.GetValue(logShare) is < 0 or > 0.9)
            {
                await Console.Error.WriteLineAsync("error: --records ≥ 10, --dimension 2..4096, --space l2|ip|cosine, --log-share 0..0.9.").ConfigureAwait(false);
                return 2;
            }

            var r = await RunAsync(result.GetValue(records), result.GetValue(dimension), result.GetValue(space)!, result.GetValue(logShare), result.GetValue(seed), Console.Error, ct).ConfigureAwait(false);
            Console.Out.WriteLine(JsonSerializer.Serialize(r, new JsonSerializerOptions(MaximusJson.Options) { WriteIndented = !result.GetValue(json) }));
            return r.ExitCode;
        });
        return command;
    }

    public static async Task<Result> RunAsync(int count, int dimension, string space, double logShare, int seed, TextWriter progress, CancellationToken ct)
    {
        // 1. The directory: most records compacted into the HNSW segment, the rest still in the log (adds, updates, upserts, deletes).
        var clock = Stopwatch.StartNew();
        progress.WriteLine($"migrate: generating a Chroma directory with {count} records ({dimension}-d, {space}, {logShare:P0} in the log) ...");
        var inLog = (int)(count * logShare);
        var (directory, served) = Generate(count, dimension, space, inLog, seed);
        var generateSeconds = Math.Round(clock.Elapsed.TotalSeconds, 1);
        progress.WriteLine($"migrate: {served} records served by the directory, generated in {generateSeconds} s at {directory}");

        // 2. The migration, as `maximus memory migrate --from chroma:<dir> --verify` runs it, into a fresh embedded store.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        var rssBefore = Machine.StatusBytes("self", "VmRSS");
        ResetPeakRss();
        var dataDir = Directory.CreateTempSubdirectory("maximus-bench-migrate-").FullName;
        var phases = new Dictionary<string, (long Done, TimeSpan First, TimeSpan Last)>(StringComparer.Ordinal);
        var run = Stopwatch.StartNew();
        int exit;
        var output = new StringWriter();
        EmbeddedVectorStore? store = null;
        try
        {
            exit = await MigrateCommand.RunAsync(
                new MigrateCommandOptions { From = $"chroma:{directory}", Verify = true, Json = true, DataDirectory = dataDir },
                () => store = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { DataDirectory = dataDir }),
                output,
                progress,
                p =>
                {
                    lock (phases)
                    {
                        var now = run.Elapsed;
                        phases[p.Phase] = phases.TryGetValue(p.Phase, out var seen) ? (p.Done, seen.First, now) : (p.Done, now, now);
                    }
                },
                cancellationToken: ct).ConfigureAwait(false);
        }
        finally
        {
            run.Stop();
        }

        var peak = Machine.StatusBytes("self", "VmHWM");
        var report = JsonNode.Parse(output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Last(l => l.TrimStart().StartsWith('{')))!;
        var rate = Math.Round(served / run.Elapsed.TotalSeconds, 1);
        progress.WriteLine($"migrate: {served} records in {run.Elapsed.TotalSeconds:0.0} s = {rate} records/s end to end, peak RSS {peak / (1024 * 1024)} MiB, exit {exit}");

        // 3. After the migration: the index build it deferred (not part of records/s; searches are exact meanwhile).
        var indexClock = Stopwatch.StartNew();
        var indexed = 0;
        if (store is not null)
        {
            var target = (string?)report["collections"]?[0]?["target"];
            if (target is not null && exit == 0)
            {
                progress.WriteLine("migrate: waiting for the HNSW index the store builds after the bulk load ...");
                await store.WaitForIndexAsync(target, ct).ConfigureAwait(false);
                indexed = store.GetIndexStatus(target).IndexedPoints;
            }

            store.Dispose();
        }

        var indexSeconds = Math.Round(indexClock.Elapsed.TotalSeconds, 1);
        var peakWithIndex = Machine.StatusBytes("self", "VmHWM");
        progress.WriteLine($"migrate: index of {indexed} points ready {indexSeconds} s after the migration, peak RSS with it {peakWithIndex / (1024 * 1024)} MiB");
        PublishedHost.DeleteQuietly(dataDir);
        PublishedHost.DeleteQuietly(directory);

        // A phase runs from the run's start (read) or the previous phase's last report to its own last report.
        var ordered = phases.OrderBy(p => p.Value.Last).ToList();
        var result = new List<Phase>();
        var from = TimeSpan.Zero;
        foreach (var (name, (done, _, last)) in ordered)
        {
            var seconds = Math.Max((last - from).TotalSeconds, 1e-6);
            result.Add(new Phase(name, done, Math.Round(seconds, 2), Math.Round(done / seconds, 1)));
            from = last;
        }

        return new Result(
            "migrate", count, dimension, space, count - (inLog / 2), inLog, generateSeconds,
            Math.Round(run.Elapsed.TotalSeconds, 2), rate, result,
            (long?)report["written"] ?? -1, (long?)report["mismatched"] ?? -1, exit, peak, rssBefore, indexSeconds, indexed, peakWithIndex,
            exit == 0 && rate >= TargetRecordsPerSecond && (peakWithIndex == 0 || peakWithIndex < TargetPeakRssBytes),
            new Dictionary<string, string>
            {
                ["recordsPerSecond"] = "records the directory serves (segment + log replayed) / wall time of MigrateCommand.RunAsync (validate, read + checksum, snapshot, write into a fresh embedded store, verify every checksum)",
                ["phases"] = "from the migrator's progress reports: read (segment files, pickle, log replay, metadata, checksums), write (upserts in batches), verify (read back and compare checksums)",
                ["peakRssBytes"] = "VmHWM of this process, reset (clear_refs 5) after generating the directory and a full GC; 0 where /proc is not available",
                ["indexBuildSeconds"] = "after RunAsync returned: until the HNSW index the store builds in the background once the migration's bulk load ended is ready (not in recordsPerSecond; searches are exact until then)",
                ["peakRssWithIndexBytes"] = "VmHWM once that index is built (meetsTargets checks this one against 1 GiB)",
            },
            new { processorCount = Environment.ProcessorCount, loadAverage = Machine.LoadAverage() ?? "unknown" });
    }

    /// <summary>Writes the directory; returns it and how many records it serves (the generator's own view is dropped here).</summary>
    private static (string Directory, int Served) Generate(int count, int dimension, string space, int inLog, int seed)
    {
        var random = new Random(seed);
        var persisted = count - (inLog / 2);
        var collection = new LayoutCollection("bench", dimension, space)
        {
            Persisted = [.. Enumerable.Range(0, persisted).Select(i => Record(random, dimension, $"r{i:D7}", i))],
            Log = [.. Enumerable.Range(0, inLog).Select(i => (i % 4) switch
            {
                0 or 1 => new LogWrite(i % 4 == 0 ? 0 : 2, $"n{i:D7}", Vector(random, dimension), $"new record {i}", new JsonObject { ["n"] = i }),
                2 => new LogWrite(1, $"r{random.Next(persisted):D7}", Vector(random, dimension), $"updated {i}"),
                _ => new LogWrite(3, $"r{random.Next(persisted):D7}"),
            })],
        };
        var (directory, expected, _) = ChromaLayoutWriter.Write(collection);
        return (directory, expected["bench"].Count);
    }

    private static (string Id, float[] Vector, string? Document, JsonObject? Metadata) Record(Random random, int dimension, string id, int i) =>
        (id, Vector(random, dimension), $"document {i}: the agent noted an event worth remembering", new JsonObject { ["source"] = "bench", ["i"] = i, ["score"] = i * 0.5 });

    private static float[] Vector(Random random, int dimension)
    {
        var v = new float[dimension];
        for (var d = 0; d < dimension; d++)
        {
            v[d] = (float)((random.NextDouble() * 2) - 1);
        }

        return v;
    }

    /// <summary>Resets the peak resident set (Linux: writing 5 to /proc/self/clear_refs), so VmHWM covers the migration only.</summary>
    private static void ResetPeakRss()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Not Linux, or not allowed: the peak then includes the generation.
        }
    }
}
