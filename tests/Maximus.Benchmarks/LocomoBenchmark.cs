using Maximus.Contracts.Memory;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Maximus.Contracts.Ports;
using Maximus.Memory.Hybrid;
using Maximus.Memory.Mirix;
using Maximus.Memory.Vectors.Embedded;
using Maximus.Memory.Vectors.Embeddings;
using Maximus.Memory.Vectors.Lexical;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace Maximus.Benchmarks;

/// <summary>
/// Retrieval quality on a LoCoMo-format file (Maharana et al., ACL 2024): each conversation is ingested into a fresh
/// agent as the product would (every turn an episodic memory "speaker: text" with speaker, session, session date and
/// turn id as tags, embedded with all-MiniLM-L6-v2 and indexed by FTS5), then every question with evidence is asked
/// through <see cref="HybridRetriever"/>. Recall@k of a question = share of its evidence turns (those that exist in the
/// conversation) in the top k; averaged over questions, overall and per category (1 multi-hop, 2 temporal,
/// 3 open-domain, 4 single-hop, 5 adversarial). The same settings serve every conversation. BM25 alone (the same
/// FTS5 index) is reported next to it. Turn embeddings are cached on disk by text hash.
/// The settings (the defaults of <see cref="HybridRetrievalOptions"/>) were tuned on the development file only
/// (<see cref="DevelopmentFile"/>): the result says which file they came from and whether the measured file is that one
/// (<c>inSample</c>); the tuning options are refused on any other file, so a held-out file is measured with exactly the
/// settings the product ships.
/// </summary>
public static partial class LocomoBenchmark
{
    public sealed record RecallReport(IReadOnlyDictionary<string, double> Recall, IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> ByCategory);

    /// <summary>The file the settings were tuned on, identified by its content (../shared/fixtures/locomo/SOURCES.md).</summary>
    public const string DevelopmentFile = "locomo-dev.json";

    public const string DevelopmentSha256 = "a30003a380b58cefd06ed9e26e6fde7d2f57c22b6a3f54a659d2e97ebcac1c67";

    public sealed record Result(
        string Benchmark,
        string Data,
        string DataSha256,
        string SettingsTunedOn,
        bool InSample,
        string SettingsSource,
        int Conversations,
        int Turns,
        int Questions,
        IReadOnlyDictionary<string, double> Recall,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> ByCategory,
        IReadOnlyDictionary<string, int> QuestionsByCategory,
        RecallReport Bm25,
        double IngestMs,
        Percentiles QueryMs,
        Percentiles Bm25QueryMs,
        int EmbeddedNow,
        int EmbeddingsFromCache,
        string Tokenizer,
        string Model,
        string? LoadAverageAtStart,
        string? LoadAverageAtEnd,
        ScaleResult? Scale,
        HybridRetrievalOptions Settings);

    /// <summary>
    /// Query latency (embedding included) and recall when one agent holds <see cref="Memories"/> turns: the first
    /// conversation of the file among synthetic filler turns (the memory benchmark's generated corpus, cached
    /// vectors) in sessions dated around it.
    /// </summary>
    public sealed record ScaleResult(
        int Memories,
        int FillerTurns,
        string Conversation,
        int Questions,
        IReadOnlyDictionary<string, double> Recall,
        Percentiles QueryMs,
        double IngestSeconds,
        string? LoadAverageAtStart,
        string? LoadAverageAtEnd);

    public static Command CreateCommand(Option<bool> json)
    {
        var data = new Option<string>("--data") { Description = "A LoCoMo-format JSON file (list of samples with conversation and qa).", Required = true };
        var ks = new Option<string>("--k") { Description = "Comma-separated cut-offs.", DefaultValueFactory = _ => "5,10,25" };
        var cache = new Option<string>("--embedding-cache")
        {
            Description = "File of cached turn embeddings (keyed by text hash), or 'none'.",
            DefaultValueFactory = _ => Path.Combine(Path.GetTempPath(), "maximus-bench-cache", "locomo-minilm-l6-v2.bin"),
        };
        // Tuning options: accepted on the development file only; without them the code's defaults (tuned there) are used.
        const string tuning = "Tuning (only on " + DevelopmentFile + "; other files are measured with the defaults).";
        var fusion = new Option<FusionMethod?>("--fusion") { Description = "ReciprocalRank or NormalisedScore. " + tuning };
        var rrfK = new Option<double?>("--rrf-k") { Description = tuning };
        var lexicalWeight = new Option<double?>("--lexical-weight") { Description = tuning };
        var denseWeight = new Option<double?>("--dense-weight") { Description = tuning };
        var neighbourWeight = new Option<double?>("--neighbour-weight") { Description = tuning };
        var seeds = new Option<int?>("--neighbour-seeds") { Description = tuning };
        var temporal = new Option<double?>("--temporal-boost") { Description = tuning };
        var candidates = new Option<int?>("--candidates") { Description = "Lexical and dense candidates each. " + tuning };
        var scale = new Option<int>("--scale") { Description = "Also measure one agent holding this many turns (the first conversation among synthetic filler); 0: off.", DefaultValueFactory = _ => 0 };
        var set = new Option<string[]>("--set") { Description = "Name=value of any HybridRetrievalOptions setting (repeatable). " + tuning, AllowMultipleArgumentsPerToken = true };
        var model = new Option<LocalEmbeddingModelKind?>("--model") { Description = "The embedding model (MiniLM or ArcticXs); default: the product's default." };
        var quantization = new Option<EmbeddingQuantization?>("--quantization") { Description = "None (float) or Int8; default: the product's default." };
        var questions = new Option<string?>("--questions") { Description = "Also write every question's result to this file (JSON lines: the question, its category, its query time, evidence, the hybrid and BM25 rankings as dialog ids, and the rank of each evidence turn in both), for error analysis." };
        var command = new Command("locomo", "Recall@k of hybrid memory retrieval on a LoCoMo-format file, with BM25 alone for comparison.")
        {
            data, ks, cache, fusion, rrfK, lexicalWeight, denseWeight, neighbourWeight, seeds, temporal, candidates, set, scale, model, quantization, questions,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            int[] cutoffs;
            try
            {
                cutoffs = [.. result.GetValue(ks)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(s => int.Parse(s, CultureInfo.InvariantCulture)).Distinct().Order()];
            }
            catch (FormatException)
            {
                await Console.Error.WriteLineAsync("error: --k must be comma-separated whole numbers.").ConfigureAwait(false);
                return 2;
            }

            if (cutoffs.Length == 0 || cutoffs[0] < 1 || cutoffs[^1] > 100 || !File.Exists(result.GetValue(data)))
            {
                await Console.Error.WriteLineAsync("error: --k values must be 1 to 100 and --data an existing file.").ConfigureAwait(false);
                return 2;
            }

            var defaults = new HybridRetrievalOptions();
            var options = new HybridRetrievalOptions
            {
                Fusion = result.GetValue(fusion) ?? defaults.Fusion,
                RrfK = result.GetValue(rrfK) ?? defaults.RrfK,
                LexicalWeight = result.GetValue(lexicalWeight) ?? defaults.LexicalWeight,
                DenseWeight = result.GetValue(denseWeight) ?? defaults.DenseWeight,
                NeighbourWeight = result.GetValue(neighbourWeight) ?? defaults.NeighbourWeight,
                NeighbourSeeds = result.GetValue(seeds) ?? defaults.NeighbourSeeds,
                TemporalBoost = result.GetValue(temporal) ?? defaults.TemporalBoost,
                LexicalCandidates = result.GetValue(candidates) ?? defaults.LexicalCandidates,
                DenseCandidates = result.GetValue(candidates) ?? defaults.DenseCandidates,
            };
            foreach (var pair in result.GetValue(set) ?? [])
            {
                var at = pair.IndexOf('=', StringComparison.Ordinal);
                var property = at <= 0 ? null : typeof(HybridRetrievalOptions).GetProperty(pair[..at], System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.IgnoreCase);
                if (property is null || !property.CanWrite)
                {
                    await Console.Error.WriteLineAsync($"error: --set {pair}: expected Name=value of a HybridRetrievalOptions setting.").ConfigureAwait(false);
                    return 2;
                }

                var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
                property.SetValue(options, type.IsEnum ? Enum.Parse(type, pair[(at + 1)..], ignoreCase: true) : Convert.ChangeType(pair[(at + 1)..], type, CultureInfo.InvariantCulture));
            }

            var path = result.GetValue(cache) is "none" or "" ? null : result.GetValue(cache);
            Result r;
            try
            {
                r = await RunAsync(
                    result.GetValue(data)!, cutoffs, path, options, Console.Error, cancellationToken, result.GetValue(scale),
                    MemoryApiLoadBenchmark.Embedding(result.GetValue(model), result.GetValue(quantization)), result.GetValue(questions)).ConfigureAwait(false);
            }
            catch (ArgumentException ex)
            {
                await Console.Error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
                return 2;
            }

            Console.Out.WriteLine(JsonSerializer.Serialize(r, new JsonSerializerOptions(MaximusJson.Options) { WriteIndented = !result.GetValue(json) }));
            return 0;
        });
        return command;
    }

    private sealed record Turn(string DiaId, string EntryId, string Speaker, string Text, string Session, int Sequence, string? Date, DateTimeOffset? OccurredAt)
    {
        public string MemoryText => $"{Speaker}: {Text}";

        /// <summary>What the product embeds for the turn's entry (<see cref="AgentMemory.EmbeddingText(WriteMemoryRequest)"/>).</summary>
        public string EmbeddingText => AgentMemory.EmbeddingText(new WriteMemoryRequest(MemoryType.Episodic, MemoryText, Actor: Speaker));
    }

    private sealed record Question(string Text, int Category, IReadOnlyList<string> Evidence);

    private sealed record Conversation(string Id, IReadOnlyList<Turn> Turns, IReadOnlyList<Question> Questions);

    public static async Task<Result> RunAsync(
        string dataPath, int[] cutoffs, string? cachePath, HybridRetrievalOptions options, TextWriter progress, CancellationToken ct, int scale = 0,
        LocalEmbeddingOptions? embedding = null, string? questionsPath = null)
    {
        embedding ??= new LocalEmbeddingOptions();
        var loadAtStart = Machine.LoadAverage();
        var dataSha256 = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(dataPath)));
        var inSample = dataSha256 == DevelopmentSha256;
        var tuned = !SameSettings(options, new HybridRetrievalOptions());
        if (tuned && !inSample)
        {
            throw new ArgumentException(
                $"{Path.GetFileName(dataPath)} is not the development file {DevelopmentFile} (sha256 {DevelopmentSha256}): settings are tuned " +
                "on the development file only. Measure other files without --fusion, --rrf-k, --lexical-weight, --dense-weight, " +
                "--neighbour-weight, --neighbour-seeds, --temporal-boost, --candidates and --set (the defaults are the settings tuned there).");
        }

        var conversations = Load(dataPath);
        // The turns' vectors are computed here (and cached) from what the product embeds for them, keyed by their text.
        var texts = conversations.SelectMany(c => c.Turns).DistinctBy(t => t.MemoryText, StringComparer.Ordinal).ToList();
        progress.WriteLine($"locomo: {conversations.Count} conversations, {texts.Count} distinct turns, {conversations.Sum(c => c.Questions.Count)} questions with evidence");
        var (embedded, fromCache, embeddedNow) = CachedEmbeddings.Embed(
            [.. texts.Select(t => t.EmbeddingText).Distinct(StringComparer.Ordinal)], cachePath, Environment.ProcessorCount, 256, "turns", progress, ct, embedding);
        var vectors = texts.ToDictionary(t => t.MemoryText, t => embedded[t.EmbeddingText], StringComparer.Ordinal);

        var directory = Directory.CreateTempSubdirectory("maximus-bench-locomo-").FullName;
        try
        {
            using var stack = new RetrievalStack(directory, options, embedding);
            var (store, generator, retriever, collection) = (stack.Store, stack.Generator, stack.Retriever, stack.Collection);
            var maxK = cutoffs[^1];

            var ingest = Stopwatch.StartNew();
            foreach (var conversation in conversations)
            {
                var documents = conversation.Turns.Select(t => new HybridDocument(
                    new WriteMemoryRequest(
                        MemoryType.Episodic, t.MemoryText, t.EntryId, t.OccurredAt,
                        Tags: new Dictionary<string, string>
                        {
                            ["speaker"] = t.Speaker,
                            ["session"] = t.Session,
                            ["turn"] = t.DiaId,
                            ["date"] = t.Date ?? "",
                        },
                        Actor: t.Speaker,
                        Vector: vectors[t.MemoryText]),
                    t.Session,
                    t.Sequence)).ToList();
                await retriever.IngestAsync(AgentId(conversation), documents, ct).ConfigureAwait(false);
            }

            ingest.Stop();
            progress.WriteLine($"  ingested in {ingest.Elapsed.TotalMilliseconds:0} ms");

            // Warm-up, not measured: the model's first runs and the JIT's tiers. A few questions of every conversation (their
            // paths differ: time windows, neighbours), then a pause in which the background tier-up compilations finish,
            // so that the timings are of the code a long-running host runs. Nothing is cached between queries.
            foreach (var conversation in conversations)
            {
                foreach (var q in conversation.Questions.Take(25))
                {
                    await retriever.SearchAsync(AgentId(conversation), q.Text, maxK, ct, asOf: AskedAt(conversation)).ConfigureAwait(false);
                    await Bm25Async(store, collection, AgentId(conversation), q.Text, maxK, ct).ConfigureAwait(false);
                }
            }

            await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);

            var hybridSamples = new List<(int Category, double[] Recall)>();
            var bm25Samples = new List<(int Category, double[] Recall)>();
            var queryMs = new List<double>();
            var bm25Ms = new List<double>();
            await using var questionLog = questionsPath is null ? null : new StreamWriter(questionsPath);
            foreach (var conversation in conversations)
            {
                var agent = AgentId(conversation);
                var byEntry = conversation.Turns.GroupBy(t => t.EntryId).ToDictionary(g => g.Key, g => g.First().DiaId, StringComparer.Ordinal);
                var askedAt = AskedAt(conversation);
                foreach (var q in conversation.Questions)
                {
                    var started = Stopwatch.GetTimestamp();
                    var hits = await retriever.SearchAsync(agent, q.Text, maxK, ct, asOf: askedAt).ConfigureAwait(false);
                    queryMs.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    started = Stopwatch.GetTimestamp();
                    var bm25 = await Bm25Async(store, collection, agent, q.Text, maxK, ct).ConfigureAwait(false);
                    bm25Ms.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    string[] hybridRanking = [.. hits.Select(h => byEntry.GetValueOrDefault(h.Id) ?? h.Id)];
                    string[] bm25Ranking = [.. bm25.Select(id => byEntry.GetValueOrDefault(id) ?? id)];
                    hybridSamples.Add((q.Category, Recall(hybridRanking, q.Evidence, cutoffs)));
                    bm25Samples.Add((q.Category, Recall(bm25Ranking, q.Evidence, cutoffs)));
                    if (questionLog is not null)
                    {
                        static int? RankOf(string[] ranking, string id) => Array.IndexOf(ranking, id) is var at and >= 0 ? at + 1 : null;
                        await questionLog.WriteLineAsync(JsonSerializer.Serialize(new
                        {
                            conversation = conversation.Id,
                            q.Category,
                            question = q.Text,
                            queryMs = Math.Round(queryMs[^1], 3),
                            evidence = q.Evidence.Select(e => new { id = e, hybridRank = RankOf(hybridRanking, e), bm25Rank = RankOf(bm25Ranking, e) }),
                            hybrid = hybridRanking,
                            bm25 = bm25Ranking,
                        }, MaximusJson.Options)).ConfigureAwait(false);
                    }
                }
            }

            var hybrid = Report(hybridSamples, cutoffs);
            var lexicalOnly = Report(bm25Samples, cutoffs);
            var loadAtEnd = Machine.LoadAverage();
            var scaled = scale > 0 ? await ScaleAsync(conversations[0], vectors, scale, cutoffs, options, embedding, progress, ct).ConfigureAwait(false) : null;
            var result = new Result(
                "locomo",
                Path.GetFileName(dataPath),
                dataSha256,
                DevelopmentFile,
                inSample,
                tuned
                    ? $"command line (a tuning run on {DevelopmentFile})"
                    : $"defaults in code (HybridRetrievalOptions), tuned on {DevelopmentFile}",
                conversations.Count,
                conversations.Sum(c => c.Turns.Count),
                hybridSamples.Count,
                hybrid.Recall,
                hybrid.ByCategory,
                hybridSamples.GroupBy(s => s.Category).OrderBy(g => g.Key).ToDictionary(g => g.Key.ToString(CultureInfo.InvariantCulture), g => g.Count()),
                lexicalOnly,
                Math.Round(ingest.Elapsed.TotalMilliseconds, 1),
                Percentiles.Of(queryMs),
                Percentiles.Of(bm25Ms),
                embeddedNow,
                fromCache,
                LexicalText.Description,
                generator.EffectiveModelId,
                loadAtStart,
                loadAtEnd,
                scaled,
                options);
            progress.WriteLine($"  hybrid recall {string.Join(", ", hybrid.Recall.Select(p => $"@{p.Key} {p.Value}"))}; bm25 {string.Join(", ", lexicalOnly.Recall.Select(p => $"@{p.Key} {p.Value}"))}; query p99 {result.QueryMs.P99} ms");
            return result;
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

    private static async Task<ScaleResult> ScaleAsync(
        Conversation conversation, Dictionary<string, float[]> vectors, int scale, int[] cutoffs, HybridRetrievalOptions options, LocalEmbeddingOptions embedding,
        TextWriter progress, CancellationToken ct)
    {
        var loadAtStart = Machine.LoadAverage();
        var fillerCount = Math.Max(0, scale - conversation.Turns.Count);
        var corpus = new MemoryCorpus(42, 10);
        var filler = Enumerable.Range(0, fillerCount).Select(i => corpus.Memory(i).Text).ToArray();
        progress.WriteLine($"locomo --scale {scale}: conversation {conversation.Id} ({conversation.Turns.Count} turns) among {fillerCount} filler turns in one agent");
        var (fillerVectors, _, _) = CachedEmbeddings.Embed(
            filler.Distinct(StringComparer.Ordinal).ToList(), CachedEmbeddings.DefaultPath, Environment.ProcessorCount, 512, "filler turns", progress, ct, embedding);
        var directory = Directory.CreateTempSubdirectory("maximus-bench-locomo-scale-").FullName;
        try
        {
            using var stack = new RetrievalStack(directory, options, embedding);
            var retriever = stack.Retriever;
            var agent = AgentId(conversation) + "-scale";
            var first = conversation.Turns.Min(t => t.OccurredAt) ?? DateTimeOffset.UnixEpoch;
            var random = new Random(7);
            var ingest = Stopwatch.StartNew();

            // Filler sessions of 20 turns, dated from a year before the conversation to a year after its start.
            var documents = filler.Select((text, i) => new HybridDocument(
                new WriteMemoryRequest(
                    MemoryType.Episodic, text, $"filler-{i}", first.AddDays(random.Next(-365, 365)), Vector: fillerVectors[text]),
                $"filler-{i / 20}",
                (i % 20) + 1)).Concat(conversation.Turns.Select(t => new HybridDocument(
                    new WriteMemoryRequest(MemoryType.Episodic, t.MemoryText, t.EntryId, t.OccurredAt, Actor: t.Speaker, Vector: vectors[t.MemoryText]),
                    t.Session,
                    t.Sequence)));
            foreach (var batch in documents.Chunk(2000))
            {
                await retriever.IngestAsync(agent, batch, ct).ConfigureAwait(false);
            }

            ingest.Stop();
            progress.WriteLine($"  ingested {fillerCount + conversation.Turns.Count} turns in {ingest.Elapsed.TotalSeconds:0.0} s");
            var askedAt = AskedAt(conversation);
            foreach (var q in conversation.Questions.Take(20))
            {
                await retriever.SearchAsync(agent, q.Text, cutoffs[^1], ct, asOf: askedAt).ConfigureAwait(false);
            }

            // As in the main measurement: the tier-up compilations of the warm-up finish before the clock runs.
            await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);

            var byEntry = conversation.Turns.GroupBy(t => t.EntryId).ToDictionary(g => g.Key, g => g.First().DiaId, StringComparer.Ordinal);
            var samples = new List<(int Category, double[] Recall)>();
            var queryMs = new List<double>();
            foreach (var q in conversation.Questions)
            {
                var started = Stopwatch.GetTimestamp();
                var hits = await retriever.SearchAsync(agent, q.Text, cutoffs[^1], ct, asOf: askedAt).ConfigureAwait(false);
                queryMs.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                samples.Add((q.Category, Recall([.. hits.Select(h => byEntry.GetValueOrDefault(h.Id) ?? h.Id)], q.Evidence, cutoffs)));
            }

            var result = new ScaleResult(
                fillerCount + conversation.Turns.Count, fillerCount, conversation.Id, samples.Count, Report(samples, cutoffs).Recall,
                Percentiles.Of(queryMs), Math.Round(ingest.Elapsed.TotalSeconds, 1), loadAtStart, Machine.LoadAverage());
            progress.WriteLine($"  at {result.Memories} turns: recall {string.Join(", ", result.Recall.Select(p => $"@{p.Key} {p.Value}"))}; query p50 {result.QueryMs.P50} ms, p99 {result.QueryMs.P99} ms");
            return result;
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

    private static bool SameSettings(HybridRetrievalOptions a, HybridRetrievalOptions b) =>
        JsonSerializer.Serialize(a, MaximusJson.Options) == JsonSerializer.Serialize(b, MaximusJson.Options);

    private static string AgentId(Conversation conversation) => $"locomo-{conversation.Id}";

    /// <summary>Questions are asked right after the conversation's last session (relative times such as "last week" count from there).</summary>
    private static DateTimeOffset? AskedAt(Conversation conversation) => conversation.Turns.Max(t => t.OccurredAt);

    /// <summary>What a run retrieves with: the embedded store in <c>directory</c>, the model, the memory and the hybrid retriever.</summary>
    private sealed class RetrievalStack : IDisposable
    {
        public RetrievalStack(string directory, HybridRetrievalOptions options, LocalEmbeddingOptions embedding)
        {
            Store = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { DataDirectory = directory, BuildIndexInBackground = false });
            Generator = new LocalEmbeddingGenerator(new LocalEmbeddingOptions { Model = embedding.Model, Quantization = embedding.Quantization });
            var memoryOptions = Options.Create(new MemoryOptions());
            Collection = memoryOptions.Value.Collection;
            Retriever = new HybridRetriever(new AgentMemory(Store, Generator, memoryOptions, TimeProvider.System), Store, Generator, memoryOptions, Options.Create(options));
        }

        public EmbeddedVectorStore Store { get; }

        public LocalEmbeddingGenerator Generator { get; }

        public HybridRetriever Retriever { get; }

        public string Collection { get; }

        public void Dispose()
        {
            Generator.Dispose();
            Store.Dispose();
        }
    }

    /// <summary>BM25 alone, through the port (the keyword half of hybrid recall): the agent's episodic entries, by entry id.</summary>
    private static async Task<List<string>> Bm25Async(IVectorStore store, string collection, string agent, string query, int k, CancellationToken ct)
    {
        var hits = await store.SearchTextAsync(
            collection, new VectorTextSearchRequest(query, k, VectorFilter.ForAgent(agent).OfTypes("episodic")), ct).ConfigureAwait(false);
        return [.. hits.Select(h => h.Payload?[AgentMemory.EntryKey]?["id"]?.GetValue<string>() ?? h.Id)];
    }

    private static double[] Recall(IReadOnlyList<string> ranked, IReadOnlyList<string> evidence, int[] cutoffs) =>
        [.. cutoffs.Select(k => evidence.Count(e => ranked.Take(k).Contains(e, StringComparer.Ordinal)) / (double)evidence.Count)];

    private static RecallReport Report(List<(int Category, double[] Recall)> samples, int[] cutoffs)
    {
        Dictionary<string, double> Average(IEnumerable<double[]> rows)
        {
            var list = rows.ToList();
            return cutoffs.Select((k, i) => (k, i)).ToDictionary(
                p => p.k.ToString(CultureInfo.InvariantCulture),
                p => list.Count == 0 ? 0 : Math.Round(list.Average(r => r[p.i]), 4));
        }

        return new RecallReport(
            Average(samples.Select(s => s.Recall)),
            samples.GroupBy(s => s.Category).OrderBy(g => g.Key).ToDictionary(
                g => g.Key.ToString(CultureInfo.InvariantCulture),
                g => (IReadOnlyDictionary<string, double>)Average(g.Select(s => s.Recall))));
    }

    private static List<Conversation> Load(string path)
    {
        var root = JsonNode.Parse(File.ReadAllText(path)) as JsonArray
            ?? throw new ArgumentException($"{path}: expected a JSON list of samples.");
        var conversations = new List<Conversation>();
        var index = 0;
        foreach (var sample in root.OfType<JsonObject>())
        {
            index++;
            if (sample["conversation"] is not JsonObject conversation)
            {
                continue;
            }

            var id = SafeId(sample["sample_id"]?.ToString() ?? index.ToString(CultureInfo.InvariantCulture), index);
            var turns = new List<Turn>();
            var sessions = conversation.Select(p => (p.Key, Match: SessionKey().Match(p.Key), p.Value))
                .Where(p => p.Match.Success && p.Value is JsonArray)
                .OrderBy(p => int.Parse(p.Match.Groups[1].Value, CultureInfo.InvariantCulture));
            foreach (var (key, match, value) in sessions)
            {
                var session = match.Groups[1].Value;
                var date = conversation[$"{key}_date_time"]?.ToString();
                var occurred = ParseDate(date);
                var position = 0;
                foreach (var turn in ((JsonArray)value!).OfType<JsonObject>())
                {
                    position++;
                    var diaId = turn["dia_id"]?.ToString();
                    var text = turn["text"]?.ToString() ?? "";
                    if (string.IsNullOrWhiteSpace(diaId))
                    {
                        continue;
                    }

                    if (turn["blip_caption"]?.ToString() is { Length: > 0 } caption)
                    {
                        text = $"{text} [shares a photo: {caption}]";
                    }

                    if (string.IsNullOrWhiteSpace(text))
                    {
                        continue;
                    }

                    var sequence = TurnNumber().Match(diaId) is { Success: true } m ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : position;
                    turns.Add(new Turn(diaId, EntryIdOf(diaId), turn["speaker"]?.ToString() ?? "?", text, session, sequence, date, occurred));
                }
            }

            var known = turns.Select(t => t.DiaId).ToHashSet(StringComparer.Ordinal);
            var questions = new List<Question>();
            foreach (var qa in (sample["qa"] as JsonArray ?? []).OfType<JsonObject>())
            {
                var evidence = (qa["evidence"] as JsonArray ?? [])
                    .SelectMany(e => (e?.ToString() ?? "").Split([';', ',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    .Where(known.Contains)
                    .Distinct(StringComparer.Ordinal)
                    .ToList();
                var question = qa["question"]?.ToString();
                if (evidence.Count == 0 || string.IsNullOrWhiteSpace(question))
                {
                    continue;
                }

                var category = qa["category"] is JsonValue c && c.TryGetValue<int>(out var n) ? n : 0;
                questions.Add(new Question(question, category, evidence));
            }

            if (turns.Count > 0)
            {
                conversations.Add(new Conversation(id, turns, questions));
            }
        }

        return conversations.Count == 0 ? throw new ArgumentException($"{path}: no conversations with turns.") : conversations;
    }

    /// <summary>Memory ids may not hold ':' (D1:3 → D1_3); the turn id itself stays in the tags.</summary>
    private static string EntryIdOf(string diaId)
    {
        var id = new string([.. diaId.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_')]);
        return id.Length > 128 ? id[..128] : id;
    }

    private static string SafeId(string raw, int index)
    {
        var id = new string([.. raw.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_')]);
        return id.Length is 0 or > 50 ? index.ToString(CultureInfo.InvariantCulture) : id;
    }

    private static DateTimeOffset? ParseDate(string? text)
    {
        string[] formats = ["h:mm tt 'on' d MMMM, yyyy", "h:mm tt 'on' d MMM, yyyy", "h:mm tt 'on' MMMM d, yyyy"];
        return text is not null && DateTime.TryParseExact(text.Trim(), formats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var date)
            ? new DateTimeOffset(date, TimeSpan.Zero)
            : null;
    }

    [GeneratedRegex(@"^session_(\d+)$")]
    private static partial Regex SessionKey();

    [GeneratedRegex(@":(\d+)$")]
    private static partial Regex TurnNumber();
}
