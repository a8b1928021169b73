using System.CommandLine;
using System.Diagnostics;
using System.Numerics.Tensors;
using System.Text.Json;
using System.Text.Json.Nodes;
using Maximus.Contracts.Ports;
using Maximus.Memory.Vectors.Embedded;
using Maximus.Memory.Vectors.Embeddings;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.AI;

namespace Maximus.Benchmarks;

/// <summary>
/// Memory retrieval at scale on the embedded store: N memory sentences of several agents and types (generated
/// deterministically from templates and vocabulary below), embedded with all-MiniLM-L6-v2, stored in SQLite with a
/// USearch HNSW index; then Q paraphrase-like queries, each filtered like a memory search (its agent, not expired,
/// sometimes a set of types). Store level (<see cref="IVectorStore.SearchAsync"/>): <c>retrieval</c> = query embedding +
/// filtered search + payload fetch; <c>retrievalWithVector</c> = the same without the embedding; <c>recallAt10</c> = strict
/// overlap of the ids with a brute-force exact top-10 under the same filter, computed here independently of the store
/// (<c>recallAt10WithTies</c> also counts a hit that ties with the 10th exact score, since the corpus repeats some
/// sentences). API level (<see cref="MemoryApiBenchmark"/>): <c>apiInProcess</c> and <c>apiHttp</c> time
/// <c>POST v1/memory/{agent}/search</c> through AgentMemory on a host composed like the product's. The JSON's
/// <c>paths</c> says what each figure measures. Embeddings of the corpus are cached on disk keyed by a hash of the text,
/// so a repeated run skips the slow part (the first run embeds everything and says how long).
/// </summary>
public static class MemoryBenchmark
{
    private const string Collection = VectorCollections.Memories;

    public sealed record Result(
        string Benchmark,
        int Memories,
        int Queries,
        string Store,
        string Embedding,
        Percentiles Retrieval,
        Percentiles RetrievalWithVector,
        double RecallAt10,
        double RecallAt10WithTies,
        Percentiles QueryEmbedding,
        Percentiles UnfilteredWithVector,
        double UnfilteredRecallAt10,
        double UnfilteredRecallAt10WithTies,
        Percentiles? ApiInProcess,
        Percentiles? ApiHttp,
        MemoryApiBenchmark.Report? Api,
        IReadOnlyDictionary<string, string> Paths,
        MachineReport Machine,
        IngestReport Ingest,
        WorkloadReport Workload,
        double TotalSeconds);

    public sealed record IngestReport(
        int Texts,
        int EmbeddedNow,
        int FromCache,
        double EmbedSeconds,
        double EmbedPerSecond,
        int EmbedThreads,
        double UpsertSeconds,
        double OpenAndBuildIndexSeconds,
        double? IndexBuildSeconds,
        double ReopenSeconds,
        bool IndexLoadedFromDisk,
        long IndexMemoryBytes,
        string EmbeddingCache);

    public sealed record WorkloadReport(
        int Agents,
        IReadOnlyDictionary<string, int> MemoriesPerType,
        int LargestAgent,
        int SmallestAgent,
        int ExpiredMemories,
        double QueriesWithTypeFilter,
        int UnfilteredQueries,
        string Filters);

    /// <summary>The machine while the benchmark ran: the figures are wall-clock times on shared cores.</summary>
    public sealed record MachineReport(int ProcessorCount, string? LoadAverageAtStart, string? LoadAverageAtEnd);

    public sealed record Settings(
        int Memories,
        int Queries,
        int Seed,
        int Agents,
        string? EmbeddingCache,
        int IngestThreads,
        int QueryThreads,
        HnswScalar Scalar,
        int ExpansionSearch,
        double Oversampling,
        int IndexThreshold,
        int ApiQueries,
        int ApiWarmup,
        EmbeddingQuantization Quantization);

    public static Command CreateCommand(Option<bool> json)
    {
        var memories = new Option<int>("--memories") { Description = "Memories in the store.", DefaultValueFactory = _ => 100_000 };
        var queries = new Option<int>("--queries") { Description = "Measured queries (each path).", DefaultValueFactory = _ => 2000 };
        var seed = new Option<int>("--seed") { Description = "Seed of the generated corpus and queries.", DefaultValueFactory = _ => 42 };
        var agents = new Option<int>("--agents") { Description = "Agents owning the memories (Zipf-distributed).", DefaultValueFactory = _ => 10 };
        var cache = new Option<string>("--embedding-cache")
        {
            Description = "File of cached corpus embeddings (keyed by text hash), or 'none'.",
            DefaultValueFactory = _ => CachedEmbeddings.DefaultPath,
        };
        var ingestThreads = new Option<int>("--ingest-threads") { Description = "Threads embedding the corpus (1 intra-op thread each).", DefaultValueFactory = _ => Math.Max(1, Environment.ProcessorCount) };
        var queryThreads = new Option<int>("--query-threads") { Description = "ONNX Runtime intra-op threads of a query embedding.", DefaultValueFactory = _ => new LocalEmbeddingOptions().IntraOpThreads };
        var scalar = new Option<HnswScalar>("--scalar") { Description = "Scalar type in the HNSW graph.", DefaultValueFactory = _ => new EmbeddedVectorStoreOptions().IndexScalar };
        var ef = new Option<int>("--ef-search") { Description = "HNSW ef_search.", DefaultValueFactory = _ => new EmbeddedVectorStoreOptions().ExpansionSearch };
        var oversampling = new Option<double>("--oversampling") { Description = "HNSW candidates per hit, re-scored exactly.", DefaultValueFactory = _ => new EmbeddedVectorStoreOptions().Oversampling };
        var threshold = new Option<int>("--index-threshold") { Description = "Exact search up to this many (candidate) points.", DefaultValueFactory = _ => new EmbeddedVectorStoreOptions().IndexThreshold };
        var apiQueries = new Option<int>("--api-queries") { Description = "Measured API searches per path (in process, HTTP); 0 skips the API part.", DefaultValueFactory = _ => 200 };
        var apiWarmup = new Option<int>("--api-warmup") { Description = "API warm-up searches (not measured, disjoint from the measured ones).", DefaultValueFactory = _ => 50 };
        var quantization = new Option<EmbeddingQuantization>("--quantization")
        {
            Description = "The embedding model's weights (corpus, queries and the API host): None (float) or Int8.",
            DefaultValueFactory = _ => new LocalEmbeddingOptions().Quantization,
        };
        var command = new Command("memory", "Retrieval latency (store and API, with and without query embedding) and recall@10 at N memories.")
        {
            memories, queries, seed, agents, cache, ingestThreads, queryThreads, scalar, ef, oversampling, threshold, apiQueries, apiWarmup, quantization,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var settings = new Settings(
                result.GetValue(memories), result.GetValue(queries), result.GetValue(seed), result.GetValue(agents),
                result.GetValue(cache) is "none" or "" ? null : result.GetValue(cache),
                result.GetValue(ingestThreads), result.GetValue(queryThreads), result.GetValue(scalar),
                result.GetValue(ef), result.GetValue(oversampling), result.GetValue(threshold),
                result.GetValue(apiQueries), result.GetValue(apiWarmup), result.GetValue(quantization));
            if (settings.Memories < 100 || settings.Queries < 10 || settings.Agents < 1 || settings.IngestThreads < 1 || settings.QueryThreads < 1
                || settings.ApiQueries < 0 || settings.ApiWarmup < 0)
            {
                await Console.Error.WriteLineAsync("error: --memories must be at least 100, --queries at least 10, --api-queries and --api-warmup at least 0, the others at least 1.").ConfigureAwait(false);
                return 2;
            }

            var r = await RunAsync(settings, Console.Error, cancellationToken).ConfigureAwait(false);
            Console.Out.WriteLine(JsonSerializer.Serialize(r, new JsonSerializerOptions(MaximusJson.Options) { WriteIndented = !result.GetValue(json) }));
            return 0;
        });
        return command;
    }

    public static async Task<Result> RunAsync(Settings settings, TextWriter progress, CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        var loadAtStart = Machine.LoadAverage();
        var corpus = new MemoryCorpus(settings.Seed, settings.Agents);
        var memories = Enumerable.Range(0, settings.Memories).Select(corpus.Memory).ToArray();
        var texts = memories.Select(m => m.Text).Distinct(StringComparer.Ordinal).ToList();
        progress.WriteLine($"memory: {memories.Length} memories ({texts.Count} distinct texts), {settings.Agents} agents, {settings.Queries} queries");

        // 1. Corpus embeddings: from the cache, the rest embedded now on several threads.
        var embedded = Stopwatch.StartNew();
        var (vectors, fromCache, embeddedNow) = CachedEmbeddings.Embed(texts, settings.EmbeddingCache, settings.IngestThreads, 512, "texts", progress, cancellationToken,
            new LocalEmbeddingOptions { Quantization = settings.Quantization });
        embedded.Stop();
        progress.WriteLine($"  embeddings: {fromCache} from cache, {embeddedNow} embedded in {embedded.Elapsed.TotalSeconds:0.0} s");

        // 2. Ingest into SQLite (no index yet), 3. open again: load + build the HNSW index, 4. open again: load the saved index.
        var directory = Directory.CreateTempSubdirectory("maximus-bench-memory-").FullName;
        var options = new EmbeddedVectorStoreOptions
        {
            DataDirectory = directory,
            IndexScalar = settings.Scalar,
            ExpansionSearch = settings.ExpansionSearch,
            Oversampling = settings.Oversampling,
            IndexThreshold = settings.IndexThreshold,
            BuildIndexInBackground = false,
        };
        var spec = new VectorCollectionSpec(Collection, LocalEmbeddingGenerator.Dimensions)
        {
            PayloadIndexes = new Dictionary<string, PayloadIndexKind>
            {
                [VectorPayloadKeys.AgentId] = PayloadIndexKind.Tenant,
                [VectorPayloadKeys.Type] = PayloadIndexKind.Keyword,
                [VectorPayloadKeys.ExpiresAt] = PayloadIndexKind.Integer,
            },
        };
        var upsert = Stopwatch.StartNew();
        using (var loader = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { DataDirectory = directory, IndexThreshold = int.MaxValue }))
        {
            await loader.EnsureCollectionAsync(spec, cancellationToken).ConfigureAwait(false);
            foreach (var batch in memories.Chunk(2000))
            {
                await loader.UpsertAsync(Collection, [.. batch.Select(m => m.ToRecord(vectors[m.Text]))], cancellationToken).ConfigureAwait(false);
            }
        }

        upsert.Stop();
        progress.WriteLine($"  upsert: {memories.Length} points into SQLite in {upsert.Elapsed.TotalSeconds:0.0} s");

        var build = Stopwatch.StartNew();
        double? buildSeconds;
        using (var builder = new EmbeddedVectorStore(options))
        {
            await builder.EnsureCollectionAsync(spec, cancellationToken).ConfigureAwait(false);
            buildSeconds = builder.GetIndexStatus(Collection).LastBuildSeconds;
        }

        build.Stop();
        progress.WriteLine($"  open + HNSW build ({settings.Scalar}) + save: {build.Elapsed.TotalSeconds:0.0} s (build {buildSeconds:0.0} s)");

        var reopen = Stopwatch.StartNew();
        using var store = new EmbeddedVectorStore(options);
        await store.EnsureCollectionAsync(spec, cancellationToken).ConfigureAwait(false);
        reopen.Stop();
        var status = store.GetIndexStatus(Collection);
        progress.WriteLine($"  reopen (SQLite load + saved index): {reopen.Elapsed.TotalSeconds:0.0} s, index loaded from disk: {status.LoadedFromDisk}");

        // 5. Queries: paraphrases of random memories, filtered like memory searches.
        var now = MemoryCorpus.Now;
        var random = new Random(settings.Seed + 1);
        var queries = Enumerable.Range(0, settings.Queries).Select(_ => corpus.Query(memories[random.Next(memories.Length)], random)).ToArray();
        using var generator = new LocalEmbeddingGenerator(new LocalEmbeddingOptions { IntraOpThreads = settings.QueryThreads, Quantization = settings.Quantization });
        IEmbeddingGenerator<string, Embedding<float>> embeddings = generator;
        var queryVectors = queries.Select(q => generator.Embed(generator.FormatQuery(q.Text), cancellationToken)).ToArray();

        // Warm-up (JIT, caches) on other queries than the measured ones, not measured.
        var measured = queries.Select(q => q.Key).ToHashSet(StringComparer.Ordinal);
        var warmRandom = new Random(settings.Seed + 3);
        var warmup = Enumerable.Range(0, 2000).Select(_ => corpus.Query(memories[warmRandom.Next(memories.Length)], warmRandom))
            .Where(q => !measured.Contains(q.Key)).Take(200).ToList();
        foreach (var q in warmup)
        {
            var vector = await embeddings.GenerateVectorAsync(q.Text, QueryEmbeddings.Options(), cancellationToken).ConfigureAwait(false);
            await store.SearchAsync(Collection, new VectorSearchRequest(vector.ToArray(), 10, q.Filter(now)), cancellationToken).ConfigureAwait(false);
            await store.SearchAsync(Collection, new VectorSearchRequest(vector.ToArray(), 10), cancellationToken).ConfigureAwait(false);
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        progress.WriteLine("  measuring retrievalWithVector ...");
        var withVector = new List<double>(queries.Length);
        var found = new IReadOnlyList<VectorSearchHit>[queries.Length];
        for (var i = 0; i < queries.Length; i++)
        {
            var started = Stopwatch.GetTimestamp();
            found[i] = await store.SearchAsync(Collection, new VectorSearchRequest(queryVectors[i], 10, queries[i].Filter(now)), cancellationToken).ConfigureAwait(false);
            withVector.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        GC.Collect();
        progress.WriteLine("  measuring retrieval (query embedding + search + payloads) ...");
        var retrieval = new List<double>(queries.Length);
        var embedOnly = new List<double>(queries.Length);
        for (var i = 0; i < queries.Length; i++)
        {
            var started = Stopwatch.GetTimestamp();
            var vector = await embeddings.GenerateVectorAsync(queries[i].Text, QueryEmbeddings.Options(), cancellationToken).ConfigureAwait(false);
            embedOnly.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            var hits = await store.SearchAsync(Collection, new VectorSearchRequest(vector, 10, queries[i].Filter(now)), cancellationToken).ConfigureAwait(false);
            retrieval.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            if (hits.Count == 0 && found[i].Count > 0)
            {
                throw new InvalidOperationException($"Query {i} found nothing with its own embedding.");
            }
        }

        var unfilteredCount = Math.Min(500, queries.Length);
        var unfiltered = new List<double>(unfilteredCount);
        var unfilteredFound = new IReadOnlyList<VectorSearchHit>[unfilteredCount];
        for (var i = 0; i < unfilteredCount; i++)
        {
            var started = Stopwatch.GetTimestamp();
            unfilteredFound[i] = await store.SearchAsync(Collection, new VectorSearchRequest(queryVectors[i], 10), cancellationToken).ConfigureAwait(false);
            unfiltered.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        // 6. Recall against brute-force exact search with the same filter semantics, computed here.
        progress.WriteLine("  exact top-10 by brute force for recall ...");
        var exact = new BruteForce(memories, vectors);
        var recall = exact.Recall(queries.Select((q, i) => (queryVectors[i], (Func<int, bool>)(m => q.Accepts(memories[m], now)), found[i])).ToList());
        var unfilteredRecall = exact.Recall(Enumerable.Range(0, unfilteredCount).Select(i => (queryVectors[i], (Func<int, bool>)(_ => true), unfilteredFound[i])).ToList());

        // 7. The same kind of search through the memory API (AgentMemory on a host composed like the product's).
        store.Dispose();
        MemoryApiBenchmark.Report? api = null;
        if (settings.ApiQueries > 0)
        {
            api = await MemoryApiBenchmark.RunAsync(corpus, memories, vectors, settings.ApiQueries, settings.ApiWarmup, settings.Seed, settings.Quantization, progress, cancellationToken).ConfigureAwait(false);
        }

        var perAgent = memories.GroupBy(m => m.Agent).Select(g => g.Count()).ToList();
        var result = new Result(
            "memory",
            memories.Length,
            queries.Length,
            $"embedded: SQLite (WAL) + USearch {UsearchVersion()} HNSW {settings.Scalar} (M={options.Connectivity}, ef_construction={options.ExpansionAdd}, " +
            $"ef_search={options.ExpansionSearch}, oversampling {options.Oversampling}, f32 re-scoring), exact search up to {options.IndexThreshold} candidates",
            $"{generator.EffectiveModelId} (ONNX Runtime, {settings.QueryThreads} intra-op threads per query)",
            Percentiles.Of(retrieval),
            Percentiles.Of(withVector),
            Math.Round(recall.Strict, 4),
            Math.Round(recall.WithTies, 4),
            Percentiles.Of(embedOnly),
            Percentiles.Of(unfiltered),
            Math.Round(unfilteredRecall.Strict, 4),
            Math.Round(unfilteredRecall.WithTies, 4),
            api?.InProcess,
            api?.Http,
            api,
            Paths(settings),
            new MachineReport(Environment.ProcessorCount, loadAtStart, Machine.LoadAverage()),
            new IngestReport(
                texts.Count,
                embeddedNow,
                fromCache,
                Math.Round(embedded.Elapsed.TotalSeconds, 2),
                embeddedNow == 0 ? 0 : Math.Round(embeddedNow / embedded.Elapsed.TotalSeconds, 1),
                settings.IngestThreads,
                Math.Round(upsert.Elapsed.TotalSeconds, 2),
                Math.Round(build.Elapsed.TotalSeconds, 2),
                buildSeconds is { } b ? Math.Round(b, 2) : null,
                Math.Round(reopen.Elapsed.TotalSeconds, 2),
                status.LoadedFromDisk,
                status.IndexMemoryBytes,
                settings.EmbeddingCache is null ? "none" : CachedEmbeddings.PathFor(settings.EmbeddingCache, new LocalEmbeddingOptions { Quantization = settings.Quantization })),
            new WorkloadReport(
                settings.Agents,
                memories.GroupBy(m => m.Type).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
                perAgent.Max(),
                perAgent.Min(),
                memories.Count(m => m.ExpiresAt is { } e && e <= now.ToUnixTimeMilliseconds()),
                Math.Round(queries.Count(q => q.Types is not null) / (double)queries.Length, 3),
                unfilteredCount,
                "every query: its agent (agentId) and not expired (expiresAt); some also type any-of; unfiltered: no filter, first 500 queries"),
            Math.Round(total.Elapsed.TotalSeconds, 1));
        progress.WriteLine($"  retrieval p99 {result.Retrieval.P99} ms, with vector p99 {result.RetrievalWithVector.P99} ms, recall@10 {result.RecallAt10} (with ties {result.RecallAt10WithTies})");
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder changes no number.
        }

        return result;
    }

    /// <summary>What each figure of the result measures, in words (latencies are wall-clock, one query at a time).</summary>
    private static Dictionary<string, string> Paths(Settings settings) => new(StringComparer.Ordinal)
    {
        ["retrieval"] = "store level: query embedding (MiniLM, in process) + IVectorStore.SearchAsync (k 10, filter agent + not expired + sometimes types) returning payloads; no AgentMemory, no HTTP",
        ["retrievalWithVector"] = "store level: IVectorStore.SearchAsync only, with the query vector computed beforehand (same filters, payloads returned)",
        ["queryEmbedding"] = "the query embedding alone (the first part of 'retrieval')",
        ["unfilteredWithVector"] = "store level: IVectorStore.SearchAsync with no filter at all, first 500 queries",
        ["recallAt10"] = "strict: share of the ids of a brute-force exact top-10 (same filter, computed in the benchmark) that the store-level search returned",
        ["recallAt10WithTies"] = "as recallAt10, but a returned point that ties with the exact 10th score (a repeated sentence) also counts",
        ["apiInProcess"] = settings.ApiQueries == 0 ? "skipped (--api-queries 0)" :
            "POST v1/memory/{agent}/search {query, k 10, types?} through the embedded runtime's IServiceInvoker on the host: route match, JSON in and out, " +
            "AgentMemory.SearchAsync (query embedding, filters, per-type ranking, semantic graph expansion, entry decoding); each query distinct, so never from AgentMemory's cache",
        ["apiHttp"] = settings.ApiQueries == 0 ? "skipped (--api-queries 0)" :
            "the same request over loopback HTTP: HttpClient (one kept-alive connection) to the host's Kestrel on 127.0.0.1, from sending the request to the last byte of the answer; " +
            "a disjoint set of queries, each distinct",
        ["warmUp"] = "every path is warmed up on queries that are then not measured",
    };

    private static string UsearchVersion() =>
        typeof(Cloud.Unum.USearch.USearchIndex).Assembly.GetName().Version?.ToString(3) ?? "?";

    /// <summary>Exact top-10 over every memory that passes a filter: the reference for recall.</summary>
    private sealed class BruteForce(MemoryCorpus.MemoryText[] memories, Dictionary<string, float[]> vectors)
    {
        private readonly float[][] _vectors = [.. memories.Select(m => Normalised(vectors[m.Text]))];
        private readonly Dictionary<string, int> _index = memories.Select((m, i) => (m.Id, i)).ToDictionary(p => p.Id, p => p.i, StringComparer.Ordinal);

        /// <summary>Recall@10 counting ties with the 10th exact score as found, and the strict one (ids of the exact top-10 only).</summary>
        public (double WithTies, double Strict) Recall(List<(float[] Query, Func<int, bool> Accepts, IReadOnlyList<VectorSearchHit> Found)> queries)
        {
            long hits = 0, strictHits = 0, expected = 0;
            var gate = new Lock();
            Parallel.ForEach(queries, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, q =>
            {
                var query = Normalised(q.Query);
                var top = new PriorityQueue<int, float>();
                for (var m = 0; m < _vectors.Length; m++)
                {
                    if (!q.Accepts(m))
                    {
                        continue;
                    }

                    var score = TensorPrimitives.Dot(query, _vectors[m]);
                    if (top.Count < 10)
                    {
                        top.Enqueue(m, score);
                    }
                    else if (top.TryPeek(out _, out var worst) && score > worst)
                    {
                        top.DequeueEnqueue(m, score);
                    }
                }

                var truth = new HashSet<string>(StringComparer.Ordinal);
                var tenth = float.MaxValue;
                while (top.TryDequeue(out var m, out var score))
                {
                    truth.Add(memories[m].Id);
                    tenth = Math.Min(tenth, score);
                }

                // A hit counts when it is in the exact top-10, or ties with its 10th score: the corpus repeats some
                // sentences (identical vectors), and which of several equal points is "the" 10th is arbitrary.
                var found = q.Found.Count(h => truth.Contains(h.Id)
                    || (_index.TryGetValue(h.Id, out var m) && TensorPrimitives.Dot(query, _vectors[m]) >= tenth - 1e-6f));
                var strict = q.Found.Count(h => truth.Contains(h.Id));
                lock (gate)
                {
                    hits += Math.Min(found, truth.Count);
                    strictHits += strict;
                    expected += truth.Count;
                }
            });
            return expected == 0 ? (1, 1) : (hits / (double)expected, strictHits / (double)expected);
        }

        private static float[] Normalised(float[] vector)
        {
            var copy = (float[])vector.Clone();
            TensorPrimitives.Divide(copy, TensorPrimitives.Norm(copy), copy);
            return copy;
        }
    }
}

/// <summary>
/// A deterministic corpus of agent memories: sentences of five MIRIX types built from templates and vocabulary, each
/// with the fields it was built from, so that a query can paraphrase it ("what happened when the billing service was
/// rolled out to staging?" for "On Tuesday morning the deploy bot rolled out billing v2.3 to staging; smoke tests passed.").
/// </summary>
internal sealed class MemoryCorpus(int seed, int agents)
{
    public static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly string[] Services = ["billing", "checkout", "search", "inventory", "payments", "notifications", "auth", "user profile", "recommendations", "shipping", "pricing", "analytics", "reporting", "ingest", "scheduler", "gateway", "catalog", "fraud detection", "email", "image resizing", "feature flags", "audit log", "export", "import", "chat", "calendar", "maps", "invoicing", "subscriptions", "ledger", "cache warmer", "webhooks", "media upload", "translation", "sync", "backup", "metrics", "alerting", "onboarding", "support desk"];
    private static readonly string[] Environments = ["staging", "production", "the canary cluster", "the edge nodes", "the test cluster", "the EU region"];
    private static readonly string[] Actors = ["the deploy bot", "Maria", "the on-call engineer", "Kenji", "the release pipeline", "Priya", "the agent", "Tom", "the SRE team", "Lena", "the nightly job", "Ahmed", "the CI runner", "Sofia", "the platform team", "Jonas"];
    private static readonly string[] People = ["Ada", "Bruno", "Chen", "Dana", "Elif", "Farid", "Greta", "Hiro", "Ines", "Jamal", "Kasia", "Luca", "Mina", "Noah", "Olga", "Pablo", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wes", "Xenia", "Yusuf", "Zoe", "Amir", "Bea", "Carlos", "Dmitri", "Emma", "Felix", "Gwen", "Hassan", "Ivy", "Jorge", "Kira", "Liam", "Maya", "Nils"];
    private static readonly string[] When = ["On Monday morning", "Yesterday evening", "Last Friday", "Early on Tuesday", "On Wednesday afternoon", "Two days ago", "Late last night", "This morning", "On Sunday", "Just after midnight", "During the weekend", "On Thursday at noon"];
    private static readonly string[] DeployVerbs = ["rolled out", "deployed", "shipped", "released", "pushed"];
    private static readonly string[] DeployNouns = ["rolled out", "deployed", "released", "shipped"];
    private static readonly string[] Outcomes = ["the smoke tests passed", "error rates doubled and it was rolled back", "latency stayed flat", "two health checks failed before it recovered", "users reported slower page loads", "everything went green within five minutes", "the migration step timed out", "memory usage grew steadily", "the canary was promoted automatically", "a config typo broke the login page"];
    private static readonly string[] Incidents = ["memory leak", "deadlock", "traffic spike", "certificate expiry", "disk full", "connection pool exhaustion", "DNS failure", "slow query", "crash loop", "timeout storm"];
    private static readonly string[] Causes = ["an unbounded cache", "a missing index", "a retry loop without backoff", "an expired certificate", "a noisy neighbour", "a bad feature flag", "a schema change", "a leaked file handle"];
    private static readonly string[] Meetings = ["planning meeting", "retro", "architecture review", "incident review", "weekly sync", "customer call"];
    private static readonly string[] Concerns = ["needs more tests before the launch", "is too expensive to run", "should move to the new cluster", "is the top source of pages", "is ready for general availability", "should be split into two services"];
    private static readonly string[] Jobs = ["backup", "reindex", "export", "cleanup", "billing run", "data sync"];
    private static readonly string[] JobOutcomes = ["finished", "failed", "was cancelled", "stalled", "completed with warnings"];
    private static readonly string[] Requests = ["book a flight to Lisbon", "summarise the quarterly report", "draft a reply to the supplier", "schedule a dentist appointment", "compare three laptops", "translate the contract into German", "find a vegetarian restaurant", "set up a weekly reminder"];
    private static readonly string[] RequestOutcomes = ["did it and asked for confirmation", "needed more details first", "finished it in a few minutes", "could not finish because a site was down"];
    private static readonly string[] Foods = ["spicy ramen", "green tea", "dark chocolate", "sourdough bread", "mango smoothies", "black coffee", "sushi", "lentil soup", "oat milk", "blue cheese", "olives", "pineapple pizza"];
    private static readonly string[] Cities = ["Lisbon", "Berlin", "Osaka", "Toronto", "Nairobi", "Melbourne", "Bogotá", "Oslo", "Seoul", "Austin", "Kraków", "Marseille"];
    private static readonly string[] Professions = ["data engineer", "nurse", "architect", "teacher", "product manager", "chef", "lawyer", "pilot", "designer", "researcher"];
    private static readonly string[] Companies = ["a small startup", "the city hospital", "a bank", "a game studio", "a logistics firm", "the university", "a consulting company"];
    private static readonly string[] Teams = ["platform", "payments", "growth", "data", "mobile", "security", "infrastructure", "search"];
    private static readonly string[] Platforms = ["Kubernetes", "two VMs", "serverless functions", "the edge cluster", "bare metal"];
    private static readonly string[] Relations = ["sister", "manager", "neighbour", "best friend", "mentor", "cousin"];
    private static readonly string[] Hobbies = ["bouldering", "chess", "sailing", "pottery", "trail running", "jazz piano", "bird watching", "baking"];
    private static readonly string[] Tasks = ["restart", "scale up", "roll back", "rotate the keys of", "migrate the database of", "clear the cache of", "upgrade", "debug the latency of"];
    private static readonly string[] Steps = ["drain the traffic", "take a snapshot", "check the dashboards", "pause the consumers", "notify the on-call channel", "run the smoke tests", "bump the replica count", "apply the new config", "wait for the health checks", "flush the queue", "verify the backups", "update the runbook"];
    private static readonly string[] Symptoms = ["returns 502 errors", "runs out of memory", "stops consuming events", "responds slowly", "logs authentication failures", "fills the disk"];
    private static readonly string[] Fixes = ["restart the worker pods", "raise the memory limit", "reset the consumer offsets", "add a read replica", "rotate the credentials", "prune old log files"];
    private static readonly string[] Documents = ["the operations handbook", "the security policy", "the API reference", "the onboarding guide", "the incident runbook", "the architecture overview", "the data retention policy", "the release checklist"];
    private static readonly string[] Topics = ["rate limiting", "error budgets", "access control", "data retention", "backups", "on-call rotation", "caching", "encryption at rest", "versioning", "pagination", "retries", "monitoring"];
    private static readonly string[] TopicDetails = ["explains the defaults and how to change them", "lists the limits per customer tier", "describes the escalation path", "gives examples with curl", "defines who approves exceptions", "covers the failure modes"];
    private static readonly string[] Personas = ["patient and thorough", "concise and direct", "friendly travel", "careful financial", "playful writing"];
    private static readonly string[] Values = ["privacy", "punctuality", "clear explanations", "low prices", "sustainability"];

    private readonly double[] _agentWeights = ZipfWeights(agents);

    public MemoryText Memory(int index)
    {
        var random = new Random(unchecked((seed * 1_000_003) + index));
        var agent = $"agent-{Pick(_agentWeights, random) + 1}";
        var roll = random.NextDouble();
        var type = roll < 0.40 ? "episodic" : roll < 0.65 ? "semantic" : roll < 0.80 ? "procedural" : roll < 0.97 ? "resource" : "core";
        var createdAt = Now.AddMinutes(-random.Next(0, 365 * 24 * 60));
        long? expiresAt = type == "episodic" && random.NextDouble() < 0.3
            ? createdAt.AddDays(random.Next(7, 120)).ToUnixTimeMilliseconds()
            : null;
        var f = new string[8];
        var n = random.Next(2, 99);
        string text;
        int template;
        switch (type)
        {
            case "episodic":
                template = random.Next(5);
                f[0] = One(Services, random);
                f[1] = One(Environments, random);
                f[2] = One(People, random);
                text = template switch
                {
                    0 => $"{One(When, random)}, {One(Actors, random)} {One(DeployVerbs, random)} {f[0]} v{n / 10}.{n % 10} to {f[1]}; {One(Outcomes, random)}.",
                    1 => $"{One(Actors, random)} investigated a {(f[3] = One(Incidents, random))} in {f[0]} on {f[1]} {One(When, random).ToLowerInvariant()}; the root cause was {One(Causes, random)} (ticket #{random.Next(1000, 9999)}).",
                    2 => $"In the {(f[3] = One(Meetings, random))} {One(When, random).ToLowerInvariant()}, {f[2]} said the {f[0]} service {One(Concerns, random)}.",
                    3 => $"{One(When, random)} the {(f[3] = One(Jobs, random))} job of {f[0]} {One(JobOutcomes, random)} after {n} minutes.",
                    _ => $"{One(When, random)} {f[2]} asked the agent to {(f[3] = One(Requests, random))}; it {One(RequestOutcomes, random)}.",
                };
                break;
            case "semantic":
                template = random.Next(5);
                f[0] = One(People, random);
                f[1] = One(Services, random);
                text = template switch
                {
                    0 => $"{f[0]} prefers {(f[2] = One(Foods, random))} and dislikes {One(Foods, random)}.",
                    1 => $"{f[0]} lives in {(f[2] = One(Cities, random))} and works as a {One(Professions, random)} at {One(Companies, random)}.",
                    2 => $"The {f[1]} service is owned by the {(f[2] = One(Teams, random))} team and runs on {One(Platforms, random)}.",
                    3 => $"{f[0]}'s {(f[2] = One(Relations, random))} is {One(People, random)}; they go {One(Hobbies, random)} together most weekends.",
                    _ => $"The {f[1]} API allows {n * 10} requests per {(n % 2 == 0 ? "minute" : "second")} per customer.",
                };
                break;
            case "procedural":
                template = random.Next(2);
                f[0] = One(Services, random);
                text = template == 0
                    ? $"To {(f[1] = One(Tasks, random))} the {f[0]} service: first {One(Steps, random)}, then {One(Steps, random)}, and finally {One(Steps, random)}."
                    : $"When {f[0]} {(f[1] = One(Symptoms, random))}, {One(Fixes, random)}; this worked {n % 9 + 1} out of 10 times.";
                break;
            case "resource":
                template = random.Next(2);
                f[0] = One(Documents, random);
                f[1] = One(Topics, random);
                f[2] = One(Services, random);
                text = template == 0
                    ? $"{char.ToUpperInvariant(f[0][0])}{f[0][1..]}, section {n}: {f[1]} for the {f[2]} service {One(TopicDetails, random)}."
                    : $"Chunk {n} of {f[0]}: the part on {f[1]} in {f[2]} {One(TopicDetails, random)}.";
                break;
            default:
                template = 0;
                f[0] = One(People, random);
                text = $"Persona: this agent is a {One(Personas, random)} assistant for {f[0]}, who values {One(Values, random)} (profile {n}).";
                break;
        }

        return new MemoryText($"m{index:D6}", agent, type, text, createdAt.ToUnixTimeMilliseconds(), expiresAt, template, f);
    }

    /// <summary>A paraphrase-like question about a memory, filtered like a memory search of its agent.</summary>
    public MemoryQuery Query(MemoryText m, Random random)
    {
        var f = m.Fields;
        var text = (m.Type, m.Template) switch
        {
            ("episodic", 0) => random.Next(2) == 0 ? $"what happened when {f[0]} was {One(DeployNouns, random)} to {f[1]}?" : $"did the {f[0]} release on {f[1]} go well?",
            ("episodic", 1) => $"why did {f[0]} have a {f[3]} on {f[1]}?",
            ("episodic", 2) => $"what did {f[2]} think about {f[0]} in the {f[3]}?",
            ("episodic", 3) => $"how long did the {f[3]} job for {f[0]} take?",
            ("episodic", _) => $"what did {f[2]} want the agent to do about: {f[3]}?",
            ("semantic", 0) => $"what food does {f[0]} like?",
            ("semantic", 1) => $"where is {f[0]} based and what is their job?",
            ("semantic", 2) => $"which team is responsible for {f[1]}?",
            ("semantic", 3) => $"who is {f[0]}'s {f[2]}?",
            ("semantic", _) => $"what is the rate limit of the {f[1]} API?",
            ("procedural", 0) => $"how do I {f[1]} {f[0]}?",
            ("procedural", _) => $"what should I do if {f[0]} {f[1]}?",
            ("resource", _) => random.Next(2) == 0 ? $"where is {f[1]} for {f[2]} described?" : $"find the part of {f[0]} about {f[1]}",
            _ => $"what kind of assistant is this agent for {f[0]}?",
        };
        string[]? types = null;
        if (random.NextDouble() < 0.3)
        {
            string[] all = ["episodic", "semantic", "procedural", "resource", "core"];
            types = [m.Type, all[random.Next(all.Length)]];
        }

        return new MemoryQuery(text, m.Agent, types);
    }

    private static string One(string[] values, Random random) => values[random.Next(values.Length)];

    private static double[] ZipfWeights(int count)
    {
        var weights = Enumerable.Range(1, count).Select(r => 1.0 / r).ToArray();
        var sum = weights.Sum();
        return [.. weights.Select(w => w / sum)];
    }

    private static int Pick(double[] weights, Random random)
    {
        var roll = random.NextDouble();
        for (var i = 0; i < weights.Length; i++)
        {
            roll -= weights[i];
            if (roll < 0)
            {
                return i;
            }
        }

        return weights.Length - 1;
    }

    public sealed record MemoryText(string Id, string Agent, string Type, string Text, long CreatedAt, long? ExpiresAt, int Template, string[] Fields)
    {
        public VectorRecord ToRecord(float[] vector)
        {
            var payload = new JsonObject
            {
                [VectorPayloadKeys.AgentId] = Agent,
                [VectorPayloadKeys.Type] = Type,
                [VectorPayloadKeys.Text] = Text,
                [VectorPayloadKeys.CreatedAt] = CreatedAt,
            };
            if (ExpiresAt is { } expiresAt)
            {
                payload[VectorPayloadKeys.ExpiresAt] = expiresAt;
            }

            return new VectorRecord(Id, vector, payload);
        }
    }

    public sealed record MemoryQuery(string Text, string Agent, string[]? Types)
    {
        public string Key => $"{Agent}|{(Types is null ? "*" : string.Join(',', Types))}|{Text}";

        public VectorFilter Filter(DateTimeOffset now)
        {
            var filter = VectorFilter.ForAgent(Agent).NotExpired(now);
            return Types is null ? filter : filter.OfTypes(Types);
        }

        /// <summary>The same filter, evaluated directly on a memory (for the brute-force reference).</summary>
        public bool Accepts(MemoryText m, DateTimeOffset now) =>
            m.Agent == Agent
            && (m.ExpiresAt is not { } expires || expires > now.ToUnixTimeMilliseconds())
            && (Types is null || Types.Contains(m.Type));
    }
}
