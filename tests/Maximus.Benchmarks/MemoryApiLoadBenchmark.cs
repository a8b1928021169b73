using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Maximus.Contracts.Memory;
using Maximus.Memory.Vectors.Embeddings;
using Maximus.ServiceDefaults;

namespace Maximus.Benchmarks;

/// <summary>
/// <c>memory-api</c>: memory through its HTTP API as a client sees it. The published host runs as a child process
/// (<c>--role all --runtime embedded</c> by default, product defaults: MiniLM, embedded store, MemoryOptions) on a free
/// loopback port with an empty data folder. Entries of the synthetic corpus (<see cref="MemoryCorpus"/>: several agents,
/// episodic/semantic/procedural/resource, some with expiry) are written through the API — most with
/// <c>POST v1/memory/{agent}/entries:batch</c>, the rest one by one with <c>POST v1/memory/{agent}/entries</c>, each by
/// <c>--write-concurrency</c> clients; the server embeds every text. Then distinct queries (paraphrases of stored entries,
/// some with a type filter) go through <c>POST v1/memory/{agent}/search {"query", "k": 10, "types"?}</c> at each
/// concurrency of <c>--search-concurrency</c>, after a warm-up on other queries; no query repeats, so the search cache
/// never answers. Recall@10: the host is restarted on the same data with exact vector search
/// (<c>Maximus:Memory:Vectors:IndexThreshold</c> above the collection size) and answers every measured query again
/// through the same API; the share of its top-10 ids that the indexed run returned (strict: ties do not count).
/// </summary>
public static class MemoryApiLoadBenchmark
{
    public sealed record Ingest(string Path, int Entries, int Requests, int Concurrency, double Seconds, double EntriesPerSecond, Percentiles RequestMs, int Errors);

    /// <summary>The embedding model alone in this process, as the host runs it (same generator stack), on the texts the server embeds.</summary>
    public sealed record ModelCeiling(int Texts, double Seconds, double TextsPerSecond, string Setup);

    public sealed record Search(int Concurrency, int Queries, Percentiles Ms, double QueriesPerSecond, double MeanHits, int Errors);

    public sealed record Result(
        string Benchmark,
        int Memories,
        string EmbeddingModel,
        string Host,
        string Role,
        IReadOnlyList<Ingest> Ingest,
        ModelCeiling EmbeddingModelAlone,
        IReadOnlyList<Search> Search,
        double RecallAt10,
        int RecallQueries,
        string RecallBaseline,
        long PeakRssBytes,
        double RestartToReadyMs,
        object Index,
        object Workload,
        IReadOnlyDictionary<string, string> Paths,
        object Machine,
        double TotalSeconds);

    public static Command CreateCommand(Option<bool> json)
    {
        var memories = new Option<int>("--memories") { Description = "Entries written through the API (core memories of the corpus are left out: they have their own API).", DefaultValueFactory = _ => 100_000 };
        var queries = new Option<int>("--queries") { Description = "Measured searches per concurrency level.", DefaultValueFactory = _ => 2000 };
        var singles = new Option<int>("--single-writes") { Description = "Entries written one by one (the rest in batches).", DefaultValueFactory = _ => 5000 };
        var preEmbedded = new Option<int>("--pre-embedded") { Description = "Entries written in batches with their vector (computed by the client; the server embeds nothing).", DefaultValueFactory = _ => 20_000 };
        var cache = new Option<string>("--embedding-cache")
        {
            Description = "File of cached embeddings for the pre-embedded entries (keyed by text hash), or 'none'.",
            DefaultValueFactory = _ => CachedEmbeddings.DefaultPath,
        };
        var batchSize = new Option<int>("--batch-size") { Description = "Entries per entries:batch request (at most 1000).", DefaultValueFactory = _ => 500 };
        var writers = new Option<int>("--write-concurrency") { Description = "Concurrent writing clients.", DefaultValueFactory = _ => 8 };
        var levels = new Option<string>("--search-concurrency") { Description = "Comma-separated concurrency levels of the search phase.", DefaultValueFactory = _ => "1,16" };
        var warmup = new Option<int>("--warmup") { Description = "Unmeasured searches before each level (other queries).", DefaultValueFactory = _ => 200 };
        var agents = new Option<int>("--agents") { Description = "Agents of the corpus (Zipf-distributed sizes).", DefaultValueFactory = _ => 10 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 42 };
        var role = new Option<string>("--role") { Description = "Roles of the host process.", DefaultValueFactory = _ => "all" };
        var hostDir = new Option<string?>("--host-dir") { Description = "A published Maximus.Host folder to use instead of publishing." };
        var quantization = new Option<EmbeddingQuantization?>("--quantization")
        {
            Description = "The host's embedding model weights (Maximus:Memory:Embeddings:Quantization): None (float) or Int8; default: the product's default.",
        };
        var model = new Option<LocalEmbeddingModelKind?>("--model")
        {
            Description = "The host's embedding model (Maximus:Memory:Embeddings:Model): MiniLM or ArcticXs; default: the product's default.",
        };
        var command = new Command("memory-api", "Memory through its HTTP API on the host as a child process: ingest/s (batch, single), /search p50/p95/p99 per concurrency, recall@10 against exact search, peak RSS.")
        {
            memories, queries, singles, preEmbedded, cache, batchSize, writers, levels, warmup, agents, seed, role, hostDir, quantization, model,
        };
        command.SetAction(async (result, ct) =>
        {
            int[] concurrency;
            try
            {
                concurrency = [.. result.GetValue(levels)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse)];
                if (result.GetValue(memories) < 100 || result.GetValue(queries) < 10 || result.GetValue(singles) < 0 || result.GetValue(preEmbedded) < 0 || result.GetValue(singles) + result.GetValue(preEmbedded) > result.GetValue(memories)
                    || result.GetValue(batchSize) is < 1 or > WriteMemoryBatchRequest.MaxEntries || result.GetValue(writers) < 1 || result.GetValue(warmup) < 0
                    || result.GetValue(agents) < 1 || concurrency.Length == 0 || concurrency.Any(c => c < 1))
                {
                    throw new FormatException();
                }
            }
            catch (FormatException)
            {
                await Console.Error.WriteLineAsync("error: --memories ≥ 100, --queries ≥ 10, --single-writes and --pre-embedded ≥ 0 and together ≤ --memories, --batch-size 1..1000, --write-concurrency ≥ 1, --warmup ≥ 0, --agents ≥ 1, --search-concurrency like 1,16.").ConfigureAwait(false);
                return 2;
            }

            var r = await RunAsync(
                result.GetValue(memories), result.GetValue(queries), result.GetValue(singles), result.GetValue(preEmbedded),
                result.GetValue(cache) is "none" or "" ? null : result.GetValue(cache), result.GetValue(batchSize), result.GetValue(writers),
                concurrency, result.GetValue(warmup), result.GetValue(agents), result.GetValue(seed), result.GetValue(role)!, result.GetValue(hostDir),
                Console.Error, ct, Embedding(result.GetValue(model), result.GetValue(quantization))).ConfigureAwait(false);
            Console.Out.WriteLine(JsonSerializer.Serialize(r, new JsonSerializerOptions(MaximusJson.Options) { WriteIndented = !result.GetValue(json) }));
            return r.Ingest.Sum(i => i.Errors) + r.Search.Sum(s => s.Errors) == 0 ? 0 : 1;
        });
        return command;
    }

    public static async Task<Result> RunAsync(
        int count, int queriesPerLevel, int singleWrites, int preEmbedded, string? cachePath, int batchSize, int writers, int[] levels, int warmup, int agents, int seed, string role, string? hostDir,
        TextWriter progress, CancellationToken ct, LocalEmbeddingOptions? embedding = null)
    {
        var total = Stopwatch.StartNew();
        embedding ??= new LocalEmbeddingOptions();
        var hostEnvironment = new Dictionary<string, string>
        {
            ["Maximus__Memory__Embeddings__Model"] = embedding.Model.ToString(),
            ["Maximus__Memory__Embeddings__Quantization"] = embedding.Quantization.ToString(),
        };

        var loadAtStart = Machine.LoadAverage() ?? "unknown";
        var publish = hostDir is null ? await PublishedHost.PublishAsync(progress, ct).ConfigureAwait(false) : PublishedHost.Locate(hostDir);
        progress.WriteLine($"memory-api: {publish.Mode} host at {publish.HostPath}");

        // The corpus: the first `count` non-core memories (core blocks are never embedded; they have their own API).
        var corpus = new MemoryCorpus(seed, agents);
        var entries = Enumerable.Range(0, int.MaxValue).Select(corpus.Memory).Where(m => m.Type != "core").Take(count).ToArray();
        var writeTime = DateTimeOffset.UtcNow;
        var requests = entries.Select(m => Request(m, writeTime)).ToArray();
        var embedded = requests[..(count - singleWrites - preEmbedded)];
        var withVectors = requests[(count - singleWrites - preEmbedded)..(count - singleWrites)];

        // The model's own ceiling on these 2 cores: the host's generator stack on the texts the server will embed.
        var ceiling = MeasureModel([.. embedded.Take(Math.Min(embedded.Length, 8000)).Select(r => EmbeddingText(r))], batchSize, writers, embedding, progress);
        progress.WriteLine($"memory-api: the embedding model alone: {ceiling.TextsPerSecond:0} texts/s ({ceiling.Setup})");

        // Vectors of the pre-embedded entries, computed here (cached on disk across runs) as a client would.
        var (cached, _, _) = CachedEmbeddings.Embed(
            [.. withVectors.Select(r => EmbeddingText(r)).Distinct(StringComparer.Ordinal)], cachePath, Environment.ProcessorCount, 64, "pre-embedded entry texts", progress, ct, embedding);
        withVectors = [.. withVectors.Select(r => r with { Vector = cached[EmbeddingText(r)] })];
        var dataDir = Directory.CreateTempSubdirectory("maximus-bench-memory-api-").FullName;
        try
        {
            using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan, MaxConnectionsPerServer = 256, UseProxy = false })
            {
                Timeout = TimeSpan.FromMinutes(5),
                DefaultRequestVersion = HttpVersion.Version11,
            };

            // 1. Ingest through the API: batches, then single writes, each by `writers` clients.
            var ingest = new List<Ingest>();
            long peakRss;
            Dictionary<string, string[]> indexedTop;
            List<MemoryApiBenchmark.ApiQuery> measured;
            var searches = new List<Search>();
            object index;
            await using (var host = await HostProcess.StartAsync(publish.HostPath, role, dataDir, http, hostEnvironment, progress, ct).ConfigureAwait(false))
            {
                var agentOf = entries.ToDictionary(m => m.Id, m => m.Agent, StringComparer.Ordinal);
                foreach (var (label, part) in new[] { ("server-embedded", embedded), ("pre-embedded", withVectors) })
                {
                    if (part.Length == 0)
                    {
                        continue;
                    }

                    progress.WriteLine($"memory-api: writing {part.Length} {label} entries in batches of {batchSize} ({writers} clients) ...");
                    ingest.Add(await WriteAsync(
                        $"POST v1/memory/{{agent}}/entries:batch ({label})",
                        [.. part.GroupBy(r => agentOf[r.Id!]).SelectMany(g => g.Chunk(batchSize)).Select(chunk => (Agent: agentOf[chunk[0].Id!], Items: chunk))],
                        writers,
                        async (work, token) =>
                        {
                            using var content = Json(new WriteMemoryBatchRequest(work.Items));
                            using var response = await http.PostAsync(host.Url($"v1/memory/{work.Agent}/entries:batch"), content, token).ConfigureAwait(false);
                            return await Ok(response, token).ConfigureAwait(false);
                        },
                        work => work.Items.Length,
                        progress,
                        ct).ConfigureAwait(false));
                }

                var single = requests[(count - singleWrites)..];
                progress.WriteLine($"memory-api: writing {single.Length} server-embedded entries one by one ({writers} clients) ...");
                ingest.Add(await WriteAsync(
                    "POST v1/memory/{agent}/entries (server-embedded)",
                    [.. single.Select(r => (Agent: agentOf[r.Id!], Item: r))],
                    writers,
                    async (work, token) =>
                    {
                        using var content = Json(work.Item);
                        using var response = await http.PostAsync(host.Url($"v1/memory/{work.Agent}/entries"), content, token).ConfigureAwait(false);
                        return await Ok(response, token).ConfigureAwait(false);
                    },
                    _ => 1,
                    progress,
                    ct).ConfigureAwait(false));
                foreach (var i in ingest)
                {
                    progress.WriteLine($"  {i.Path}: {i.Entries} entries in {i.Seconds:0.0} s = {i.EntriesPerSecond:0} entries/s, request p50 {i.RequestMs.P50:0.0} ms, {i.Errors} errors");
                }

                // 2. The HNSW indexes finish building (a partition that crossed the threshold builds in the background).
                index = await WaitForIndexAsync(http, host, progress, ct).ConfigureAwait(false);

                // 3. Searches: distinct queries, a warm-up set and a measured set per level, all disjoint.
                var all = MemoryApiBenchmark.DistinctQueries(corpus, entries, levels.Length * (warmup + queriesPerLevel), seed);
                measured = [];
                indexedTop = new Dictionary<string, string[]>(StringComparer.Ordinal);
                for (var l = 0; l < levels.Length; l++)
                {
                    var slice = all[(l * (warmup + queriesPerLevel))..((l + 1) * (warmup + queriesPerLevel))];
                    await SearchAllAsync(http, host, slice[..warmup], levels[l], null, ct).ConfigureAwait(false);
                    GC.Collect();
                    progress.WriteLine($"memory-api: {queriesPerLevel} searches at concurrency {levels[l]} ...");
                    var latencies = new double[queriesPerLevel];
                    var clock = Stopwatch.StartNew();
                    var (hits, errors) = await SearchAllAsync(http, host, slice[warmup..], levels[l], (int i, double ms, string[] top) =>
                    {
                        latencies[i] = ms;
                        lock (indexedTop)
                        {
                            indexedTop[slice[warmup + i].Key] = top;
                        }
                    }, ct).ConfigureAwait(false);
                    clock.Stop();
                    measured.AddRange(slice[warmup..]);
                    var p = Percentiles.Of(latencies);
                    searches.Add(new Search(levels[l], queriesPerLevel, p, Math.Round(queriesPerLevel / clock.Elapsed.TotalSeconds, 1), Math.Round(hits / (double)queriesPerLevel, 2), errors));
                    progress.WriteLine($"  concurrency {levels[l]}: p50 {p.P50:0.00} / p95 {p.P95:0.00} / p99 {p.P99:0.00} ms, {searches[^1].QueriesPerSecond} queries/s, {errors} errors");
                }

                peakRss = host.PeakRssBytes();
            }

            // 4. Recall@10: the same queries through the same API on the same data, with exact vector search.
            progress.WriteLine($"memory-api: restarting the host with exact search for recall@10 over {measured.Count} queries ...");
            var restartMs = 0.0;
            var found = 0L;
            var expected = 0L;
            var restart = Stopwatch.StartNew();
            await using (var exact = await HostProcess.StartAsync(
                publish.HostPath, role, dataDir, http, new Dictionary<string, string>(hostEnvironment) { ["Maximus__Memory__Vectors__IndexThreshold"] = int.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture) }, progress, ct).ConfigureAwait(false))
            {
                restartMs = Math.Round(restart.Elapsed.TotalMilliseconds, 1);
                progress.WriteLine($"memory-api: the host restarted on {count} memories was ready after {restartMs:0} ms");
                await SearchAllAsync(http, exact, measured, Math.Max(1, Environment.ProcessorCount), (i, _, top) =>
                {
                    var got = indexedTop[measured[i].Key].ToHashSet(StringComparer.Ordinal);
                    Interlocked.Add(ref expected, top.Length);
                    Interlocked.Add(ref found, top.Count(got.Contains));
                }, ct).ConfigureAwait(false);
            }

            var recall = expected == 0 ? 0 : Math.Round(found / (double)expected, 4);
            progress.WriteLine($"memory-api: recall@10 {recall} (strict), peak RSS {peakRss / (1024 * 1024)} MiB");
            return new Result(
                "memory-api",
                count,
                LocalEmbeddingModel.For(embedding.Model).EffectiveId(embedding.Quantization),
                $"{publish.Mode} Maximus.Host as a child process, --runtime embedded, product defaults, Kestrel on 127.0.0.1, one client process (HttpClient, kept-alive connections)",
                role,
                ingest,
                ceiling,
                searches,
                recall,
                measured.Count,
                "the same host restarted on the same data folder with Maximus__Memory__Vectors__IndexThreshold=int.MaxValue (every search exact), the same queries through the same API",
                peakRss,
                restartMs,
                index,
                new
                {
                    agents,
                    entriesPerType = entries.GroupBy(e => e.Type).ToDictionary(g => g.Key, g => g.Count()),
                    entriesPerAgent = entries.GroupBy(e => e.Agent).OrderByDescending(g => g.Count()).ToDictionary(g => g.Key, g => g.Count()),
                    entriesWithExpiry = entries.Count(e => e.ExpiresAt is not null),
                    queriesWithTypeFilter = Math.Round(measured.Count(q => q.Types is not null) / (double)Math.Max(1, measured.Count), 3),
                    meanTextWords = Math.Round(entries.Average(e => e.Text.Split(' ').Length), 1),
                    seed,
                },
                new Dictionary<string, string>
                {
                    ["ingest"] = "wall time from the first request to the last answer of the phase; server-embedded: the server embeds every text (MiniLM) and stores it; pre-embedded: the request carries each entry's vector (computed by the client), the server checks and stores it; per-request latency in requestMs",
                    ["embeddingModelAlone"] = "the host's embedding stack (MiniLM, 1 intra-op thread per run, CoalescingEmbeddingGenerator with one run per core) in the benchmark process before the host starts, on the texts the server embeds (the same EmbeddingText), called like the batch phase (batches of --batch-size from --write-concurrency tasks): the ceiling of any server-embedded ingest on this machine",
                    ["search"] = "per query: from sending POST v1/memory/{agent}/search {query, k 10, types?} to the last byte of the answer (query embedding, one filtered vector search, ranking, semantic graph expansion, JSON); each query distinct; concurrency = clients with one request in flight each",
                    ["recallAt10"] = "strict share of the exact run's top-10 ids (per query) that the indexed run returned",
                    ["peakRssBytes"] = "VmHWM of the host process after the search phase (Linux /proc; 0 elsewhere)",
                    ["restartToReadyMs"] = "from starting the host process again on the data folder of the phases above (every memory written, exact search configured for the recall run, so no saved index is loaded) to /health/ready answering: start-up with the collection's load from SQLite",
                    ["expiry"] = "entries of the corpus with an expiry keep their lifetime (expiresAt - createdAt) counted from the write; occurredAt keeps its distance to the corpus's 'now'",
                },
                new { processorCount = Environment.ProcessorCount, loadAverageAtStart = loadAtStart, loadAverageAtEnd = Machine.LoadAverage() ?? "unknown" },
                Math.Round(total.Elapsed.TotalSeconds, 1));
        }
        finally
        {
            PublishedHost.DeleteQuietly(dataDir);
        }
    }

    internal static string EmbeddingText(WriteMemoryRequest r) =>
        Maximus.Memory.Mirix.AgentMemory.EmbeddingText(new MemoryEntry(r.Id!, "a", r.Type, r.Text, DateTimeOffset.UnixEpoch, Fact: r.Fact, Procedure: r.Procedure, Resource: r.Resource));

    /// <summary>The benchmark's model: the product's defaults, with what the command line sets.</summary>
    internal static LocalEmbeddingOptions Embedding(LocalEmbeddingModelKind? model, EmbeddingQuantization? quantization)
    {
        var options = new LocalEmbeddingOptions();
        options.Model = model ?? options.Model;
        options.Quantization = quantization ?? options.Quantization;
        return options;
    }

    private static ModelCeiling MeasureModel(string[] texts, int batchSize, int writers, LocalEmbeddingOptions embedding, TextWriter progress)
    {
        progress.WriteLine($"memory-api: measuring the embedding model alone on {texts.Length} texts ...");
        using var model = new LocalEmbeddingGenerator(new LocalEmbeddingOptions { Model = embedding.Model, Quantization = embedding.Quantization });
        using var generator = new CoalescingEmbeddingGenerator(model);
        generator.GenerateAsync(["warm-up"]).GetAwaiter().GetResult();
        var batches = texts.Chunk(batchSize).ToArray();
        var next = -1;
        var clock = Stopwatch.StartNew();
        Task.WhenAll(Enumerable.Range(0, writers).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < batches.Length)
            {
                await generator.GenerateAsync(batches[i]).ConfigureAwait(false);
            }
        }))).GetAwaiter().GetResult();
        clock.Stop();
        return new ModelCeiling(texts.Length, Math.Round(clock.Elapsed.TotalSeconds, 2), Math.Round(texts.Length / clock.Elapsed.TotalSeconds, 1),
            $"{embedding.Model} ({embedding.Quantization} quantization, 1 intra-op thread, batches of 32) behind CoalescingEmbeddingGenerator ({Environment.ProcessorCount} runs at a time), {writers} callers of {batchSize} texts");
    }

    /// <summary>A corpus memory as a client writes it: its type's parts, times moved so that the corpus's 'now' is the write time.</summary>
    internal static WriteMemoryRequest Request(MemoryCorpus.MemoryText m, DateTimeOffset now)
    {
        var shift = now - MemoryCorpus.Now;
        var created = DateTimeOffset.FromUnixTimeMilliseconds(m.CreatedAt) + shift;
        var (type, fact, procedure, resource) = MemoryApiBenchmark.Parts(m, created);
        var lifetime = m.ExpiresAt is { } e ? TimeSpan.FromMilliseconds(e - m.CreatedAt) : (TimeSpan?)null;
        return new WriteMemoryRequest(
            type, m.Text, m.Id,
            OccurredAt: type == MemoryType.Episodic ? created : null,
            ExpiresAt: lifetime is { } l ? now + l : null,
            Fact: fact is null ? null : fact with { ValidFrom = created },
            Procedure: procedure,
            Resource: resource);
    }

    private static async Task<Ingest> WriteAsync<T>(
        string path, IReadOnlyList<T> work, int writers, Func<T, CancellationToken, Task<bool>> send, Func<T, int> size, TextWriter progress, CancellationToken ct)
    {
        var latencies = new double[work.Count];
        var next = -1;
        var errors = 0;
        var done = 0L;
        var clock = Stopwatch.StartNew();
        var lastReport = 0L;
        await Task.WhenAll(Enumerable.Range(0, writers).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < work.Count)
            {
                var started = Stopwatch.GetTimestamp();
                if (!await send(work[i], ct).ConfigureAwait(false))
                {
                    Interlocked.Increment(ref errors);
                }

                latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                var written = Interlocked.Add(ref done, size(work[i]));
                var seconds = (long)clock.Elapsed.TotalSeconds;
                if (seconds >= Interlocked.Read(ref lastReport) + 10 && Interlocked.Exchange(ref lastReport, seconds) < seconds)
                {
                    progress.WriteLine($"  {written} entries after {seconds} s ({written / clock.Elapsed.TotalSeconds:0}/s)");
                }
            }
        }, ct))).ConfigureAwait(false);
        clock.Stop();
        var entries = work.Sum(size);
        return new Ingest(path, entries, work.Count, writers, Math.Round(clock.Elapsed.TotalSeconds, 2),
            Math.Round(entries / Math.Max(clock.Elapsed.TotalSeconds, 1e-9), 1), Percentiles.Of(latencies), errors);
    }

    /// <summary>Runs the queries with <paramref name="concurrency"/> clients; reports each answer's latency and top-10 ids.</summary>
    private static async Task<(long Hits, int Errors)> SearchAllAsync(
        HttpClient http, HostProcess host, IReadOnlyList<MemoryApiBenchmark.ApiQuery> queries, int concurrency, Action<int, double, string[]>? record, CancellationToken ct)
    {
        var next = -1;
        var hits = 0L;
        var errors = 0;
        await Task.WhenAll(Enumerable.Range(0, Math.Min(concurrency, Math.Max(1, queries.Count))).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < queries.Count)
            {
                var q = queries[i];
                var started = Stopwatch.GetTimestamp();
                using var content = Json(q.Request);
                using var response = await http.PostAsync(host.Url($"v1/memory/{q.Agent}/search"), content, ct).ConfigureAwait(false);
                var body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
                var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref errors);
                    continue;
                }

                var answer = JsonSerializer.Deserialize<SearchMemoryResponse>(body, MaximusJson.Options)!;
                Interlocked.Add(ref hits, answer.Hits.Count);
                record?.Invoke(i, ms, [.. answer.Hits.Select(h => h.Entry.Id)]);
            }
        }, ct))).ConfigureAwait(false);
        return (hits, errors);
    }

    /// <summary>Polls the embedded store's index status until no partition is building; returns the last status.</summary>
    internal static async Task<object> WaitForIndexAsync(HttpClient http, HostProcess host, TextWriter progress, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            using var response = await http.GetAsync(host.Url("v1/memory/vectors/memories/index"), ct).ConfigureAwait(false);
            var status = JsonSerializer.Deserialize<JsonElement>(await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false));
            var state = status.TryGetProperty("state", out var s) ? s.ToString() : null;
            if (!response.IsSuccessStatusCode || state is not ("Building" or "building" or "1"))
            {
                progress.WriteLine($"memory-api: index {status} (waited {clock.Elapsed.TotalSeconds:0.0} s)");
                return status;
            }

            await Task.Delay(200, ct).ConfigureAwait(false);
        }
    }

    private static ByteArrayContent Json<T>(T value)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(value, MaximusJson.Options));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static async Task<bool> Ok(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
        {
            return true;
        }

        var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        await Console.Error.WriteLineAsync($"  {(int)response.StatusCode} {response.RequestMessage?.RequestUri?.AbsolutePath}: {body[..Math.Min(body.Length, 400)]}").ConfigureAwait(false);
        return false;
    }
}
