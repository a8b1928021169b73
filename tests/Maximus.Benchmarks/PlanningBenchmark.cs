using System.Diagnostics;
using System.Text.Json;
using Maximus.Contracts;
using Maximus.Contracts.Missions;
using Maximus.Contracts.Planning;
using Maximus.Contracts.Ports;
using Maximus.Composition;
using Maximus.Planning.Llm;
using Maximus.Plugins.Pddl.Service;
using Maximus.Runtime.Embedded;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Maximus.Benchmarks;

/// <summary>
/// Runs every instance of a PlanBench-style suite (<c>domain.pddl</c>, <c>instances/*.pddl</c>, optional
/// <c>ground_truth_plans.json</c>) as a full mission through the orchestrator, planner, world model, executor and
/// the PDDL plugin on the embedded runtime. Success is the plugin's own goal check after execution.
/// With <c>--proposer-noise p</c> every proposed step is replaced by a random action with probability p (a stand-in
/// for a model's mistakes), and each instance also runs without simulation, to show what checking catches.
/// <c>timeMs</c> is each whole mission; <c>planPhaseMs</c> is its plan phase alone (state read and every planner call,
/// replans included), with the slowest instance as <c>max</c>.
/// </summary>
public static class PlanningBenchmark
{
    public sealed record TimeStats(double P50, double P95, double P99);

    /// <summary>Missions whose executed steps came from one planner (or a mix, <c>llm+symbolic</c>; <c>none</c>: nothing executed).</summary>
    public sealed record PlannerShare(int Missions, int Succeeded, double SuccessRate);

    /// <summary>
    /// One arm of a noise run. <see cref="ProposalsDigest"/> is the SHA-256 of the first-round proposals of every instance
    /// as this arm received them; <see cref="FailedSteps"/> counts the steps the plugin refused or failed (what acting without
/// checking costs in the environment); <see cref="ReplayedRounds"/> counts planning rounds answered from proposals the other
    /// arm had recorded for the same request.
    /// </summary>
    public sealed record NoiseArm(
        bool Simulate,
        int Succeeded,
        double SuccessRate,
        int ReplanBudget,
        double MeanReplans,
        int FailedSteps,
        int PlanningRounds,
        int ReplayedRounds,
        string ProposalsDigest,
        IReadOnlyDictionary<string, PlannerShare> ByPlanner);

    public sealed record Result(
        string Benchmark,
        string Suite,
        string Planner,
        bool PlannerFallback,
        int Instances,
        int Succeeded,
        double SuccessRate,
        IReadOnlyDictionary<string, PlannerShare> ByPlanner,
        double MeanPlanLength,
        double? MeanGroundTruthLength,
        TimeStats TimeMs,
        double? ProposerNoise,
        int? SucceededWithoutChecking,
        double? SuccessRateWithoutChecking,
        IReadOnlyDictionary<string, NoiseArm>? Arms,
        string? Note,
        IReadOnlyList<string> Failures,
        Percentiles PlanPhaseMs);

    public static async Task<Result> RunAsync(string suite, string planner, double noise, int seed, int limit, int? maxReplans, TextWriter progress)
    {
        var domainPath = Path.Combine(suite, "domain.pddl");
        var instancesDir = Path.Combine(suite, "instances");
        if (!File.Exists(domainPath) || !Directory.Exists(instancesDir))
        {
            throw new ArgumentException($"{suite} must hold domain.pddl and instances/*.pddl.");
        }

        if (planner is not ("symbolic" or "llm" or "llm+wm"))
        {
            throw new ArgumentException($"--planner must be symbolic, llm or llm+wm, not '{planner}'.");
        }

        var instances = Directory.GetFiles(instancesDir, "*.pddl").OrderBy(f => f, NaturalOrder.Instance).Take(limit).ToList();
        var groundTruth = ReadGroundTruth(Path.Combine(suite, "ground_truth_plans.json"));
        var domain = await File.ReadAllTextAsync(domainPath).ConfigureAwait(false);

        var dataDir = Directory.CreateTempSubdirectory("maximus-bench-planning-").FullName;
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Serilog:MinimumLevel:Default"] = "Error" });
        builder.AddMaximusLogging(toStandardError: true);
        builder.AddMaximus(MaximusHostSettings.All(dataDir));
        var tape = new ProposalTape(noise, seed);
        builder.Services.AddSingleton<IServiceInvoker>(sp => new NoisyPlannerInvoker(sp.GetRequiredService<EmbeddedServiceInvoker>(), tape));
        using var host = builder.Build();
        if (planner != "symbolic" && host.Services.GetService<Microsoft.Extensions.AI.IChatClient>() is null)
        {
            // Measured as an LLM run, answered by nothing else: without a model there is nothing to measure.
            throw new ArgumentException($"--planner {planner} needs a model: {LlmPlanner.NoModelHint} (see README, LLM layer).");
        }

        await host.StartAsync().ConfigureAwait(false);
        var invoker = host.Services.GetRequiredService<IServiceInvoker>();
        var simulate = planner != "llm";
        var proposer = planner == "symbolic" ? "symbolic" : "llm";
        var fallback = planner == "symbolic";
        var budget = maxReplans ?? (noise > 0 ? 60 : 3);
        progress.WriteLine($"planning: {instances.Count} instances of {suite}, planner {planner}{(noise > 0 ? $", proposer noise {noise}" : "")}, replan budget {budget}");

        var times = new List<double>();
        var lengths = new List<int>();
        var truthLengths = new List<int>();
        var failures = new List<string>();
        var checkedArm = new ArmTally(simulate, budget);
        var uncheckedArm = new ArmTally(false, budget);
        var planPhase = new List<double>();
        foreach (var instance in instances)
        {
            var name = Path.GetFileName(instance);
            var problem = await File.ReadAllTextAsync(instance).ConfigureAwait(false);
            var watch = Stopwatch.StartNew();
            tape.Begin("checked", name);
            var result = await RunMissionAsync(invoker, Agent("checked", name), domain, problem, domainPath, instance, simulate, budget, proposer, fallback).ConfigureAwait(false);
            times.Add(watch.Elapsed.TotalMilliseconds);
            checkedArm.Add(result);
            planPhase.Add(result?.Phases.Where(p => p.Name == "plan").Sum(p => p.DurationMs) ?? 0);
            if (result is { Status: "Succeeded", GoalReached: true })
            {
                lengths.Add(result.Plan.Count);
                if (groundTruth.TryGetValue(name, out var truth))
                {
                    truthLengths.Add(truth);
                }
            }
            else
            {
                failures.Add($"{name}: {result?.Reason ?? "no result"}");
            }

            if (noise > 0)
            {
                // The same proposals (replayed from the tape for every request the checked arm made), executed as proposed:
                // no simulation, the same replan budget.
                tape.Begin("unchecked", name);
                uncheckedArm.Add(await RunMissionAsync(invoker, Agent("unchecked", name), domain, problem, domainPath, instance, simulate: false, budget, proposer, fallback).ConfigureAwait(false));
            }

            progress.Write('.');
        }

        progress.WriteLine();
        await host.StopAsync().ConfigureAwait(false);
        var n = instances.Count;
        var sorted = times.Order().ToArray();
        double Rank(double p) => n == 0 ? 0 : Math.Round(sorted[Math.Clamp((int)Math.Ceiling(p * n) - 1, 0, n - 1)], 1);
        var arms = noise > 0
            ? new Dictionary<string, NoiseArm> { ["checked"] = checkedArm.Summary(tape, "checked", n), ["unchecked"] = uncheckedArm.Summary(tape, "unchecked", n) }
            : null;
        return new Result(
            "planning", suite, planner, fallback, n, checkedArm.Succeeded, Rate(checkedArm.Succeeded, n), checkedArm.ByPlanner(),
            lengths.Count == 0 ? 0 : Math.Round(lengths.Average(), 2),
            truthLengths.Count == 0 ? null : Math.Round(truthLengths.Average(), 2),
            new TimeStats(Rank(0.50), Rank(0.95), Rank(0.99)),
            noise > 0 ? noise : null,
            noise > 0 ? uncheckedArm.Succeeded : null,
            noise > 0 ? Rate(uncheckedArm.Succeeded, n) : null,
            arms,
            noise > 0
                ? $"Each proposed step was replaced by a random action with probability {noise}, drawn once per planning request and replayed to both arms "
                  + "(proposalsDigest: the first-round proposals of every instance as each arm received them). checked: the world model simulates every "
                  + "candidate and the planner repairs from the longest valid prefix; unchecked: the proposals executed as proposed, replanning from the "
                  + $"real state after a failed step. Both arms have the same replan budget ({budget})."
                : null,
            failures.Take(20).ToList(),
            Percentiles.Of(planPhase));
    }

    /// <summary>
    /// Each mission runs as its own agent, so no mission recalls another's procedures: the benchmark measures the planner and
    /// the world model, not memory (the learning benchmark measures that).
    /// </summary>
    private static string Agent(string arm, string instance) => $"bench-{arm}-{Path.GetFileNameWithoutExtension(instance)}";

    private static double Rate(int succeeded, int n) => n == 0 ? 0 : Math.Round((double)succeeded / n, 4);

    /// <summary>What one arm's missions did: successes, replans, and the planner of each executed plan.</summary>
    private sealed class ArmTally(bool simulate, int budget)
    {
        private readonly List<MissionResult?> _results = [];

        public int Succeeded => _results.Count(IsSuccess);

        public void Add(MissionResult? result) => _results.Add(result);

        public IReadOnlyDictionary<string, PlannerShare> ByPlanner() => _results
            .GroupBy(r => r?.Planner ?? "none", StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => new PlannerShare(g.Count(), g.Count(IsSuccess), Rate(g.Count(IsSuccess), g.Count())));

        public NoiseArm Summary(ProposalTape tape, string arm, int n) => new(
            simulate, Succeeded, Rate(Succeeded, n), budget,
            _results.Count == 0 ? 0 : Math.Round(_results.Average(r => r?.Replans ?? 0), 2),
            _results.Sum(r => r?.FailedSteps ?? 0),
            tape.Rounds(arm), tape.Replayed(arm), tape.FirstRoundDigest(arm), ByPlanner());

        private static bool IsSuccess(MissionResult? r) => r is { Status: "Succeeded", GoalReached: true };
    }

    private static async Task<MissionResult?> RunMissionAsync(
        IServiceInvoker invoker, string agentId, string domain, string problem, string domainFile, string problemFile, bool simulate, int maxReplans, string proposer, bool fallback)
    {
        var env = await invoker.InvokeAsync<CreateEnvironmentRequest, EnvironmentCreated>(
            AppIds.PddlPlugin, "v1/environments", new CreateEnvironmentRequest(domain, problem, domainFile, problemFile)).ConfigureAwait(false);
        var accepted = await invoker.InvokeAsync<MissionRequest, MissionAccepted>(
            AppIds.Orchestrator, "v1/missions",
            new MissionRequest(AppIds.PddlPlugin, env.EnvironmentId, agentId, MaxCandidates: 3, MaxReplans: maxReplans, Simulate: simulate, Planner: proposer, PlannerFallback: fallback))
            .ConfigureAwait(false);
        while (true)
        {
            var view = await invoker.GetAsync<MissionView>(AppIds.Orchestrator, $"v1/missions/{accepted.MissionId}").ConfigureAwait(false);
            if (view.Status is "Succeeded" or "Failed")
            {
                return view.Result ?? new MissionResult(accepted.MissionId, "Failed", false, [], [], 0, 0, view.Failure);
            }

            await Task.Delay(2).ConfigureAwait(false);
        }
    }

    private static Dictionary<string, int> ReadGroundTruth(string path)
    {
        var lengths = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        if (!File.Exists(path))
        {
            return lengths;
        }

        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var plans = doc.RootElement.TryGetProperty("plans", out var p) ? p : doc.RootElement;
        if (plans.ValueKind != JsonValueKind.Object)
        {
            return lengths;
        }

        foreach (var entry in plans.EnumerateObject())
        {
            if (entry.Value.ValueKind == JsonValueKind.Object && entry.Value.TryGetProperty("plan_length", out var len) && len.TryGetInt32(out var n))
            {
                lengths[entry.Name] = n;
            }
            else if (entry.Value.ValueKind == JsonValueKind.Object && entry.Value.TryGetProperty("plan", out var plan) && plan.ValueKind == JsonValueKind.Array)
            {
                lengths[entry.Name] = plan.GetArrayLength();
            }
        }

        return lengths;
    }

    /// <summary>instance-2 before instance-10.</summary>
    private sealed class NaturalOrder : IComparer<string>
    {
        public static NaturalOrder Instance { get; } = new();

        public int Compare(string? x, string? y)
        {
            static (string, long) Key(string? s)
            {
                var name = Path.GetFileNameWithoutExtension(s ?? "");
                var digits = new string(name.Reverse().TakeWhile(char.IsDigit).Reverse().ToArray());
                return (name[..^digits.Length], digits.Length == 0 ? -1 : long.Parse(digits, System.Globalization.CultureInfo.InvariantCulture));
            }

            var (px, nx) = Key(x);
            var (py, ny) = Key(y);
            var c = string.CompareOrdinal(px, py);
            return c != 0 ? c : nx.CompareTo(ny);
        }
    }
}

/// <summary>
/// The noisy proposer of a noise run, recorded once and replayed: the first planning request with a given content (state,
/// goal, excluded steps, feedback, number of candidates) is answered by the planner and its proposals corrupted — each step replaced
/// by a random action with the given probability, drawn from a generator seeded by the seed and the request — and the
/// corrupted answer is recorded; every later request with the same content, from either arm, gets the recorded answer
/// without asking the planner again. Both arms therefore see the same proposals whenever they ask the same question (the
/// first round of every instance always), and the same random draws never depend on which arm asked first.
/// </summary>
public sealed class ProposalTape(double probability, int seed)
{
    private readonly Dictionary<string, (string Arm, PlanningResponse Response)> _recorded = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _firstRounds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _rounds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _replayed = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private string _arm = "checked";
    private string? _instance;

    public bool Enabled => probability > 0;

    /// <summary>The missions that follow belong to this arm and instance (missions of a run are sequential).</summary>
    public void Begin(string arm, string instance)
    {
        lock (_gate)
        {
            _arm = arm;
            _instance = instance;
        }
    }

    public async Task<PlanningResponse> AnswerAsync(PlanningRequest request, Func<Task<PlanningResponse>> plan)
    {
        var key = Key(request);
        string arm;
        lock (_gate)
        {
            arm = _arm;
            _rounds[arm] = _rounds.GetValueOrDefault(arm) + 1;
            if (_recorded.TryGetValue(key, out var recorded))
            {
                if (recorded.Arm != arm)
                {
                    _replayed[arm] = _replayed.GetValueOrDefault(arm) + 1;
                }

                return Note(arm, recorded.Response);
            }
        }

        var corrupted = Corrupt(request, await plan().ConfigureAwait(false), key);
        lock (_gate)
        {
            _recorded.TryAdd(key, (arm, corrupted));
            return Note(arm, _recorded[key].Response);
        }
    }

    public int Rounds(string arm) => _rounds.GetValueOrDefault(arm);

    public int Replayed(string arm) => _replayed.GetValueOrDefault(arm);

    /// <summary>SHA-256 of the first-round proposals of every instance, in the order the arm ran them.</summary>
    public string FirstRoundDigest(string arm) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
        System.Text.Encoding.UTF8.GetBytes(string.Join("\n", _firstRounds.GetValueOrDefault(arm) ?? [])))[..16]);

    private PlanningResponse Note(string arm, PlanningResponse response)
    {
        if (_instance is { } instance)
        {
            var firsts = _firstRounds.TryGetValue(arm, out var list) ? list : _firstRounds[arm] = [];
            var tag = instance + ":";
            if (!firsts.Any(f => f.StartsWith(tag, StringComparison.Ordinal)))
            {
                firsts.Add(tag + string.Join("|", response.Candidates.Select(c => string.Join(' ', c.Steps))));
            }
        }

        return response;
    }

    private static string Key(PlanningRequest request) => string.Join("\n",
        string.Join(' ', request.State.Facts.Select(f => f.ToString()).Order(StringComparer.Ordinal)),
        string.Join(' ', request.Goal.Select(f => f.ToString())),
        string.Join(' ', (request.ExcludedSteps ?? []).Order(StringComparer.Ordinal)),
        string.Join(" | ", request.Feedback ?? []),
        request.MaxCandidates.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private PlanningResponse Corrupt(PlanningRequest request, PlanningResponse response, string key)
    {
        if (probability <= 0)
        {
            return response;
        }

        var random = new Random(seed ^ BitConverter.ToInt32(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key))));
        return response with
        {
            Candidates = response.Candidates.Select(c => c with
            {
                Steps = c.Steps.Select(step => random.NextDouble() < probability ? RandomStep(request, random) ?? step : step).ToList(),
            }).ToList(),
        };
    }

    private static PlanStep? RandomStep(PlanningRequest request, Random random)
    {
        if (request.Actions.Count == 0 || request.State.Objects.Count == 0)
        {
            return null;
        }

        var action = request.Actions[random.Next(request.Actions.Count)];
        var arguments = new List<StepArgument>();
        foreach (var parameter in action.Parameters)
        {
            var candidates = request.State.Objects.Where(o => parameter.Type == "object" || o.Type == parameter.Type).Select(o => o.Name).Distinct().ToList();
            if (candidates.Count == 0)
            {
                return null;
            }

            arguments.Add(new StepArgument(parameter.Name, candidates[random.Next(candidates.Count)]));
        }

        return new PlanStep(action.Name, arguments);
    }
}

/// <summary>Passes every call through; the planner's proposals come from the <see cref="ProposalTape"/> when noise is on.</summary>
public sealed class NoisyPlannerInvoker(IServiceInvoker inner, ProposalTape tape) : IServiceInvoker
{
    public async Task<TResponse> InvokeAsync<TRequest, TResponse>(string appId, string method, TRequest request, CancellationToken cancellationToken = default)
    {
        if (tape.Enabled && appId == AppIds.Planner && request is PlanningRequest planning && typeof(TResponse) == typeof(PlanningResponse))
        {
            var answer = await tape.AnswerAsync(planning, async () => (PlanningResponse)(object)(await inner.InvokeAsync<TRequest, TResponse>(appId, method, request, cancellationToken).ConfigureAwait(false))!)
                .ConfigureAwait(false);
            return (TResponse)(object)answer;
        }

        return await inner.InvokeAsync<TRequest, TResponse>(appId, method, request, cancellationToken).ConfigureAwait(false);
    }

    public Task<TResponse> GetAsync<TResponse>(string appId, string method, CancellationToken cancellationToken = default) =>
        inner.GetAsync<TResponse>(appId, method, cancellationToken);

    public Task<TResponse> DeleteAsync<TResponse>(string appId, string method, CancellationToken cancellationToken = default) =>
        inner.DeleteAsync<TResponse>(appId, method, cancellationToken);
}
