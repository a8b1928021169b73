using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Maximus.Contracts.Memory;
using Maximus.Contracts.Plugins;
using Maximus.Contracts.Reflection;
using Maximus.ServiceDefaults;

namespace Maximus.Benchmarks;

/// <summary>
/// <c>load</c>: the host (<c>--role all --runtime embedded</c>, published, a child process started from a folder other
/// than its own) under <c>--concurrency</c> in-process HTTP clients for <c>--duration</c> seconds per phase: (a) mission
/// starts on fresh PDDL environments, each followed by status polls until it ends; (b) memory searches over
/// <c>--memories</c> entries (seeded through <c>entries:batch</c> with client-side vectors from the benchmark embedding
/// cache, so seeding takes seconds, not minutes); (c) reflection submits (<c>POST v1/reflections</c>). Every phase reports
/// requests, non-2xx answers by status (429 with Retry-After apart, as deliberate shedding), p50/p95/p99 per request kind,
/// and the host's peak RSS.
/// </summary>
public static class LoadBenchmark
{
    public const double MissionStartP99TargetMs = 250;
    public const double SearchP99TargetMs = 20;

    /// <summary>Every search of the phase (the target is on this one).</summary>
    public const string Searches = "POST v1/memory/{agent}/search";

    /// <summary>The subset that is each distinct query's first time (the host embeds it; later ones hit its result cache).</summary>
    public const string FirstTimeSearches = "POST v1/memory/{agent}/search (subset: each query's first time, embedded by the host)";
    public const long PeakRssTargetBytes = 1536L * 1024 * 1024;

    public sealed record Phase(string Name, double Seconds, int Concurrency, IReadOnlyList<HttpLoad.Kind> Requests, long PeakRssBytes, object? Notes);

    public sealed record Targets(bool NoErrors, bool MissionStartP99Under250Ms, bool SearchP99Under20Ms, bool PeakRssUnder1_5GiB);

    public sealed record Result(
        string Benchmark, int DurationSeconds, int Concurrency, int Memories, string Host, double SeedSeconds,
        IReadOnlyList<Phase> Phases, long PeakRssBytes, Targets MeetsTargets, object Machine, double TotalSeconds);

    public static Command CreateCommand(Option<bool> json)
    {
        var duration = new Option<int>("--duration") { Description = "Seconds of each phase.", DefaultValueFactory = _ => 30 };
        var concurrency = new Option<int>("--concurrency") { Description = "Concurrent clients.", DefaultValueFactory = _ => 50 };
        var memories = new Option<int>("--memories") { Description = "Memories seeded before the search phase.", DefaultValueFactory = _ => 100_000 };
        var cache = new Option<string>("--embedding-cache")
        {
            Description = "File of cached embeddings (shared with memory-api), or 'none'.",
            DefaultValueFactory = _ => CachedEmbeddings.DefaultPath,
        };
        var hostDir = new Option<string?>("--host-dir") { Description = "A published Maximus.Host folder to use instead of publishing." };
        var command = new Command("load", "Missions, memory searches and reflections against the host as a child process: non-2xx by status, p50/p95/p99, peak RSS, targets.")
        {
            duration, concurrency, memories, cache, hostDir,
        };
        command.SetAction(async (result, ct) =>
        {
            if (result.GetValue(duration) < 1 || result.GetValue(concurrency) < 1 || result.GetValue(memories) < 100)
            {
                await Console.Error.WriteLineAsync("error: --duration ≥ 1, --concurrency ≥ 1, --memories ≥ 100.").ConfigureAwait(false);
                return 2;
            }

            var r = await RunAsync(result.GetValue(duration), result.GetValue(concurrency), result.GetValue(memories),
                result.GetValue(cache) is "none" or "" ? null : result.GetValue(cache), result.GetValue(hostDir), Console.Error, ct).ConfigureAwait(false);
            Console.Out.WriteLine(JsonSerializer.Serialize(r, new JsonSerializerOptions(MaximusJson.Options) { WriteIndented = !result.GetValue(json) }));
            return r.MeetsTargets.NoErrors ? 0 : 1;
        });
        return command;
    }

    public static async Task<Result> RunAsync(int seconds, int concurrency, int memories, string? cachePath, string? hostDir, TextWriter progress, CancellationToken ct)
    {
        var total = Stopwatch.StartNew();
        var loadAtStart = Machine.LoadAverage() ?? "unknown";
        var publish = hostDir is null ? await PublishedHost.PublishAsync(progress, ct).ConfigureAwait(false) : PublishedHost.Locate(hostDir);
        var work = Directory.CreateTempSubdirectory("maximus-bench-load-").FullName;
        try
        {
            using var http = HttpLoad.Client(concurrency);
            var cwd = Directory.CreateDirectory(Path.Combine(work, "cwd")).FullName;
            await using var host = await HostProcess.StartAsync(publish.HostPath, "all", Path.Combine(work, "data"), http, new Dictionary<string, string>(), progress, ct, cwd)
                .ConfigureAwait(false);
            var duration = TimeSpan.FromSeconds(seconds);
            var phases = new List<Phase>();

            // (a) Missions: a fresh environment, a start, polls until it ends; then the host drains what is still running.
            progress.WriteLine($"load: missions for {seconds} s with {concurrency} clients ...");
            var missions = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
            var missionLoad = await HttpLoad.RunAsync(concurrency, duration, async (worker, load, until) =>
            {
                var problem = Blocks.Problem(Random.Shared, Random.Shared.Next(3, 5));
                var env = await load.SendAsync("POST pddl-env/v1/environments", http, HttpMethod.Post, host.Url("pddl-env/v1/environments"),
                    new { domain = FirstRequests.Domain.Value, problem }, ct).ConfigureAwait(false);
                if (env is null)
                {
                    return;
                }

                var started = await load.SendAsync("POST v1/missions", http, HttpMethod.Post, host.Url("v1/missions"),
                    new { pluginAppId = "pddl-env", context = env.Value.GetProperty("environmentId").GetString() }, ct).ConfigureAwait(false);
                if (started?.GetProperty("missionId").GetString() is not { } id)
                {
                    return;
                }

                missions[id] = "Running";
                while (DateTime.UtcNow < until)
                {
                    await Task.Delay(100, ct).ConfigureAwait(false);
                    var view = await load.SendAsync("GET v1/missions/{id}", http, HttpMethod.Get, host.Url($"v1/missions/{id}"), null, ct).ConfigureAwait(false);
                    if (view?.GetProperty("status").GetString() is { } status && status is "Succeeded" or "Failed")
                    {
                        missions[id] = status;
                        return;
                    }
                }
            }, ct).ConfigureAwait(false);
            var drained = await DrainAsync(http, host, missions, TimeSpan.FromSeconds(120), ct).ConfigureAwait(false);
            phases.Add(new Phase("missions", seconds, concurrency, missionLoad, host.PeakRssBytes(), new
            {
                started = missions.Count,
                succeeded = drained.Count(s => s.Value == "Succeeded"),
                failed = drained.Count(s => s.Value == "Failed"),
                stillRunningAfterDrain = drained.Count(s => s.Value is not ("Succeeded" or "Failed")),
            }));

            // (b) Seed memories with client-side vectors, then search.
            var seed = Stopwatch.StartNew();
            var queries = await SeedAsync(http, host, memories, cachePath, progress, ct).ConfigureAwait(false);
            seed.Stop();
            // The host indexes the seeded points in the background (HNSW, one graph per agent); a host that holds 100k
            // memories finds its indexes on disk at start. Searches are measured on built indexes; the wait is reported.
            var indexWait = Stopwatch.StartNew();
            var index = await MemoryApiLoadBenchmark.WaitForIndexAsync(http, host, progress, ct).ConfigureAwait(false);
            indexWait.Stop();
            progress.WriteLine($"load: seeded {memories} memories in {seed.Elapsed.TotalSeconds:0.0} s, index ready after {indexWait.Elapsed.TotalSeconds:0.0} s more; searching for {seconds} s ...");
            var next = -1;
            var searchLoad = await HttpLoad.RunAsync(concurrency, duration, async (worker, load, until) =>
            {
                while (DateTime.UtcNow < until)
                {
                    var i = Interlocked.Increment(ref next) & int.MaxValue;
                    var q = queries[i % queries.Length];
                    await load.SendAsync(Searches, http, HttpMethod.Post, host.Url($"v1/memory/{q.Agent}/search"), q.Request, ct,
                        alsoKind: i < queries.Length ? FirstTimeSearches : null).ConfigureAwait(false);
                }
            }, ct).ConfigureAwait(false);
            phases.Add(new Phase("memory-search", seconds, concurrency, searchLoad, host.PeakRssBytes(), new { memories, distinctQueries = queries.Length, indexWaitSeconds = Math.Round(indexWait.Elapsed.TotalSeconds, 1), index }));

            // (c) Reflection submits on the synchronous path.
            progress.WriteLine($"load: reflections for {seconds} s ...");
            var reflectionLoad = await HttpLoad.RunAsync(concurrency, duration, async (worker, load, until) =>
            {
                while (DateTime.UtcNow < until)
                {
                    var log = new ExecutionLog(Guid.NewGuid().ToString("N"), $"bench-{worker}", "bench", 0, "stack",
                        Random.Shared.Next(10) == 0 ? ActionOutcome.Failed : ActionOutcome.Succeeded, Random.Shared.Next(5, 200), DateTimeOffset.UtcNow,
                        Priority: ReflectionPriority.Critical);
                    await load.SendAsync("POST v1/reflections", http, HttpMethod.Post, host.Url("v1/reflections"), log, ct).ConfigureAwait(false);
                }
            }, ct).ConfigureAwait(false);
            phases.Add(new Phase("reflections", seconds, concurrency, reflectionLoad, host.PeakRssBytes(), null));

            var peak = host.PeakRssBytes();
            var all = phases.SelectMany(p => p.Requests).ToList();
            var targets = new Targets(
                all.All(k => k.NonSuccess == 0),
                missionLoad.Single(k => k.Name == "POST v1/missions").ServedMs.P99 < MissionStartP99TargetMs,
                searchLoad.Single(k => k.Name == Searches).ServedMs.P99 < SearchP99TargetMs,
                peak is > 0 and < PeakRssTargetBytes);
            return new Result("load", seconds, concurrency, memories, $"{publish.Mode} {publish.HostPath}", Math.Round(seed.Elapsed.TotalSeconds, 1), phases, peak, targets,
                new { processorCount = Environment.ProcessorCount, loadAverageAtStart = loadAtStart, loadAverageAtEnd = Machine.LoadAverage() ?? "unknown", note = "the load driver runs on the same cores as the host" },
                Math.Round(total.Elapsed.TotalSeconds, 1));
        }
        finally
        {
            PublishedHost.DeleteQuietly(work);
        }
    }

    private static async Task<Dictionary<string, string>> DrainAsync(
        HttpClient http, HostProcess host, ConcurrentDictionary<string, string> missions, TimeSpan timeout, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var states = new Dictionary<string, string>(missions, StringComparer.Ordinal);
        while (clock.Elapsed < timeout)
        {
            foreach (var id in states.Where(s => s.Value is not ("Succeeded" or "Failed")).Select(s => s.Key).ToList())
            {
                using var response = await http.GetAsync(host.Url($"v1/missions/{id}"), ct).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    states[id] = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false)).RootElement.GetProperty("status").GetString()!;
                }
            }

            if (states.Values.All(s => s is "Succeeded" or "Failed"))
            {
                break;
            }

            await Task.Delay(500, ct).ConfigureAwait(false);
        }

        return states;
    }

    /// <summary>Writes the memory corpus with vectors (cached client-side embeddings); returns distinct search queries over it.</summary>
    private static async Task<MemoryApiBenchmark.ApiQuery[]> SeedAsync(HttpClient http, HostProcess host, int count, string? cachePath, TextWriter progress, CancellationToken ct)
    {
        var corpus = new MemoryCorpus(42, 10);
        var entries = Enumerable.Range(0, int.MaxValue).Select(corpus.Memory).Where(m => m.Type != "core").Take(count).ToArray();
        var now = DateTimeOffset.UtcNow;
        var requests = entries.Select(m => MemoryApiLoadBenchmark.Request(m, now)).ToArray();
        var (vectors, fromCache, embeddedNow) = CachedEmbeddings.Embed(
            [.. requests.Select(MemoryApiLoadBenchmark.EmbeddingText).Distinct(StringComparer.Ordinal)], cachePath, Environment.ProcessorCount, 64, "seed texts", progress, ct);
        progress.WriteLine($"load: seed vectors {fromCache} from the cache, {embeddedNow} embedded now");
        var agentOf = entries.ToDictionary(m => m.Id, m => m.Agent, StringComparer.Ordinal);
        var batches = requests.Select(r => r with { Vector = vectors[MemoryApiLoadBenchmark.EmbeddingText(r)] })
            .GroupBy(r => agentOf[r.Id!]).SelectMany(g => g.Chunk(500).Select(c => (Agent: g.Key, Items: c))).ToArray();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < batches.Length)
            {
                using var content = HttpLoad.Json(new WriteMemoryBatchRequest(batches[i].Items));
                using var response = await http.PostAsync(host.Url($"v1/memory/{batches[i].Agent}/entries:batch"), content, ct).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"seeding failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false)}");
                }
            }
        }, ct))).ConfigureAwait(false);
        return MemoryApiBenchmark.DistinctQueries(corpus, entries, 5000, 42);
    }
}

/// <summary>An in-process HTTP load driver: workers until a deadline, every answer recorded by request kind.</summary>
public sealed class HttpLoad
{
    private readonly ConcurrentDictionary<string, Recorder> _kinds = new(StringComparer.Ordinal);

    /// <summary>
    /// One request kind: count, non-2xx answers by status (429 with Retry-After apart), latency percentiles of every
    /// answer (<see cref="Ms"/>) and of the answered ones, 2xx only (<see cref="ServedMs"/>: what the targets are about;
    /// shed requests are counted in <see cref="Shed429"/>, never hidden).
    /// </summary>
    public sealed record Kind(string Name, int Requests, int NonSuccess, IReadOnlyDictionary<string, int> NonSuccessByStatus, int Shed429, Percentiles Ms, Percentiles ServedMs);

    public static HttpClient Client(int concurrency) =>
        new(new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan, MaxConnectionsPerServer = Math.Max(256, concurrency * 2), UseProxy = false })
        {
            Timeout = TimeSpan.FromSeconds(60),
            DefaultRequestVersion = HttpVersion.Version11,
        };

    public static ByteArrayContent Json<T>(T value)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(value, MaximusJson.Options));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    /// <summary>Runs <paramref name="concurrency"/> workers, each calling <paramref name="loop"/> again until the deadline.</summary>
    public static async Task<IReadOnlyList<Kind>> RunAsync(int concurrency, TimeSpan duration, Func<int, HttpLoad, DateTime, Task> loop, CancellationToken ct)
    {
        var load = new HttpLoad();
        var until = DateTime.UtcNow + duration;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            while (DateTime.UtcNow < until)
            {
                await loop(w, load, until).ConfigureAwait(false);
            }
        }, ct))).ConfigureAwait(false);
        return load.Report();
    }

    /// <summary>
    /// Sends one request and records it under <paramref name="kind"/> (and, when given, also under <paramref name="alsoKind"/>:
    /// a subset reported beside the whole); the JSON answer on 2xx, null otherwise (or when the connection failed).
    /// </summary>
    public async Task<JsonElement?> SendAsync(string kind, HttpClient http, HttpMethod method, Uri url, object? body, CancellationToken ct, string? alsoKind = null)
    {
        var recorder = new Recorder.Pair(_kinds.GetOrAdd(kind, _ => new Recorder()), alsoKind is null ? null : _kinds.GetOrAdd(alsoKind, _ => new Recorder()));
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = Json(body);
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await http.SendAsync(request, ct).ConfigureAwait(false);
            var bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            recorder.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds, (int)response.StatusCode, response.Headers.RetryAfter is not null);
            if (response.StatusCode == HttpStatusCode.TooManyRequests && response.Headers.RetryAfter?.Delta is { } wait)
            {
                // A well-behaved client comes back when the server asked it to.
                await Task.Delay(wait, ct).ConfigureAwait(false);
            }

            return response.IsSuccessStatusCode && bytes.Length > 0 ? JsonDocument.Parse(bytes).RootElement.Clone() : null;
        }
        catch (HttpRequestException ex)
        {
            recorder.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds, 0, false, ex.HttpRequestError.ToString());
            return null;
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            recorder.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds, 0, false, "timeout");
            return null;
        }
    }

    public IReadOnlyList<Kind> Report() =>
        [.. _kinds.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => k.Value.Report(k.Key))];

    private sealed class Recorder
    {
        /// <summary>One sample into a kind and, optionally, a subset kind.</summary>
        public readonly record struct Pair(Recorder Whole, Recorder? Subset)
        {
            public void Add(double ms, int status, bool retryAfter, string? error = null)
            {
                Whole.Add(ms, status, retryAfter, error);
                Subset?.Add(ms, status, retryAfter, error);
            }
        }

        private readonly List<double> _ms = [];
        private readonly List<double> _served = [];
        private readonly Dictionary<string, int> _failures = new(StringComparer.Ordinal);
        private int _shed;

        public void Add(double ms, int status, bool retryAfter, string? error = null)
        {
            lock (this)
            {
                _ms.Add(ms);
                if (status is >= 200 and <= 299)
                {
                    _served.Add(ms);
                }

                if (status == 429 && retryAfter)
                {
                    _shed++;
                }
                else if (status is < 200 or > 299)
                {
                    var key = error ?? status.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    _failures[key] = _failures.GetValueOrDefault(key) + 1;
                }
            }
        }

        public Kind Report(string name)
        {
            lock (this)
            {
                return new Kind(name, _ms.Count, _failures.Values.Sum(), new Dictionary<string, int>(_failures), _shed, Percentiles.Of(_ms), Percentiles.Of(_served));
            }
        }
    }
}

/// <summary>Blocksworld problems for the sample domain: a random tower of n blocks to be rebuilt in another random order.</summary>
internal static class Blocks
{
    public static string Problem(Random random, int n)
    {
        var names = Enumerable.Range(0, n).Select(i => ((char)('a' + i)).ToString()).ToArray();
        var start = names.OrderBy(_ => random.Next()).ToArray();
        string[] goal;
        do
        {
            goal = [.. names.OrderBy(_ => random.Next())];
        }
        while (goal[0] == start[0] || goal.SequenceEqual(start));

        // start[0] is on the table, start[i] on start[i-1]; the goal tower the same way.
        var init = new List<string> { "(handempty)", $"(ontable {start[0]})", $"(clear {start[^1]})" };
        init.AddRange(Enumerable.Range(1, n - 1).Select(i => $"(on {start[i]} {start[i - 1]})"));
        var goals = Enumerable.Range(1, n - 1).Select(i => $"(on {goal[i]} {goal[i - 1]})");
        return $"""
            (define (problem tower-{n}) (:domain blocksworld)
              (:objects {string.Join(' ', names)})
              (:init {string.Join(' ', init)})
              (:goal (and {string.Join(' ', goals)} (ontable {goal[0]}))))
            """;
    }
}
