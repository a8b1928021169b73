using System.ComponentModel;
using System.Diagnostics;
using Maximus.Contracts;
using Maximus.Contracts.Missions;
using Maximus.Contracts.Plugins;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Maximus.Mcp.Server;

/// <summary>The outcome of <c>mission_start</c>: the mission's result, or where it stands when not waited for.</summary>
/// <param name="Status">Succeeded, Failed, or (not waited for) the mission's current status.</param>
/// <param name="EnvironmentId">The PDDL environment created from <c>domain</c>/<c>problem</c>, if any: pass it as <c>context</c> to plan again on it.</param>
public sealed record MissionOutcome(
    string MissionId,
    string Status,
    bool GoalReached,
    IReadOnlyList<string> Plan,
    int StepsExecuted,
    int Replans,
    int FailedSteps,
    string? Planner,
    string? Reason,
    double? QualityScore,
    IReadOnlyList<string> Lessons,
    IReadOnlyList<PhaseTiming> Phases,
    IReadOnlyList<PlanningRound> Rounds,
    IReadOnlyList<RecalledMemory> Recalled,
    string? PluginAppId,
    string? EnvironmentId,
    double TotalMs,
    string Resource)
{
    public static MissionOutcome From(MissionView view, string? environmentId, double totalMs)
    {
        var result = view.Result;
        return new MissionOutcome(
            view.MissionId,
            result?.Status ?? view.Status,
            result?.GoalReached ?? false,
            result?.Plan ?? [],
            result?.StepsExecuted ?? view.Progress?.StepsExecuted ?? 0,
            result?.Replans ?? view.Progress?.Replans ?? 0,
            result?.FailedSteps ?? 0,
            result?.Planner,
            result?.Reason ?? view.Failure,
            result?.QualityScore,
            result?.Lessons ?? [],
            result?.Phases ?? [],
            result?.Rounds ?? [],
            result?.Recalled ?? [],
            view.Request?.PluginAppId,
            environmentId,
            Math.Round(totalMs, 1),
            MaximusResources.MissionUri(view.MissionId));
    }
}

/// <summary><c>mission_start</c>, <c>mission_status</c>, <c>mission_approve</c>: goals pursued end to end.</summary>
[McpServerToolType]
internal sealed class MissionTools(MaximusApi api)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(25);

    [McpServerTool(Name = "mission_start", Destructive = true, OpenWorld = true, UseStructuredContent = true)]
    [Description(
        "Runs a mission: Maximus observes the plugin's world, plans, simulates the candidate plans, executes the best one " +
        "step by step through the plugin (replanning on surprises), reflects and remembers. Give either plugin (and its " +
        "context), or, for a PDDL problem, domain and problem as PDDL text (the environment is created for you). By default " +
        "it waits for the end, reporting each phase as progress, and returns the result with goalReached, the plan and " +
        "the lessons learned. A risky step waits for mission_approve; call mission_start with wait=false to approve from " +
        "the same conversation. Cancelling stops the waiting, not the mission: follow it with mission_status.")]
    public async Task<MissionOutcome> StartAsync(
        RequestContext<CallToolRequestParams> request,
        [Description("The plugin's app id (see plugins_list), e.g. pddl-env. Omit when giving domain and problem.")] string? plugin = null,
        [Description("The plugin's context, e.g. the PDDL environment id.")] string? context = null,
        [Description("PDDL domain text (with problem): creates a PDDL environment and runs the mission on it.")] string? domain = null,
        [Description("PDDL problem text (with domain); its :goal is the mission's goal.")] string? problem = null,
        [Description("The goal as literals, e.g. [{\"predicate\":\"on\",\"arguments\":[\"a\",\"b\"]}]; omit to use the plugin's own goal.")] ContractLiteral[]? goal = null,
        [Description("The agent whose memory the mission reads and writes.")] string agentId = "default",
        [Description("A short description, shown in mission lists and memory.")] string? description = null,
        [Description("Planning rounds allowed after the first (0 to 20).")] int maxReplans = 3,
        [Description("Simulate candidate plans with the world model before acting (recommended).")] bool simulate = true,
        [Description("auto, symbolic or llm.")] string planner = "auto",
        [Description("Wait for the mission to end (true) or return as soon as it started (false).")] bool wait = true,
        CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        var hasPddl = !string.IsNullOrWhiteSpace(domain) || !string.IsNullOrWhiteSpace(problem);
        if (hasPddl && (string.IsNullOrWhiteSpace(domain) || string.IsNullOrWhiteSpace(problem)))
        {
            throw ToolErrors.Invalid(string.IsNullOrWhiteSpace(domain) ? "domain" : "problem", "is required with the other (PDDL domain and problem go together).");
        }

        if (hasPddl && plugin is not null && plugin != AppIds.PddlPlugin)
        {
            throw ToolErrors.Invalid("plugin", $"must be omitted (or {AppIds.PddlPlugin}) when domain and problem are given.");
        }

        if (!hasPddl && string.IsNullOrWhiteSpace(plugin))
        {
            throw ToolErrors.Invalid("plugin", "is required, unless domain and problem (PDDL text) are given.");
        }

        if (maxReplans is < 0 or > 20)
        {
            throw ToolErrors.Invalid("maxReplans", "must be from 0 to 20.");
        }

        string? environmentId = null;
        if (hasPddl)
        {
            var environment = await api.CreatePddlEnvironmentAsync(domain!, problem!, cancellationToken).ConfigureAwait(false);
            environmentId = environment.EnvironmentId;
            context = environmentId;
            plugin = AppIds.PddlPlugin;
            description ??= $"{environment.DomainName}/{environment.ProblemName}";
        }

        var accepted = await api.StartMissionAsync(
            new MissionRequest(plugin!, context, agentId, goal, description, MaxReplans: maxReplans, Simulate: simulate, Planner: planner),
            cancellationToken).ConfigureAwait(false);
        // Each notification is awaited: one still being sent when the result goes out would be lost with the request's stream.
        var progress = new AwaitedProgress(request);
        await progress.ReportAsync(0, $"mission {accepted.MissionId}: started", cancellationToken).ConfigureAwait(false);
        var view = wait
            ? await FollowAsync(accepted.MissionId, progress, cancellationToken).ConfigureAwait(false)
            : await api.GetMissionAsync(accepted.MissionId, cancellationToken).ConfigureAwait(false);
        return MissionOutcome.From(view, environmentId, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    [McpServerTool(Name = "mission_status", ReadOnly = true, Idempotent = true, OpenWorld = false, UseStructuredContent = true)]
    [Description(
        "Where a mission stands: its status (Running, Succeeded, Failed...), the current phase and steps done while it " +
        "runs (\"awaiting approval of ...\" when a risky step waits for mission_approve), its result once it ended. The " +
        "workflow journal is the resource maximus://missions/{missionId}.")]
    public Task<MissionView> StatusAsync(
        [Description("The mission id mission_start returned.")] string missionId,
        CancellationToken cancellationToken = default) =>
        string.IsNullOrWhiteSpace(missionId) ? throw ToolErrors.Invalid("missionId", "must not be empty.") : api.GetMissionAsync(missionId, cancellationToken);

    [McpServerTool(Name = "mission_approve", Destructive = true, OpenWorld = true, UseStructuredContent = true)]
    [Description(
        "Approves or denies the risky step a mission is waiting on (mission_status shows \"awaiting approval of ...\"). " +
        "Approved: the step runs and the mission goes on. Denied: the mission stops there, with the comment in its " +
        "reason. Without a decision the mission stops after its approval timeout.")]
    public Task<MissionView> ApproveAsync(
        [Description("The mission id.")] string missionId,
        [Description("true runs the step, false denies it.")] bool approved,
        [Description("Why (kept in the mission's record).")] string? comment = null,
        [Description("Who decides (kept in the mission's record).")] string by = "mcp-client",
        CancellationToken cancellationToken = default) =>
        string.IsNullOrWhiteSpace(missionId)
            ? throw ToolErrors.Invalid("missionId", "must not be empty.")
            : api.ApproveAsync(missionId, new StepApproval(approved, by, comment), cancellationToken);

    /// <summary>Polls the mission until it ends; each new phase is one progress notification.</summary>
    private async Task<MissionView> FollowAsync(string missionId, AwaitedProgress progress, CancellationToken cancellationToken)
    {
        var reported = 0;
        string? last = null;
        while (true)
        {
            var view = await api.GetMissionAsync(missionId, cancellationToken).ConfigureAwait(false);
            if (view.Status is "Succeeded" or "Failed")
            {
                await progress.ReportAsync(++reported, $"mission {missionId}: {view.Status}", cancellationToken).ConfigureAwait(false);
                return view;
            }

            var now = view.Progress is { } p ? $"{p.Phase} ({p.StepsExecuted}/{p.PlanLength} steps, {p.Replans} replans)" : view.Status;
            if (now != last)
            {
                last = now;
                await progress.ReportAsync(++reported, $"mission {missionId}: {now}", cancellationToken).ConfigureAwait(false);
            }

            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Progress notifications for one tool call, each sent before the call goes on (the SDK's <see cref="IProgress{T}"/>
    /// sends without waiting); nothing is sent when the client gave no progress token.
    /// </summary>
    private sealed class AwaitedProgress(RequestContext<CallToolRequestParams> request)
    {
        public async Task ReportAsync(int value, string message, CancellationToken cancellationToken)
        {
            if (request.Params?.ProgressToken is { } token)
            {
                await request.Server.NotifyProgressAsync(token, new ProgressNotificationValue { Progress = value, Message = message }, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
