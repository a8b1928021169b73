using System.Collections.Concurrent;
using System.CommandLine;
using System.Text.Json;
using Maximus.Composition;
using Maximus.Contracts;
using Maximus.Contracts.Missions;
using Maximus.Contracts.Plugins;
using Maximus.Contracts.Ports;
using Maximus.Plugins.Pddl;
using Maximus.Plugins.Pddl.Service;
using Maximus.Runtime.Embedded;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Maximus.Benchmarks;

/// <summary>
/// Does memory change what the agent does? Full missions through the orchestrator on the embedded runtime and the
/// pddl-env plugin, in two parts:
/// <list type="bullet">
/// <item><c>repeats</c>: each PlanBench instance runs twice on fresh environments, with the same agent id and data
/// directory, so the second mission has the memory of the first (its plan phase, and whether it executed a recalled
/// procedure).</item>
/// <item><c>hiddenPreconditions</c>: the drone-courier fixture, whose executed domain has a precondition its manifest
/// does not declare, for 50 seeded problems with the host restarted after mission 25, with memory and without.</item>
/// </list>
/// </summary>
public static class LearningBenchmark
{
    public const int HiddenMissions = 50;
    public const int RestartAfter = 25;

    public sealed record PlanningMs(Percentiles First, Percentiles Second);

    public sealed record Repeats(
        int Instances,
        int Runs,
        int Succeeded,
        double SuccessRate,
        PlanningMs PlanningMs,
        double? PlanningMsRatio,
        PlanningMs ObserveMs,
        int ReusedProcedures,
        IReadOnlyDictionary<string, int> SecondPlanners,
        IReadOnlyList<string> Failures);

    public sealed record Arm(
        string AgentIds,
        int Missions,
        int Succeeded,
        double SuccessRate,
        int FailedStepsFirst25,
        int FailedStepsLast25,
        IReadOnlyDictionary<string, int> Planners,
        IReadOnlyList<string> Failures);

    public sealed record HiddenPreconditions(
        string Fixture,
        string HiddenPrecondition,
        int Seed,
        int CalmProblems,
        Arm MemoryOn,
        Arm MemoryOff);

    public sealed record Result(
        string Benchmark,
        IReadOnlyList<string> Suites,
        int Instances,
        Repeats Repeats,
        HiddenPreconditions HiddenPreconditions,
        bool SurvivesRestart,
        string Note);

    public static Command CreateCommand(Option<bool> json)
    {
        var suites = new Option<string[]>("--suite")
        {
            Description = "A PlanBench folder (domain.pddl, instances/*.pddl); repeatable. Default: ../shared/fixtures/planbench/{blocksworld,logistics}, absent ones skipped.",
        };
        var limit = new Option<int>("--limit") { Description = "At most this many instances per suite.", DefaultValueFactory = _ => 20 };
        var seed = new Option<int>("--seed") { Description = "Seed of the hidden-precondition problems.", DefaultValueFactory = _ => 20261203 };
        var command = new Command("learning", "Memory across missions: repeated instances, and a plugin with a hidden precondition across a host restart.") { suites, limit, seed };
        command.SetAction(async result =>
        {
            var given = result.GetValue(suites) is { Length: > 0 } s ? s : null;
            var folders = (given ?? [Path.Combine("..", "shared", "fixtures", "planbench", "blocksworld"), Path.Combine("..", "shared", "fixtures", "planbench", "logistics")])
                .Where(f => given is not null || (File.Exists(Path.Combine(f, "domain.pddl")) && Directory.Exists(Path.Combine(f, "instances"))))
                .ToList();
            try
            {
                if (result.GetValue(limit) < 1)
                {
                    throw new ArgumentException("--limit must be at least 1.");
                }

                var r = await RunAsync(folders, result.GetValue(limit), result.GetValue(seed), Console.Error).ConfigureAwait(false);
                var asJson = result.GetValue(json);
                Console.Out.WriteLine(JsonSerializer.Serialize(r, new JsonSerializerOptions(MaximusJson.Options) { WriteIndented = !asJson }));
                return 0;
            }
            catch (ArgumentException ex)
            {
                await Console.Error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
                return 2;
            }
        });
        return command;
    }

    public static async Task<Result> RunAsync(IReadOnlyList<string> suites, int limit, int seed, TextWriter progress)
    {
        foreach (var suite in suites)
        {
            if (!File.Exists(Path.Combine(suite, "domain.pddl")) || !Directory.Exists(Path.Combine(suite, "instances")))
            {
                throw new ArgumentException($"{suite} must hold domain.pddl and instances/*.pddl.");
            }
        }

        var repeats = await RunRepeatsAsync(suites, limit, progress).ConfigureAwait(false);
        var hidden = await RunHiddenAsync(seed, progress).ConfigureAwait(false);
        var on = hidden.MemoryOn;
        var survives = on.FailedStepsLast25 <= on.FailedStepsFirst25;
        return new Result(
            "learning",
            suites,
            repeats.Instances,
            repeats,
            hidden,
            survives,
            "repeats: every instance runs twice on fresh environments under one agent id per instance (so the first run has no memory of any "
            + "other instance) in one data directory; planningMs is the mission's plan phase (planner calls; a recalled procedure executed as the plan needs none), observeMs its "
            + "observe phase (plugin manifest and state, and memory recall), reported apart so the cost of recall is not hidden; reusedProcedures "
            + "counts second missions whose Planner starts with 'memory'. hiddenPreconditions: the drone-courier fixture "
            + "(tests/Maximus.Benchmarks/Fixtures/hidden-preconditions) is executed by the pddl-env plugin as written, while missions are "
            + "handed the manifest the plugin builds from the same domain without the lines marked '; hidden' (the benchmark answers "
            + "plugin/manifest for its environments; the plugin itself has no option to hide a precondition); 50 seeded problems, the "
            + $"host stopped and rebuilt on the same data directory after mission {RestartAfter}. memoryOn: one agent id across all 50 missions and "
            + "the restart; memoryOff: every mission on a new host with a new, empty data directory and a fresh agent id, so nothing learned "
            + "survives: not the agent's memory (procedures, learned preconditions) and not the empirical world model's outcome counts, which "
            + "live in the data directory's state store and are shared by all agents (a fresh agent id alone would keep them). "
            + $"survivesRestart: memoryOn's sum of FailedSteps over missions {RestartAfter + 1}-{HiddenMissions} (after the restart) <= its sum over "
            + $"missions 1-{RestartAfter}. Timings are wall-clock on a shared machine and noisy under load.");
    }

    private static async Task<Repeats> RunRepeatsAsync(IReadOnlyList<string> suites, int limit, TextWriter progress)
    {
        var dataDir = Directory.CreateTempSubdirectory("maximus-bench-learning-repeats-").FullName;
        var manifests = new ConcurrentDictionary<string, PluginManifest>(StringComparer.Ordinal);
        var host = await StartHostAsync(dataDir, manifests).ConfigureAwait(false);
        var first = new List<double>();
        var second = new List<double>();
        var observeFirst = new List<double>();
        var observeSecond = new List<double>();
        var failures = new List<string>();
        var secondPlanners = new SortedDictionary<string, int>(StringComparer.Ordinal);
        int runs = 0, succeeded = 0, reused = 0, instances = 0;
        try
        {
            var invoker = host.Services.GetRequiredService<IServiceInvoker>();
            foreach (var suite in suites)
            {
                var domainPath = Path.Combine(suite, "domain.pddl");
                var domain = await File.ReadAllTextAsync(domainPath).ConfigureAwait(false);
                var files = Directory.GetFiles(Path.Combine(suite, "instances"), "*.pddl")
                    .OrderBy(f => f.Length).ThenBy(f => f, StringComparer.Ordinal).Take(limit).ToList();
                progress.WriteLine($"learning/repeats: {files.Count} instances of {suite}, each twice");
                foreach (var file in files)
                {
                    instances++;
                    var problem = await File.ReadAllTextAsync(file).ConfigureAwait(false);
                    var agent = AgentId("repeat", Path.GetFileName(Path.GetFullPath(suite)) + "-" + Path.GetFileNameWithoutExtension(file));
                    for (var round = 0; round < 2; round++)
                    {
                        var r = await RunMissionAsync(invoker, domain, problem, domainPath, file, agent, null, manifests).ConfigureAwait(false);
                        runs++;
                        var plan = r.Phases.Where(p => p.Name == "plan").Sum(p => p.DurationMs);
                        (round == 0 ? first : second).Add(plan);
                        (round == 0 ? observeFirst : observeSecond).Add(r.Phases.Where(p => p.Name == "observe").Sum(p => p.DurationMs));
                        if (IsSuccess(r))
                        {
                            succeeded++;
                        }
                        else
                        {
                            failures.Add($"{Path.GetFileName(file)}#{round + 1}: {r.Reason ?? r.Status}");
                        }

                        if (round == 1)
                        {
                            var planner = r.Planner ?? "none";
                            secondPlanners[planner] = secondPlanners.GetValueOrDefault(planner) + 1;
                            if (planner.StartsWith("memory", StringComparison.Ordinal))
                            {
                                reused++;
                            }
                        }
                    }

                    progress.Write('.');
                }

                progress.WriteLine();
            }
        }
        finally
        {
            await StopAsync(host).ConfigureAwait(false);
        }

        var p1 = Percentiles.Of(first);
        var p2 = Percentiles.Of(second);
        return new Repeats(
            instances, runs, succeeded, Rate(succeeded, runs), new PlanningMs(p1, p2),
            p1.P50 > 0 ? Math.Round(p2.P50 / p1.P50, 4) : null,
            new PlanningMs(Percentiles.Of(observeFirst), Percentiles.Of(observeSecond)),
            reused, secondPlanners, failures.Take(20).ToList());
    }

    private static async Task<HiddenPreconditions> RunHiddenAsync(int seed, TextWriter progress)
    {
        var fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "hidden-preconditions", "domain.pddl");
        var executed = await File.ReadAllTextAsync(fixture).ConfigureAwait(false);
        var lines = executed.Split('\n');
        var hiddenLines = lines.Where(IsHidden).Select(l => l[..l.IndexOf(';', StringComparison.Ordinal)].Trim()).ToList();
        if (hiddenLines.Count == 0)
        {
            throw new ArgumentException($"{fixture} marks no precondition '; hidden'.");
        }

        var declared = string.Join('\n', lines.Where(l => !IsHidden(l)));
        var random = new Random(seed);
        var problems = Enumerable.Range(1, HiddenMissions).Select(i => Problem(i, random)).ToList();
        var on = await RunArmAsync("memoryOn", problems, executed, declared, fixture, _ => "learn-hidden-on", forget: false, progress).ConfigureAwait(false);
        var off = await RunArmAsync("memoryOff", problems, executed, declared, fixture, i => $"learn-hidden-off-{i}", forget: true, progress).ConfigureAwait(false);
        return new HiddenPreconditions(
            "tests/Maximus.Benchmarks/Fixtures/hidden-preconditions/domain.pddl", string.Join(' ', hiddenLines), seed, problems.Count(p => p.Calm), on, off);

        static bool IsHidden(string line) => line.TrimEnd().EndsWith("; hidden", StringComparison.Ordinal) && !line.TrimStart().StartsWith(';');
    }

    /// <summary>
    /// A parcel at the depot to deliver to the city: one flight between the two pads (when the air is calm, which the manifest does
    /// not say), or a drive along a chain of 2 to 4 roads. Every problem is solvable by driving.
    /// </summary>
    private static (string Text, bool Calm) Problem(int index, Random random)
    {
        var calm = random.NextDouble() < 0.5;
        var hops = random.Next(2, 5);
        var parcel = $"parcel{random.Next(100, 1000)}";
        var places = new List<string> { "depot" };
        places.AddRange(Enumerable.Range(1, hops - 1).Select(i => $"stop{i}"));
        places.Add("city");
        var roads = string.Join(' ', places.Zip(places.Skip(1), (a, b) => $"(road {a} {b})"));
        var text = $"""
            (define (problem deliver-{index})
              (:domain drone-courier)
              (:objects {parcel} - parcel {string.Join(' ', places)} - place)
              (:init (at {parcel} depot) (pad depot) (pad city) {roads}{(calm ? " (calm)" : "")})
              (:goal (at {parcel} city)))
            """;
        return (text, calm);
    }

    private static async Task<Arm> RunArmAsync(
        string arm, IReadOnlyList<(string Text, bool Calm)> problems, string executed, string declared, string fixture, Func<int, string> agentFor, bool forget, TextWriter progress)
    {
        var dataDir = Directory.CreateTempSubdirectory($"maximus-bench-learning-{arm}-").FullName;
        var manifests = new ConcurrentDictionary<string, PluginManifest>(StringComparer.Ordinal);
        var results = new List<MissionResult>();
        progress.WriteLine($"learning/hidden {arm}: {problems.Count} missions, host restarted {(forget ? "before each" : $"after {RestartAfter}")}");
        var host = await StartHostAsync(dataDir, manifests).ConfigureAwait(false);
        try
        {
            for (var i = 0; i < problems.Count; i++)
            {
                if (forget && i > 0)
                {
                    // Nothing survives from one mission to the next: a new host on a new, empty data directory.
                    await StopAsync(host).ConfigureAwait(false);
                    dataDir = Directory.CreateTempSubdirectory($"maximus-bench-learning-{arm}-").FullName;
                    host = await StartHostAsync(dataDir, manifests).ConfigureAwait(false);
                }
                else if (i == RestartAfter)
                {
                    await StopAsync(host).ConfigureAwait(false);
                    host = await StartHostAsync(dataDir, manifests).ConfigureAwait(false);
                    progress.Write('|');
                }

                var invoker = host.Services.GetRequiredService<IServiceInvoker>();
                results.Add(await RunMissionAsync(invoker, executed, problems[i].Text, fixture, $"problem-{i + 1}", agentFor(i + 1), declared, manifests).ConfigureAwait(false));
                progress.Write('.');
            }
        }
        finally
        {
            await StopAsync(host).ConfigureAwait(false);
        }

        progress.WriteLine();
        var succeeded = results.Count(IsSuccess);
        return new Arm(
            forget ? "a fresh agent id, host and data directory per mission" : agentFor(1),
            results.Count, succeeded, Rate(succeeded, results.Count),
            results.Take(RestartAfter).Sum(r => r.FailedSteps),
            results.Skip(RestartAfter).Sum(r => r.FailedSteps),
            results.GroupBy(r => r.Planner ?? "none", StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
            results.Select((r, i) => (r, i)).Where(x => !IsSuccess(x.r)).Select(x => $"mission {x.i + 1}: {x.r.Reason ?? x.r.Status}").Take(10).ToList());
    }

    private static async Task<IHost> StartHostAsync(string dataDir, ConcurrentDictionary<string, PluginManifest> manifests)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Serilog:MinimumLevel:Default"] = "Error" });
        builder.AddMaximusLogging(toStandardError: true);
        builder.AddMaximus(MaximusHostSettings.All(dataDir));
        builder.Services.AddSingleton<IServiceInvoker>(sp => new DeclaredManifestInvoker(sp.GetRequiredService<EmbeddedServiceInvoker>(), manifests));
        var host = builder.Build();
        await host.StartAsync().ConfigureAwait(false);
        return host;
    }

    private static async Task StopAsync(IHost host)
    {
        await host.StopAsync().ConfigureAwait(false);
        if (host is IAsyncDisposable async)
        {
            await async.DisposeAsync().ConfigureAwait(false);
        }
        else
        {
            host.Dispose();
        }
    }

    private static async Task<MissionResult> RunMissionAsync(
        IServiceInvoker invoker, string domain, string problem, string domainFile, string problemFile, string agentId, string? declaredDomain,
        ConcurrentDictionary<string, PluginManifest> manifests)
    {
        var env = await invoker.InvokeAsync<CreateEnvironmentRequest, EnvironmentCreated>(
            AppIds.PddlPlugin, "v1/environments", new CreateEnvironmentRequest(domain, problem, domainFile, problemFile)).ConfigureAwait(false);
        if (declaredDomain is not null)
        {
            // What the plugin would declare for the domain without its hidden lines; execution stays with the full domain.
            manifests[env.EnvironmentId] = PddlEnvironment.Create(declaredDomain, problem, "declared-domain", problemFile)
                .Manifest(PddlPluginApi.PluginName, PddlPluginApi.PluginVersion);
        }

        var accepted = await invoker.InvokeAsync<MissionRequest, MissionAccepted>(
            AppIds.Orchestrator, "v1/missions",
            new MissionRequest(AppIds.PddlPlugin, env.EnvironmentId, agentId, MaxCandidates: 3, MaxReplans: 3, Planner: "symbolic", PlannerFallback: true))
            .ConfigureAwait(false);
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (true)
        {
            var view = await invoker.GetAsync<MissionView>(AppIds.Orchestrator, $"v1/missions/{accepted.MissionId}").ConfigureAwait(false);
            if (view.Status is "Succeeded" or "Failed")
            {
                return view.Result ?? new MissionResult(accepted.MissionId, "Failed", false, [], [], 0, 0, view.Failure);
            }

            if (DateTime.UtcNow > deadline)
            {
                return new MissionResult(accepted.MissionId, "TimedOut", false, [], [], 0, 0, "no result within 3 minutes");
            }

            await Task.Delay(2).ConfigureAwait(false);
        }
    }

    private static string AgentId(string prefix, string name) =>
        prefix + "-" + new string(name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray());

    private static bool IsSuccess(MissionResult r) => r is { Status: "Succeeded", GoalReached: true };

    private static double Rate(int succeeded, int n) => n == 0 ? 0 : Math.Round((double)succeeded / n, 4);
}

/// <summary>
/// Passes every call through, except <c>plugin/manifest</c> of the pddl-env environments the learning benchmark registered: those
/// are answered with the manifest of their declared domain (the executed domain without its hidden preconditions).
/// </summary>
public sealed class DeclaredManifestInvoker(IServiceInvoker inner, ConcurrentDictionary<string, PluginManifest> manifests) : IServiceInvoker
{
    private const string Prefix = PluginContract.ManifestMethod + "?context=";

    public Task<TResponse> InvokeAsync<TRequest, TResponse>(string appId, string method, TRequest request, CancellationToken cancellationToken = default) =>
        inner.InvokeAsync<TRequest, TResponse>(appId, method, request, cancellationToken);

    public Task<TResponse> GetAsync<TResponse>(string appId, string method, CancellationToken cancellationToken = default)
    {
        if (appId == AppIds.PddlPlugin && typeof(TResponse) == typeof(PluginManifest) && method.StartsWith(Prefix, StringComparison.Ordinal)
            && manifests.TryGetValue(Uri.UnescapeDataString(method[Prefix.Length..]), out var declared))
        {
            return Task.FromResult((TResponse)(object)declared);
        }

        return inner.GetAsync<TResponse>(appId, method, cancellationToken);
    }

    public Task<TResponse> DeleteAsync<TResponse>(string appId, string method, CancellationToken cancellationToken = default) =>
        inner.DeleteAsync<TResponse>(appId, method, cancellationToken);
}
