using System.Diagnostics;
using Maximus.Contracts;
using Maximus.Contracts.Missions;
using Maximus.Contracts.Planning;
using Maximus.Contracts.Ports;
using Maximus.Plugins.Pddl;
using Maximus.Plugins.Pddl.Service;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace Maximus.Cli.Commands;

/// <summary>What `maximus run`, `demo` and `missions resume` share: start or resume, follow, report.</summary>
internal static class MissionRunner
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(15);

    /// <summary>Parses the PDDL locally first: a rejected mission writes nothing.</summary>
    public static (string Domain, string Problem)? ReadPddl(string domainPath, string problemPath, out string? error)
    {
        error = null;
        foreach (var path in new[] { domainPath, problemPath })
        {
            if (!File.Exists(path))
            {
                error = $"{path}: file not found";
                return null;
            }
        }

        string domain, problem;
        try
        {
            domain = File.ReadAllText(domainPath);
            problem = File.ReadAllText(problemPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error = $"cannot read the PDDL files: {ex.Message}";
            return null;
        }

        try
        {
            _ = PddlEnvironment.Create(domain, problem, domainPath, problemPath);
        }
        catch (PddlParseException ex)
        {
            error = ex.Message;
            return null;
        }

        return (domain, problem);
    }

    public static async Task<int> RunPddlAsync(
        CliRuntime runtime, string domain, string problem, string domainFile, string problemFile, string agentId, bool json, CancellationToken cancellationToken)
    {
        var invoker = runtime.Services.GetRequiredService<IServiceInvoker>();
        var environment = await invoker.InvokeAsync<CreateEnvironmentRequest, EnvironmentCreated>(
            AppIds.PddlPlugin, "v1/environments", new CreateEnvironmentRequest(domain, problem, domainFile, problemFile), cancellationToken)
            .ConfigureAwait(false);
        var accepted = await invoker.InvokeAsync<MissionRequest, MissionAccepted>(
            AppIds.Orchestrator, "v1/missions",
            new MissionRequest(AppIds.PddlPlugin, environment.EnvironmentId, agentId, Description: $"{environment.DomainName}/{environment.ProblemName}"),
            cancellationToken).ConfigureAwait(false);
        return await FollowAsync(runtime, accepted.MissionId, environment.EnvironmentId, json, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The app and context of <c>--plugin</c>: a plugin app id (<c>pddl-env</c>, <c>mcp-bridge</c>) with <c>--context</c>, else
    /// the name of an MCP server served by the <c>mcp-bridge</c> app.
    /// </summary>
    public static (string AppId, string? Context) ResolvePlugin(string name, string? context) =>
        name is AppIds.PddlPlugin or AppIds.McpBridge ? (name, context) : (AppIds.McpBridge, name);

    /// <summary>Runs a given plan on a plugin: simulated, approved where risky, executed, reflected on and remembered.</summary>
    public static async Task<int> RunStepsAsync(
        CliRuntime runtime, string appId, string? context, IReadOnlyList<PlanStep> steps, string agentId, bool json, CancellationToken cancellationToken)
    {
        var invoker = runtime.Services.GetRequiredService<IServiceInvoker>();
        var accepted = await invoker.InvokeAsync<MissionRequest, MissionAccepted>(
            AppIds.Orchestrator, "v1/missions",
            new MissionRequest(appId, context, agentId, Description: $"{context ?? appId}: {string.Join(" ", steps.Select(s => s.Action))}", Steps: steps),
            cancellationToken).ConfigureAwait(false);
        return await FollowAsync(runtime, accepted.MissionId, context, json, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Follows a mission to its end, showing its phase, and prints the result.</summary>
    public static async Task<int> FollowAsync(CliRuntime runtime, string missionId, string? environmentId, bool json, CancellationToken cancellationToken)
    {
        var invoker = runtime.Services.GetRequiredService<IServiceInvoker>();
        var started = Stopwatch.GetTimestamp();
        MissionView view;
        if (json)
        {
            view = await WaitAsync(invoker, missionId, _ => { }, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            view = await AnsiConsole.Status().Spinner(Spinner.Known.Dots).StartAsync($"mission {missionId}: starting", async ctx =>
                await WaitAsync(invoker, missionId, v => ctx.Status(Describe(v)), cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
        }

        await runtime.DrainAsync().ConfigureAwait(false);
        var result = view.Result;
        var succeeded = result?.Status == "Succeeded";
        if (json)
        {
            CliOutput.Json(new
            {
                missionId,
                status = succeeded ? "Succeeded" : "Failed",
                goalReached = result?.GoalReached ?? false,
                phases = (result?.Phases ?? []).ToDictionary(p => p.Name, p => new { durationMs = p.DurationMs }),
                plan = result?.Plan ?? [],
                stepsExecuted = result?.StepsExecuted ?? 0,
                replans = result?.Replans ?? 0,
                failedSteps = result?.FailedSteps ?? 0,
                planner = result?.Planner,
                rounds = result?.Rounds ?? [],
                recalled = result?.Recalled ?? [],
                reason = result?.Reason ?? view.Failure,
                qualityScore = result?.QualityScore,
                lessons = result?.Lessons ?? [],
                environmentId,
                totalMs = Math.Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds, 1),
            });
        }
        else
        {
            Print(view);
        }

        return succeeded ? ExitCodes.Ok : ExitCodes.MissionFailed;
    }

    public static void Print(MissionView view)
    {
        var result = view.Result;
        var color = view.Status == "Succeeded" ? "green" : view.Status == "Failed" ? "red" : "yellow";
        AnsiConsole.MarkupLine($"mission [bold]{CliOutput.Escape(view.MissionId)}[/]: [{color}]{CliOutput.Escape(view.Status)}[/]");
        if (result is null)
        {
            if (view.Progress is { } p)
            {
                AnsiConsole.MarkupLine($"  phase {CliOutput.Escape(p.Phase)}, {p.StepsExecuted} step(s) executed, {p.Replans} replan(s)");
            }

            if (view.Failure is not null)
            {
                AnsiConsole.MarkupLine($"  [red]{CliOutput.Escape(view.Failure)}[/]");
            }

            return;
        }

        AnsiConsole.MarkupLine($"  goal reached: {(result.GoalReached ? "[green]yes[/]" : "[red]no[/]")}, {result.StepsExecuted} step(s), {result.Replans} replan(s)");
        if (result.Reason is not null)
        {
            AnsiConsole.MarkupLine($"  reason: {CliOutput.Escape(result.Reason)}");
        }

        var table = new Table().Border(TableBorder.Rounded).AddColumn("#").AddColumn("step");
        for (var i = 0; i < result.Plan.Count; i++)
        {
            table.AddRow((i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), CliOutput.Escape(result.Plan[i]));
        }

        if (result.Plan.Count > 0)
        {
            AnsiConsole.Write(table);
        }

        AnsiConsole.MarkupLine("  phases: " + string.Join(", ", result.Phases.Select(p => $"{p.Name} {p.DurationMs:0.0} ms")));
        if (result.Planner is not null)
        {
            AnsiConsole.MarkupLine($"  planned by: {CliOutput.Escape(result.Planner)}");
        }

        foreach (var memory in result.Recalled ?? [])
        {
            AnsiConsole.MarkupLine($"  recalled {CliOutput.Escape(memory.Type)} {CliOutput.Escape(memory.Id)}: {CliOutput.Escape(memory.Why)}");
        }

        foreach (var lesson in result.Lessons ?? [])
        {
            AnsiConsole.MarkupLine($"  lesson: {CliOutput.Escape(lesson)}");
        }
    }

    private static async Task<MissionView> WaitAsync(IServiceInvoker invoker, string missionId, Action<MissionView> progress, CancellationToken cancellationToken)
    {
        while (true)
        {
            var view = await invoker.GetAsync<MissionView>(AppIds.Orchestrator, $"v1/missions/{Uri.EscapeDataString(missionId)}", cancellationToken)
                .ConfigureAwait(false);
            if (view.Status is "Succeeded" or "Failed")
            {
                return view;
            }

            progress(view);
            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string Describe(MissionView view) => view.Progress is { } p
        ? $"mission {view.MissionId}: {p.Phase} ({p.StepsExecuted}/{p.PlanLength} steps, {p.Replans} replans)"
        : $"mission {view.MissionId}: {view.Status}";
}
