using System.Diagnostics;
using System.Text.Json;
using Maximus.Contracts;
using Maximus.Contracts.Missions;
using Maximus.Contracts.Planning;
using Maximus.Contracts.Ports;
using Maximus.Composition;
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
/// </summary>
public static class PlanningBenchmark
{
    public sealed record TimeStats(double P50, double P95, double P99);

    public sealed record Result(
        string Benchmark,
        string Suite,
        string Planner,
        int Instances,
        int Succeeded,
        double SuccessRate,
        double MeanPlanLength,
        double? MeanGroundTruthLength,
        TimeStats TimeMs,
        double? ProposerNoise,
        int? SucceededWithoutChecking,
        double? SuccessRateWithoutChecking,
        string? Note,
        IReadOnlyList<string> Failures);

    public static async Task<Result> RunAsync(string suite, string planner, double noise, int seed, int limit, TextWriter progress)
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
        var noisy = new NoisyProposals(noise, seed);
        builder.Services.AddSingleton<IServiceInvoker>(sp => new NoisyPlannerInvoker(sp.GetRequiredService<EmbeddedServiceInvoker>(), noisy));
        using var host = builder.Build();
        if (planner != "symbolic" && host.Services.GetService<Microsoft.Extensions.AI.IChatClient>() is null)
        {
            throw new ArgumentException($"--planner {planner} needs a model: set Maximus:Llm:Provider and its key (see README, LLM layer).");
        }

        await host.StartAsync().ConfigureAwait(false);
        var invoker = host.Services.GetRequiredService<IServiceInvoker>();
        var simulate = planner != "llm";
        var proposer = planner == "symbolic" ? "symbolic" : "llm";
        progress.WriteLine($"planning: {instances.Count} instances of {suite}, planner {planner}{(noise > 0 ? $", proposer noise {noise}" : "")}");

        var times = new List<double>();
        var lengths = new List<int>();
        var truthLengths = new List<int>();
        var failures = new List<string>();
        int succeeded = 0, uncheckedSucceeded = 0;
        foreach (var instance in instances)
        {
            var name = Path.GetFileName(instance);
            var problem = await File.ReadAllTextAsync(instance).ConfigureAwait(false);
            var watch = Stopwatch.StartNew();
            var result = await RunMissionAsync(invoker, domain, problem, domainPath, instance, simulate, noise > 0 ? 60 : 3, proposer).ConfigureAwait(false);
            times.Add(watch.Elapsed.TotalMilliseconds);
            if (result is { Status: "Succeeded", GoalReached: true })
            {
                succeeded++;
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
                // The same proposals, executed as proposed: no simulation, no second chance.
                var raw = await RunMissionAsync(invoker, domain, problem, domainPath, instance, simulate: false, maxReplans: 0, proposer).ConfigureAwait(false);
                if (raw is { Status: "Succeeded", GoalReached: true })
                {
                    uncheckedSucceeded++;
                }
            }

            progress.Write('.');
        }

        progress.WriteLine();
        await host.StopAsync().ConfigureAwait(false);
        var n = instances.Count;
        var sorted = times.Order().ToArray();
        double Rank(double p) => n == 0 ? 0 : Math.Round(sorted[Math.Clamp((int)Math.Ceiling(p * n) - 1, 0, n - 1)], 1);
        return new Result(
            "planning", suite, planner, n, succeeded, n == 0 ? 0 : Math.Round((double)succeeded / n, 4),
            lengths.Count == 0 ? 0 : Math.Round(lengths.Average(), 2),
            truthLengths.Count == 0 ? null : Math.Round(truthLengths.Average(), 2),
            new TimeStats(Rank(0.50), Rank(0.95), Rank(0.99)),
            noise > 0 ? noise : null,
            noise > 0 ? uncheckedSucceeded : null,
            noise > 0 && n > 0 ? Math.Round((double)uncheckedSucceeded / n, 4) : null,
            noise > 0
                ? $"Each proposed step was replaced by a random action with probability {noise}. successRate: the world model simulates every candidate and the planner repairs from the longest valid prefix; successRateWithoutChecking: the same proposals executed as proposed."
                : null,
            failures.Take(20).ToList());
    }

    private static async Task<MissionResult?> RunMissionAsync(
        IServiceInvoker invoker, string domain, string problem, string domainFile, string problemFile, bool simulate, int maxReplans, string proposer)
    {
        var env = await invoker.InvokeAsync<CreateEnvironmentRequest, EnvironmentCreated>(
            AppIds.PddlPlugin, "v1/environments", new CreateEnvironmentRequest(domain, problem, domainFile, problemFile)).ConfigureAwait(false);
        var accepted = await invoker.InvokeAsync<MissionRequest, MissionAccepted>(
            AppIds.Orchestrator, "v1/missions",
            new MissionRequest(AppIds.PddlPlugin, env.EnvironmentId, "bench", MaxCandidates: 3, MaxReplans: maxReplans, Simulate: simulate, Planner: proposer)).ConfigureAwait(false);
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

/// <summary>Replaces proposed steps with random actions over the plugin's objects (seeded, thread-safe).</summary>
public sealed class NoisyProposals(double probability, int seed)
{
    private readonly Random _random = new(seed);
    private readonly Lock _gate = new();

    public PlanningResponse Corrupt(PlanningRequest request, PlanningResponse response)
    {
        if (probability <= 0)
        {
            return response;
        }

        lock (_gate)
        {
            return response with
            {
                Candidates = response.Candidates.Select(c => c with
                {
                    Steps = c.Steps.Select(step => _random.NextDouble() < probability ? RandomStep(request) ?? step : step).ToList(),
                }).ToList(),
            };
        }
    }

    private PlanStep? RandomStep(PlanningRequest request)
    {
        if (request.Actions.Count == 0 || request.State.Objects.Count == 0)
        {
            return null;
        }

        var action = request.Actions[_random.Next(request.Actions.Count)];
        var arguments = new List<StepArgument>();
        foreach (var parameter in action.Parameters)
        {
            var candidates = request.State.Objects.Where(o => parameter.Type == "object" || o.Type == parameter.Type).Select(o => o.Name).Distinct().ToList();
            if (candidates.Count == 0)
            {
                return null;
            }

            arguments.Add(new StepArgument(parameter.Name, candidates[_random.Next(candidates.Count)]));
        }

        return new PlanStep(action.Name, arguments);
    }
}

/// <summary>Passes every call through, corrupting the planner's proposals on the way back.</summary>
public sealed class NoisyPlannerInvoker(IServiceInvoker inner, NoisyProposals noise) : IServiceInvoker
{
    public async Task<TResponse> InvokeAsync<TRequest, TResponse>(string appId, string method, TRequest request, CancellationToken cancellationToken = default)
    {
        var response = await inner.InvokeAsync<TRequest, TResponse>(appId, method, request, cancellationToken).ConfigureAwait(false);
        if (appId == AppIds.Planner && request is PlanningRequest planning && response is PlanningResponse plans)
        {
            return (TResponse)(object)noise.Corrupt(planning, plans);
        }

        return response;
    }

    public Task<TResponse> GetAsync<TResponse>(string appId, string method, CancellationToken cancellationToken = default) =>
        inner.GetAsync<TResponse>(appId, method, cancellationToken);

    public Task<TResponse> DeleteAsync<TResponse>(string appId, string method, CancellationToken cancellationToken = default) =>
        inner.DeleteAsync<TResponse>(appId, method, cancellationToken);
}
