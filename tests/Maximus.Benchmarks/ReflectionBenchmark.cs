using System.Collections.Concurrent;
using System.Diagnostics;
using Maximus.Contracts.Plugins;
using Maximus.Contracts.Reflection;
using Maximus.Composition;
using Maximus.Reflection;
using Maximus.Reflection.Client;
using Maximus.Runtime.Embedded;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Maximus.Benchmarks;

/// <summary>
/// The reflection path on the embedded runtime with the real client and reflector service: caller-visible
/// submit latency for HIGH and BATCH, end-to-end latency of CRITICAL, and whether every submitted log was
/// reflected (by id). An optional artificial reflector delay shows that submitters never wait for it.
/// </summary>
public static class ReflectionBenchmark
{
    public sealed record Result(
        string Benchmark,
        Percentiles SubmitHigh,
        Percentiles SubmitBatch,
        Percentiles Critical,
        long Submitted,
        long Reflected,
        long Lost,
        int Iterations,
        int Concurrency,
        int ReflectorDelayMs,
        double DrainMs,
        string Runtime);

    public static async Task<Result> RunAsync(int iterations, int concurrency, int reflectorDelayMs, TextWriter progress)
    {
        var dataDir = Directory.CreateTempSubdirectory("maximus-bench-reflection-").FullName;
        var reflected = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Serilog:MinimumLevel:Default"] = "Warning",
            [$"{EmbeddedRuntimeOptions.Section}:MaxConcurrentDeliveries"] = "64",
        });
        builder.AddMaximusLogging(toStandardError: true);
        builder.AddMaximus(new MaximusHostSettings([Contracts.AppIds.Reflector, Contracts.AppIds.Memory, Contracts.AppIds.Executor], RuntimeKind.Embedded, dataDir));
        builder.Services.AddSingleton<IReflector>(sp => new CountingReflector(
            new HeuristicReflector(TimeProvider.System), reflected, TimeSpan.FromMilliseconds(reflectorDelayMs)));
        using var host = builder.Build();
        await host.StartAsync().ConfigureAwait(false);
        var client = host.Services.GetRequiredService<PrioritizedReflectorClient>();

        // Warm-up: JIT, SQLite pages, thread pool (not measured, not counted).
        for (var i = 0; i < 200; i++)
        {
            await client.SubmitAsync(Log($"warm-{i}", (ReflectionPriority)(i % 3))).ConfigureAwait(false);
        }

        await client.FlushAsync().ConfigureAwait(false);
        await host.Services.GetRequiredService<EmbeddedEventBus>().WaitUntilIdleAsync(TimeSpan.FromMinutes(5)).ConfigureAwait(false);
        reflected.Clear();

        progress.WriteLine($"reflection: {iterations} logs per priority, {concurrency} concurrent submitters, reflector delay {reflectorDelayMs} ms");
        var high = await MeasureAsync(client, "high", ReflectionPriority.High, iterations, concurrency).ConfigureAwait(false);
        progress.WriteLine($"  high   p99 {high.Percentiles.P99} ms");
        var batch = await MeasureAsync(client, "batch", ReflectionPriority.Batch, iterations, concurrency).ConfigureAwait(false);
        progress.WriteLine($"  batch  p99 {batch.Percentiles.P99} ms");
        var critical = await MeasureAsync(client, "critical", ReflectionPriority.Critical, iterations, concurrency).ConfigureAwait(false);
        progress.WriteLine($"  critical p99 {critical.Percentiles.P99} ms");

        var submitted = high.Ids.Concat(batch.Ids).Concat(critical.Ids).ToHashSet(StringComparer.Ordinal);
        var drain = Stopwatch.StartNew();
        var deadline = TimeSpan.FromSeconds(Math.Max(60, submitted.Count * (reflectorDelayMs + 1) / 500.0));
        while (submitted.Any(id => !reflected.ContainsKey(id)) && drain.Elapsed < deadline)
        {
            await Task.Delay(20).ConfigureAwait(false);
        }

        var done = submitted.Count(reflected.ContainsKey);
        progress.WriteLine($"  reflected {done}/{submitted.Count} in {drain.ElapsedMilliseconds} ms after the last submit");
        await host.StopAsync().ConfigureAwait(false);
        TryDelete(dataDir);
        return new Result("reflection", high.Percentiles, batch.Percentiles, critical.Percentiles, submitted.Count, done, submitted.Count - done,
            iterations, concurrency, reflectorDelayMs, Math.Round(drain.Elapsed.TotalMilliseconds, 1), "embedded");
    }

    private static async Task<(Percentiles Percentiles, List<string> Ids)> MeasureAsync(
        PrioritizedReflectorClient client, string name, ReflectionPriority priority, int iterations, int concurrency)
    {
        var samples = new ConcurrentBag<double>();
        var ids = new ConcurrentBag<string>();
        var next = -1;
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < iterations)
            {
                var log = Log($"{name}-{i}-{Guid.NewGuid():N}", priority);
                var started = Stopwatch.GetTimestamp();
                await client.SubmitAsync(log).ConfigureAwait(false);
                samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                ids.Add(log.LogId);
            }
        }));
        await Task.WhenAll(workers).ConfigureAwait(false);
        return (Percentiles.Of(samples), ids.ToList());
    }

    private static ExecutionLog Log(string id, ReflectionPriority priority) => new(
        LogId: id,
        MissionId: "bench-mission",
        AgentId: "bench",
        StepIndex: 0,
        Action: "(stack a b)",
        Outcome: ActionOutcome.Succeeded,
        DurationMs: 3.5,
        Timestamp: DateTimeOffset.UtcNow,
        Observation: "stacked a on b",
        Priority: priority);

    private static void TryDelete(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
            // Temp files: the OS cleans them.
        }
    }

    /// <summary>Counts reflected ids; optionally slow, to stand for a model-backed reflector.</summary>
    private sealed class CountingReflector(IReflector inner, ConcurrentDictionary<string, int> reflected, TimeSpan delay) : IReflector
    {
        public string Name => inner.Name;

        public async ValueTask<ReflectionResult> ReflectAsync(ExecutionLog log, CancellationToken cancellationToken)
        {
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }

            var result = await inner.ReflectAsync(log, cancellationToken).ConfigureAwait(false);
            reflected.AddOrUpdate(log.LogId, 1, (_, n) => n + 1);
            return result;
        }
    }
}
