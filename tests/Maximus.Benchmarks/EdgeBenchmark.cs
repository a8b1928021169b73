using System.CommandLine;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Maximus.Composition;
using Maximus.Contracts;
using Maximus.Contracts.Planning;
using Maximus.Contracts.Ports;
using Maximus.Edge;
using Maximus.Edge.Planning;
using Maximus.Planning.Symbolic;
using Maximus.Plugins.Pddl;
using Maximus.Runtime.Embedded;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Maximus.Benchmarks;

/// <summary>
/// Edge-first planning: the planner role as an edge node composes it (<c>Maximus:Edge:Enabled</c>, embedded runtime),
/// called through service invocation with a mixed workload, and a local fake of the cloud planner behind it that
/// answers after a simulated round trip and is down for part of the run. The workload: Blocksworld problems whose
/// actions declare effects (the edge's symbolic planner and plan cache can answer them; a few large ones are over the
/// latency budget) and the same plugin with its effects undeclared (only the cloud's LLM planner can plan). Where each
/// request was answered is observed, not configured: the fake cloud marks the requests it answered.
/// </summary>
public static class EdgeBenchmark
{
    public const double EdgeP99TargetMs = 10;

    public sealed record Composition(int Requests, int DeclaredEffects, int DeclaredEffectsLarge, int NeedsLlm, double DeclaredEffectsShare, int DistinctProblems);

    public sealed record OutageErrors(int Requests, int ServableAtEdge, int NotServable, int ServableRequests, int NotServableRequests);

    public sealed record Fallbacks(int ToCloudNeedsLlm, int ToCloudServable, int EdgeWhileCloudDown);

    public sealed record Settings(
        double RttMs, int Concurrency, int IntervalMs, double TargetEdgeShare, double LatencyBudgetMs, double CloudRetryIntervalMs,
        IReadOnlyList<string> OutageWindows, double OutageShareOfRequests, int Seed);

    public sealed record Targets(bool EdgeP99Under10Ms, bool ZeroServableErrorsDuringOutage);

    public sealed record Result(
        string Benchmark,
        Composition Workload,
        Settings Settings,
        double EdgeShare,
        double EdgeShareCloudUp,
        double EdgeShareOfDeclaredEffectsCloudUp,
        int Answered,
        int AnsweredAtEdge,
        int AnsweredByCloud,
        Percentiles EdgeMs,
        Percentiles EdgeSymbolicMs,
        Percentiles EdgeCachedMs,
        Percentiles EdgeComputedMs,
        Percentiles EdgeLargeMs,
        Percentiles CloudMs,
        Fallbacks Fallbacks,
        OutageErrors ErrorsDuringOutage,
        int ErrorsOutsideOutage,
        IReadOnlyDictionary<string, string> ErrorSamples,
        EdgeRouterStats Router,
        long PlanCacheHits,
        Targets Targets,
        double WallSeconds,
        string Note);

    /// <summary>The <c>edge</c> subcommand; <paramref name="json"/> is the root's recursive <c>--json</c> option.</summary>
    public static Command CreateCommand(Option<bool> json)
    {
        var requests = new Option<int>("--requests") { Description = "Measured requests.", DefaultValueFactory = _ => 3000 };
        var concurrency = new Option<int>("--concurrency") { Description = "Concurrent callers.", DefaultValueFactory = _ => 4 };
        var rtt = new Option<int>("--rtt-ms") { Description = "Simulated round trip to the cloud planner.", DefaultValueFactory = _ => 40 };
        var llmShare = new Option<double>("--llm-share") { Description = "Share of requests over actions without effects (the cloud's LLM planner).", DefaultValueFactory = _ => 0.2 };
        var interval = new Option<int>("--interval-ms") { Description = "Each caller's pause between requests (paces the run, so outages last long enough to matter).", DefaultValueFactory = _ => 5 };
        var seed = new Option<int>("--seed") { Description = "Seed of the workload.", DefaultValueFactory = _ => 42 };
        var domain = new Option<string>("--domain") { Description = "The Blocksworld domain.", DefaultValueFactory = _ => Path.Combine("tests", "TestData", "pddl", "blocksworld-domain.pddl") };
        var command = new Command("edge", "Edge-first planning: edge share, edge and cloud latency, fallbacks and errors during cloud outages.")
        {
            requests, concurrency, rtt, llmShare, interval, seed, domain,
        };
        command.SetAction(async result =>
        {
            try
            {
                if (result.GetValue(requests) < 100 || result.GetValue(concurrency) < 1 || result.GetValue(rtt) < 0 || result.GetValue(interval) < 0 || result.GetValue(llmShare) is < 0 or > 1)
                {
                    throw new ArgumentException("--requests must be at least 100, --concurrency at least 1, --rtt-ms and --interval-ms not negative, --llm-share from 0 to 1.");
                }

                var domainPath = result.GetValue(domain)!;
                if (!File.Exists(domainPath))
                {
                    throw new ArgumentException($"{domainPath} not found: run from the repository root or pass --domain.");
                }

                var r = await RunAsync(
                    await File.ReadAllTextAsync(domainPath).ConfigureAwait(false), result.GetValue(requests), result.GetValue(concurrency),
                    result.GetValue(rtt), result.GetValue(llmShare), result.GetValue(interval), result.GetValue(seed), Console.Error).ConfigureAwait(false);
                Console.Out.WriteLine(JsonSerializer.Serialize(r, new JsonSerializerOptions(MaximusJson.Options) { WriteIndented = !result.GetValue(json) }));
                return r.Targets.ZeroServableErrorsDuringOutage ? 0 : 1;
            }
            catch (ArgumentException ex)
            {
                await Console.Error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
                return 2;
            }
        });
        return command;
    }

    /// <summary>The cloud is down for requests in these fractions of the run (by request index): a quarter of the run.</summary>
    private static readonly (double From, double To)[] OutageWindows = [(0.30, 0.45), (0.70, 0.80)];

    private const double LargeShare = 0.05;
    private const int SmallPool = 150;
    private const int LargePool = 6;
    private static readonly TimeSpan RetryInterval = TimeSpan.FromMilliseconds(250);

    public static async Task<Result> RunAsync(string domain, int count, int concurrency, int rttMs, double llmShare, int intervalMs, int seed, TextWriter progress)
    {
        var random = new Random(seed);
        var small = Enumerable.Range(0, SmallPool).Select(i => Blocks(domain, random, random.Next(3, 7), $"small-{i}")).ToList();
        var large = Enumerable.Range(0, LargePool).Select(i => Blocks(domain, random, 9, $"large-{i}")).ToList();
        var workload = Enumerable.Range(0, count).Select(_ =>
        {
            var draw = random.NextDouble();
            return draw < llmShare
                ? new Work(Kind.NeedsLlm, WithoutEffects(small[random.Next(small.Count)]))
                : draw < llmShare + LargeShare
                    ? new Work(Kind.Large, large[random.Next(large.Count)])
                    : new Work(Kind.Small, small[random.Next(small.Count)]);
        }).ToList();
        var warmup = Enumerable.Range(0, 40).Select(i => new Work(i % 5 == 0 ? Kind.NeedsLlm : Kind.Small, Blocks(domain, new Random(seed + 1 + i), 4, $"warm-{i}")))
            .Select(w => w.Kind == Kind.NeedsLlm ? w with { Request = WithoutEffects(w.Request) } : w)
            .ToList();

        var dataDir = Directory.CreateTempSubdirectory("maximus-bench-edge-").FullName;
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Serilog:MinimumLevel:Default"] = "Fatal",
            ["Maximus:Edge:Enabled"] = "true",
            ["Maximus:Edge:planner:CloudRetryInterval"] = RetryInterval.ToString(),
        });
        builder.AddMaximusLogging(toStandardError: true);
        builder.AddMaximus(new MaximusHostSettings([AppIds.Planner], RuntimeKind.Embedded, dataDir));
        var cloud = new DelayingFakeCloudPlanner(TimeSpan.FromMilliseconds(rttMs));
        builder.Services.AddSingleton<IServiceInvoker>(sp =>
        {
            cloud.Inner = sp.GetRequiredService<EmbeddedServiceInvoker>();
            return cloud;
        });
        cloud.Prepare(small.Concat(large));
        using var host = builder.Build();
        await host.StartAsync().ConfigureAwait(false);
        var invoker = host.Services.GetRequiredService<IServiceInvoker>();
        var router = host.Services.GetRequiredKeyedService<EdgeRouter<PlanningRequest, PlanningResponse>>(EdgePlanningOptions.RouterName);
        var routerOptions = host.Services.GetRequiredService<IOptionsMonitor<EdgeRouterOptions>>().Get(EdgePlanningOptions.RouterName);
        var capability = host.Services.GetRequiredService<SymbolicEdgePlanning>();

        progress.WriteLine($"edge: {warmup.Count} warm-up requests, then {count} with {concurrency} callers, cloud RTT {rttMs} ms, cloud down for {Share(count):P0} of the run");
        foreach (var work in warmup)
        {
            await CallAsync(invoker, work, outage: false).ConfigureAwait(false);
        }

        var before = router.Stats;
        var hitsBefore = capability.CacheHits;
        var outcomes = new Outcome[count];
        var next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var down = InOutage(i, count);
                cloud.Down = down;
                outcomes[i] = await CallAsync(invoker, workload[i], down).ConfigureAwait(false);
                if (i % 100 == 0)
                {
                    progress.Write(down ? 'x' : '.');
                }

                await Task.Delay(intervalMs).ConfigureAwait(false);
            }
        }))).ConfigureAwait(false);
        var wall = clock.Elapsed.TotalSeconds;
        progress.WriteLine();
        var after = router.Stats;
        await host.StopAsync().ConfigureAwait(false);

        var answered = outcomes.Where(o => o.Error is null).ToList();
        var edge = answered.Where(o => !o.Cloud).ToList();
        var cloudAnswers = answered.Where(o => o.Cloud).ToList();
        var up = outcomes.Where(o => !o.Outage).ToList();
        var upAnswered = up.Where(o => o.Error is null).ToList();
        var upDeclared = up.Where(o => o.Work.Kind != Kind.NeedsLlm && o.Error is null).ToList();
        var down = outcomes.Where(o => o.Outage).ToList();
        var edgeMs = Percentiles.Of(edge.Select(o => o.Ms).ToList());
        var edgeSymbolicMs = Percentiles.Of(edge.Where(o => o.Work.Kind == Kind.Small).Select(o => o.Ms).ToList());
        var servableErrors = down.Count(o => o.Error is not null && o.Work.Kind != Kind.NeedsLlm);
        var stats = new EdgeRouterStats(
            after.Edge - before.Edge, after.Cloud - before.Cloud, after.EdgeFallback - before.EdgeFallback, after.Unserved - before.Unserved,
            after.EdgeOverBudget - before.EdgeOverBudget, after.CloudUnreachable - before.CloudUnreachable, after.CloudAvailable);

        return new Result(
            "edge",
            new Composition(
                count, workload.Count(w => w.Kind == Kind.Small), workload.Count(w => w.Kind == Kind.Large), workload.Count(w => w.Kind == Kind.NeedsLlm),
                Ratio(workload.Count(w => w.Kind != Kind.NeedsLlm), count), SmallPool + LargePool),
            new Settings(
                rttMs, concurrency, intervalMs, routerOptions.TargetEdgeShare, routerOptions.LatencyBudget.TotalMilliseconds, routerOptions.CloudRetryInterval.TotalMilliseconds,
                [.. OutageWindows.Select(w => $"requests {(int)(w.From * count)}-{(int)(w.To * count) - 1}")], Share(count), seed),
            Ratio(edge.Count, answered.Count),
            Ratio(upAnswered.Count(o => !o.Cloud), upAnswered.Count),
            Ratio(upDeclared.Count(o => !o.Cloud), upDeclared.Count),
            answered.Count,
            edge.Count,
            cloudAnswers.Count,
            edgeMs,
            edgeSymbolicMs,
            Percentiles.Of(edge.Where(o => o.Work.Kind == Kind.Small && o.Cached).Select(o => o.Ms).ToList()),
            Percentiles.Of(edge.Where(o => o.Work.Kind == Kind.Small && !o.Cached).Select(o => o.Ms).ToList()),
            Percentiles.Of(edge.Where(o => o.Work.Kind == Kind.Large).Select(o => o.Ms).ToList()),
            Percentiles.Of(cloudAnswers.Select(o => o.Ms).ToList()),
            new Fallbacks(
                cloudAnswers.Count(o => o.Work.Kind == Kind.NeedsLlm),
                cloudAnswers.Count(o => o.Work.Kind != Kind.NeedsLlm),
                (int)stats.EdgeFallback),
            new OutageErrors(
                down.Count, servableErrors, down.Count(o => o.Error is not null && o.Work.Kind == Kind.NeedsLlm),
                down.Count(o => o.Work.Kind != Kind.NeedsLlm), down.Count(o => o.Work.Kind == Kind.NeedsLlm)),
            up.Count(o => o.Error is not null),
            outcomes.Where(o => o.Error is not null).GroupBy(o => o.Work.Kind).ToDictionary(g => g.Key.ToString(), g => g.First().Error!),
            stats,
            capability.CacheHits - hitsBefore,
            new Targets(edgeSymbolicMs.P99 < EdgeP99TargetMs, servableErrors == 0),
            Math.Round(wall, 2),
            "Times are per request through service invocation into the planner role (JSON both ways), from the caller. edgeShare: answered "
            + "without the cloud / all answered; edgeShareCloudUp: the same while the cloud was reachable, where the router's TargetEdgeShare "
            + "(the seed's 80/20 default) applies; edgeShareOfDeclaredEffectsCloudUp: requests the edge could answer that it kept. "
            + "edgeSymbolicMs (the target): the small Blocksworld problems (3-6 blocks) the edge answered, cached or planned; edgeLargeMs: "
            + "9-block problems, over the latency budget, which the edge answers only when it has them cached or the cloud is down. "
            + "errorsDuringOutage counts requests started while the fake cloud was down; errorsOutsideOutage are LLM requests refused "
            + "while the router was still edge-only (CloudRetryInterval) after the cloud came back. Cloud answers are the fake's simulated "
            + "RTT plus JSON; its plans are computed before the run (the cloud's CPU is not this machine's)");
    }

    private static double Share(int count) => OutageWindows.Sum(w => (int)(w.To * count) - (int)(w.From * count)) / (double)count;

    private static bool InOutage(int i, int count) => OutageWindows.Any(w => i >= (int)(w.From * count) && i < (int)(w.To * count));

    private static double Ratio(int part, int whole) => whole == 0 ? 0 : Math.Round((double)part / whole, 4);

    private static async Task<Outcome> CallAsync(IServiceInvoker invoker, Work work, bool outage)
    {
        var mark = new StrongBox<bool>();
        DelayingFakeCloudPlanner.Answered.Value = mark;
        var started = Stopwatch.GetTimestamp();
        try
        {
            var response = await invoker.InvokeAsync<PlanningRequest, PlanningResponse>(AppIds.Planner, "v1/plans", work.Request).ConfigureAwait(false);
            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var error = response.Candidates.Count == 0 ? $"no plan: {response.FailureReason}" : null;
            return new Outcome(work, outage, mark.Value, !mark.Value && response.NodesExpanded == 0, ms, error);
        }
        catch (InvocationException ex)
        {
            return new Outcome(work, outage, mark.Value, false, Stopwatch.GetElapsedTime(started).TotalMilliseconds, $"{ex.Status} {ex.Title}: {ex.Detail}");
        }
    }

    /// <summary>A random Blocksworld problem over <paramref name="blocks"/> blocks: random towers to other random towers.</summary>
    private static PlanningRequest Blocks(string domain, Random random, int blocks, string name)
    {
        var names = Enumerable.Range(1, blocks).Select(i => $"b{i}").ToArray();
        var init = new StringBuilder("(handempty)");
        foreach (var tower in Towers(names, random))
        {
            init.Append($" (ontable {tower[0]}) (clear {tower[^1]})");
            for (var j = 1; j < tower.Count; j++)
            {
                init.Append($" (on {tower[j]} {tower[j - 1]})");
            }
        }

        var goal = new StringBuilder();
        foreach (var tower in Towers(names, random))
        {
            for (var j = 1; j < tower.Count; j++)
            {
                goal.Append($" (on {tower[j]} {tower[j - 1]})");
            }
        }

        if (goal.Length == 0)
        {
            goal.Append($" (clear {names[0]})");
        }

        var environment = PddlEnvironment.Create(domain, $"""
            (define (problem {name})
              (:domain blocks)
              (:objects {string.Join(' ', names)})
              (:init {init})
              (:goal (and{goal})))
            """);
        return new PlanningRequest(environment.Manifest(AppIds.PddlPlugin, "1").Actions, environment.State(), environment.Goal);
    }

    private static List<List<string>> Towers(string[] names, Random random)
    {
        var shuffled = names.OrderBy(_ => random.Next()).ToList();
        var towers = new List<List<string>>();
        foreach (var block in shuffled)
        {
            if (towers.Count == 0 || random.NextDouble() < 0.35)
            {
                towers.Add([block]);
            }
            else
            {
                towers[random.Next(towers.Count)].Add(block);
            }
        }

        return towers;
    }

    private static PlanningRequest WithoutEffects(PlanningRequest request) =>
        request with { Actions = request.Actions.Select(a => a with { Effects = null }).ToList() };

    private enum Kind
    {
        Small,
        Large,
        NeedsLlm,
    }

    private sealed record Work(Kind Kind, PlanningRequest Request);

    private sealed record Outcome(Work Work, bool Outage, bool Cloud, bool Cached, double Ms, string? Error);

    /// <summary>
    /// A local fake of the cloud planner (there is no cloud here), reached as <c>planner.maximus</c> by service invocation:
    /// it answers after the simulated round trip, with its own symbolic planner for problems whose actions declare effects and
    /// a one-step plan marked <c>llm</c> (as the cloud's LLM planner would answer) for the rest; while <see cref="Down"/> it
    /// fails as daprd does when it cannot reach the other sidecar. It marks the calls it answered in <see cref="Answered"/>.
    /// </summary>
    private sealed class DelayingFakeCloudPlanner(TimeSpan rtt) : IServiceInvoker
    {
        public static readonly AsyncLocal<StrongBox<bool>?> Answered = new();

        private readonly SymbolicPlanner _planner = new();

        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, PlanningResponse> _answers = new(StringComparer.Ordinal);

        public IServiceInvoker? Inner { get; set; }

        /// <summary>Plans the workload's problems before the run: the cloud's compute is elsewhere, not on this edge machine.</summary>
        public void Prepare(IEnumerable<PlanningRequest> requests)
        {
            foreach (var request in requests)
            {
                Answer(request);
            }
        }

        private PlanningResponse Answer(PlanningRequest request)
        {
            if (!request.Actions.Any(a => a.Effects is { Count: > 0 }))
            {
                var first = request.Actions[0];
                var step = new PlanStep(first.Name, first.Parameters.Select(p => new StepArgument(p.Name, request.State.Objects[0].Name)).ToList());
                return new PlanningResponse([new CandidatePlan([step], "llm")], null, 0, 0);
            }

            var key = string.Join(' ', request.State.Facts.Select(f => f.ToString()).Order(StringComparer.Ordinal)) + " | " + string.Join(' ', request.Goal);
            return _answers.GetOrAdd(key, _ => _planner.Plan(request));
        }

        public bool Down { get; set; }

        public async Task<TResponse> InvokeAsync<TRequest, TResponse>(string appId, string method, TRequest request, CancellationToken cancellationToken = default)
        {
            if (appId != EdgePlanningOptions.DefaultCloudAppId)
            {
                return await Local().InvokeAsync<TRequest, TResponse>(appId, method, request, cancellationToken).ConfigureAwait(false);
            }

            if (Down)
            {
                throw new InvocationException(appId, method, 500, "Internal Server Error", "fail to invoke, id: planner.maximus, err: connection refused");
            }

            var planning = JsonSerializer.Deserialize<PlanningRequest>(JsonSerializer.SerializeToUtf8Bytes(request, MaximusJson.Options), MaximusJson.Options)!;
            var response = Answer(planning);
            await Task.Delay(rtt, cancellationToken).ConfigureAwait(false);
            Answered.Value?.Value = true;
            return JsonSerializer.Deserialize<TResponse>(JsonSerializer.SerializeToUtf8Bytes(response, MaximusJson.Options), MaximusJson.Options)!;
        }

        public Task<TResponse> GetAsync<TResponse>(string appId, string method, CancellationToken cancellationToken = default) =>
            Local().GetAsync<TResponse>(appId, method, cancellationToken);

        private IServiceInvoker Local() => Inner ?? throw new InvalidOperationException("The host's own invoker is not set.");
    }
}
