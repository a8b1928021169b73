using Maximus.Contracts.Memory;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Maximus.Contracts;
using Maximus.Contracts.Ports;
using Maximus.Composition;
using Maximus.Memory.Mirix;
using Maximus.Memory.Vectors.Embedded;
using Maximus.Memory.Vectors.Embeddings;
using Maximus.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Maximus.Benchmarks;

/// <summary>
/// The memory search as a user calls it, <c>POST v1/memory/{agent}/search {"query", "k": 10, "types"?}</c>, on a host
/// composed like the product's (<see cref="MaximusHostingExtensions.AddMaximus"/>, role memory, embedded runtime,
/// product defaults for the store and the model): query embedding, per-type filters, ranking, semantic graph
/// expansion and payload decoding of <see cref="AgentMemory"/>. Measured twice: in process through the embedded
/// runtime's <see cref="IServiceInvoker"/> (route match, JSON in and out, the handler) and over loopback HTTP with
/// <see cref="HttpClient"/> against the same host's Kestrel on 127.0.0.1. Each measured query is distinct (agent, types,
/// text), so the search cache of <see cref="AgentMemory"/> never answers one; the warm-up queries are a disjoint set.
/// </summary>
public static class MemoryApiBenchmark
{
    /// <summary>The latencies go to the result's <c>apiInProcess</c> and <c>apiHttp</c>; the rest describes the run.</summary>
    public sealed record Report(
        [property: JsonIgnore] Percentiles InProcess,
        [property: JsonIgnore] Percentiles Http,
        int QueriesPerPath,
        int WarmupQueries,
        int Entries,
        int CoreMemoriesLeftOut,
        double WriteSeconds,
        double IndexBuildSeconds,
        double HostStartSeconds,
        bool IndexLoadedFromDisk,
        double MeanHitsInProcess,
        double MeanHitsHttp,
        int QueriesWithoutHits,
        double QueriesWithTypeFilter,
        string Host,
        string EntriesWrittenAs);

    internal static async Task<Report> RunAsync(
        MemoryCorpus corpus,
        MemoryCorpus.MemoryText[] memories,
        Dictionary<string, float[]> vectors,
        int queriesPerPath,
        int warmup,
        int seed,
        EmbeddingQuantization quantization,
        TextWriter progress,
        CancellationToken ct)
    {
        var directory = Directory.CreateTempSubdirectory("maximus-bench-memory-api-").FullName;
        try
        {
            // 1. Entries in AgentMemory's layout, written through the store in batches (the API writes one at a time),
            //    then the HNSW indexes built and saved with the product's store settings, as a host would find them.
            var entries = memories.Where(m => m.Type != "core").ToArray();
            progress.WriteLine($"  api: writing {entries.Length} entries in AgentMemory's layout ({memories.Length - entries.Length} core memories left out: core blocks are never embedded) ...");
            var write = Stopwatch.StartNew();
            var spec = new VectorCollectionSpec(VectorCollections.Memories, LocalEmbeddingGenerator.Dimensions) { PayloadIndexes = AgentMemory.PayloadIndexes };
            using (var loader = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { DataDirectory = directory, IndexThreshold = int.MaxValue }))
            {
                await loader.EnsureCollectionAsync(spec, ct).ConfigureAwait(false);
                foreach (var batch in entries.Chunk(2000))
                {
                    await loader.UpsertAsync(VectorCollections.Memories, [.. batch.Select(m => AgentMemoryRecord(m, vectors[m.Text]))], ct).ConfigureAwait(false);
                }
            }

            write.Stop();
            var build = Stopwatch.StartNew();
            using (var builder = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { DataDirectory = directory, BuildIndexInBackground = false }))
            {
                await builder.EnsureCollectionAsync(spec, ct).ConfigureAwait(false);
            }

            build.Stop();
            progress.WriteLine($"  api: written in {write.Elapsed.TotalSeconds:0.0} s, indexes built and saved in {build.Elapsed.TotalSeconds:0.0} s");

            // 2. The host, composed as services/Maximus.Host composes it, on an ephemeral loopback port.
            var start = Stopwatch.StartNew();
            await using var app = BuildHost(directory, quantization);
            await app.StartAsync(ct).ConfigureAwait(false);
            var store = app.Services.GetRequiredService<EmbeddedVectorStore>();
            await store.WaitForIndexAsync(VectorCollections.Memories, ct).ConfigureAwait(false);
            start.Stop();
            var loadedFromDisk = store.GetIndexStatus(VectorCollections.Memories).LoadedFromDisk;
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            progress.WriteLine($"  api: host (role memory, embedded) listening on {address} after {start.Elapsed.TotalSeconds:0.0} s, index loaded from disk: {loadedFromDisk}");
            var invoker = app.Services.GetRequiredService<IServiceInvoker>();
            await CheckLayoutAsync(invoker, entries, ct).ConfigureAwait(false);

            // 3. Queries: warm-up, in-process and HTTP sets, pairwise disjoint and each distinct.
            var all = DistinctQueries(corpus, entries, warmup + (2 * queriesPerPath), seed);
            var warm = all[..warmup];
            var inProcessQueries = all[warmup..(warmup + queriesPerPath)];
            var httpQueries = all[(warmup + queriesPerPath)..];

            using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan, UseProxy = false })
            {
                BaseAddress = new Uri(address.TrimEnd('/') + "/"),
                DefaultRequestVersion = HttpVersion.Version11,
            };
            foreach (var (q, i) in warm.Select((q, i) => (q, i)))
            {
                // Half the warm-up on each path: JIT, the model's first runs, the connection.
                _ = i % 2 == 0 ? await InProcessAsync(invoker, q, ct).ConfigureAwait(false) : await HttpAsync(http, q, ct).ConfigureAwait(false);
            }

            GC.Collect();
            GC.WaitForPendingFinalizers();
            progress.WriteLine($"  api: measuring {queriesPerPath} searches in process (IServiceInvoker) ...");
            var inProcess = new List<double>(queriesPerPath);
            var inProcessHits = 0L;
            var empty = 0;
            foreach (var q in inProcessQueries)
            {
                var started = Stopwatch.GetTimestamp();
                var hits = await InProcessAsync(invoker, q, ct).ConfigureAwait(false);
                inProcess.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                inProcessHits += hits;
                empty += hits == 0 ? 1 : 0;
            }

            GC.Collect();
            progress.WriteLine($"  api: measuring {queriesPerPath} searches over HTTP ({address}) ...");
            var overHttp = new List<double>(queriesPerPath);
            var httpHits = 0L;
            foreach (var q in httpQueries)
            {
                var started = Stopwatch.GetTimestamp();
                var hits = await HttpAsync(http, q, ct).ConfigureAwait(false);
                overHttp.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                httpHits += hits;
                empty += hits == 0 ? 1 : 0;
            }

            await app.StopAsync(ct).ConfigureAwait(false);
            var report = new Report(
                Percentiles.Of(inProcess),
                Percentiles.Of(overHttp),
                queriesPerPath,
                warmup,
                entries.Length,
                memories.Length - entries.Length,
                Math.Round(write.Elapsed.TotalSeconds, 2),
                Math.Round(build.Elapsed.TotalSeconds, 2),
                Math.Round(start.Elapsed.TotalSeconds, 2),
                loadedFromDisk,
                Math.Round(inProcessHits / (double)Math.Max(1, queriesPerPath), 2),
                Math.Round(httpHits / (double)Math.Max(1, queriesPerPath), 2),
                empty,
                Math.Round(all[warmup..].Count(q => q.Types is not null) / (double)Math.Max(1, 2 * queriesPerPath), 3),
                "in-process WebApplication: AddServiceDefaults + AddMaximus(--role memory --runtime embedded) + MapDefaultEndpoints + MapMaximus, " +
                $"Kestrel on 127.0.0.1:0, product defaults (MiniLM, embedded store, MemoryOptions) with embedding quantization {quantization}, log level Error, clock set to the corpus's 'now'",
                "written through IVectorStore in AgentMemory's payload layout (entry JSON, agentId, type, text, createdAt, expiresAt, facts' subject/object/valid) " +
                "with the vector of the entry text; semantic entries carry a fact, procedural a procedure, resource a chunk; checked by GET v1/memory/{agent}/entries/{id}");
            progress.WriteLine($"  api: in process p50 {report.InProcess.P50} / p99 {report.InProcess.P99} ms; HTTP p50 {report.Http.P50} / p99 {report.Http.P99} ms");
            return report;
        }
        finally
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp folder changes no number.
            }
        }
    }

    internal sealed record ApiQuery(string Agent, string Text, IReadOnlyList<MemoryType>? Types)
    {
        public SearchMemoryRequest Request => new(Text, Types, 10);

        public string Key => $"{Agent}|{(Types is null ? "*" : string.Join(',', Types))}|{Text}";
    }

    private static WebApplication BuildHost(string directory, EmbeddingQuantization quantization)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = ["--role", AppIds.Memory, "--runtime", "embedded", "--data-dir", directory],
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = "Production",
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            // Standard output carries the benchmark's JSON; request logs would also cost time.
            ["Serilog:MinimumLevel:Default"] = "Error",
            ["Serilog:MinimumLevel:Override:Microsoft"] = "Error",
            ["Serilog:MinimumLevel:Override:Microsoft.AspNetCore"] = "Error",
            ["Serilog:MinimumLevel:Override:Microsoft.Hosting.Lifetime"] = "Error",
            [$"{LocalEmbeddingOptions.Section}:Quantization"] = quantization.ToString(),
        });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var settings = MaximusHostSettings.FromConfiguration(builder.Configuration);
        builder.AddServiceDefaults(settings.ServiceName);

        // The corpus is dated around MemoryCorpus.Now: expiry and recency are judged at that time (the modules keep a registered clock).
        builder.Services.AddSingleton<TimeProvider>(new ShiftedClock(MemoryCorpus.Now));
        builder.AddMaximus(settings);
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapMaximus();
        return app;
    }

    private static async Task<int> InProcessAsync(IServiceInvoker invoker, ApiQuery q, CancellationToken ct)
    {
        var response = await invoker.InvokeAsync<SearchMemoryRequest, SearchMemoryResponse>(AppIds.Memory, $"v1/memory/{q.Agent}/search", q.Request, ct).ConfigureAwait(false);
        return response.Hits.Count;
    }

    private static async Task<int> HttpAsync(HttpClient http, ApiQuery q, CancellationToken ct)
    {
        using var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(q.Request, MaximusJson.Options));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await http.PostAsync($"v1/memory/{q.Agent}/search", content, ct).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"POST v1/memory/{q.Agent}/search answered {(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(body)}");
        }

        return JsonSerializer.Deserialize<SearchMemoryResponse>(body, MaximusJson.Options)!.Hits.Count;
    }

    /// <summary>Reads a few live entries back through the API: a layout that drifted from AgentMemory's would fail here.</summary>
    private static async Task CheckLayoutAsync(IServiceInvoker invoker, MemoryCorpus.MemoryText[] entries, CancellationToken ct)
    {
        foreach (var m in entries.Where(m => m.ExpiresAt is null).Take(20))
        {
            var entry = await invoker.GetAsync<MemoryEntry>(AppIds.Memory, $"v1/memory/{m.Agent}/entries/{m.Id}", ct).ConfigureAwait(false);
            if (entry.Text != m.Text || entry.Type.ToString().ToLowerInvariant() != m.Type)
            {
                throw new InvalidOperationException($"Entry {m.Id} reads back as '{entry.Type}: {entry.Text}': the benchmark's layout is not AgentMemory's.");
            }
        }
    }

    /// <summary>Paraphrase-like queries of random non-core memories, each (agent, types, text) once; core dropped from type filters.</summary>
    internal static ApiQuery[] DistinctQueries(MemoryCorpus corpus, MemoryCorpus.MemoryText[] entries, int count, int seed)
    {
        var random = new Random(seed + 2);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var queries = new List<ApiQuery>(count);
        for (var attempt = 0; queries.Count < count && attempt < count * 50; attempt++)
        {
            var q = corpus.Query(entries[random.Next(entries.Length)], random);
            var types = q.Types?.Where(t => t != "core").Distinct().Select(t => Enum.Parse<MemoryType>(t, ignoreCase: true)).ToList();
            var query = new ApiQuery(q.Agent, q.Text, types is { Count: > 0 } ? types : null);
            if (seen.Add(query.Key))
            {
                queries.Add(query);
            }
        }

        return queries.Count == count
            ? [.. queries]
            : throw new InvalidOperationException($"Only {queries.Count} distinct API queries for {count}: lower --api-queries or raise --memories.");
    }

    /// <summary>The type-specific parts of a corpus memory: semantic entries carry a fact, procedural a procedure, resource a chunk.</summary>
    internal static (MemoryType Type, SemanticFact? Fact, Procedure? Procedure, ResourceChunk? Resource) Parts(MemoryCorpus.MemoryText m, DateTimeOffset created)
    {
        var f = m.Fields;
        var type = Enum.Parse<MemoryType>(m.Type, ignoreCase: true);
        var fact = type != MemoryType.Semantic ? null : m.Template switch
        {
            0 => new SemanticFact(f[0], "prefers", f[2], created),
            1 => new SemanticFact(f[0], "lives in", f[2], created),
            2 => new SemanticFact(f[1], "is owned by", $"{f[2]} team", created),
            3 => new SemanticFact(f[0], "has a", f[2], created),
            _ => new SemanticFact($"{f[1]} API", "has", "a rate limit", created),
        };
        return (type, fact,
            type == MemoryType.Procedural ? new Procedure($"{f[1]} {f[0]}", [m.Text]) : null,
            type == MemoryType.Resource ? new ResourceChunk(f[0]) : null);
    }

    /// <summary>A corpus memory as AgentMemory stores it (point id "agent:id", the entry as JSON, its indexed keys).</summary>
    private static VectorRecord AgentMemoryRecord(MemoryCorpus.MemoryText m, float[] vector)
    {
        var created = DateTimeOffset.FromUnixTimeMilliseconds(m.CreatedAt);
        var (type, fact, procedure, resource) = Parts(m, created);
        var entry = new MemoryEntry(
            m.Id, m.Agent, type, m.Text, created,
            OccurredAt: type == MemoryType.Episodic ? created : null,
            ExpiresAt: m.ExpiresAt is { } e ? DateTimeOffset.FromUnixTimeMilliseconds(e) : null,
            Fact: fact,
            Procedure: procedure,
            Resource: resource);
        var payload = new JsonObject
        {
            [VectorPayloadKeys.AgentId] = m.Agent,
            [VectorPayloadKeys.Type] = m.Type,
            [VectorPayloadKeys.Text] = m.Text,
            [VectorPayloadKeys.CreatedAt] = m.CreatedAt,
            [AgentMemory.EntryKey] = JsonSerializer.SerializeToNode(entry, MaximusJson.Options),
        };
        if (m.ExpiresAt is { } expires)
        {
            payload[VectorPayloadKeys.ExpiresAt] = expires;
        }

        if (fact is not null)
        {
            payload[AgentMemory.SubjectKey] = fact.Subject;
            payload[AgentMemory.ObjectKey] = fact.Object;
            payload[AgentMemory.ValidKey] = "true";
        }

        return new VectorRecord($"{m.Agent}:{m.Id}", vector, payload);
    }

    /// <summary>The system clock moved so that it reads <paramref name="now"/> at construction; timers are unaffected.</summary>
    private sealed class ShiftedClock(DateTimeOffset now) : TimeProvider
    {
        private readonly TimeSpan _shift = now - System.GetUtcNow();

        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + _shift;
    }
}
