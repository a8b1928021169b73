using Dapr.Workflow;
using Maximus.Contracts.Execution;
using Maximus.Contracts.Missions;
using Maximus.Contracts.Planning;
using Maximus.Contracts.Plugins;
using Maximus.Contracts.Reflection;
using Maximus.Missions.Activities;
using Maximus.Planning.WorldModels;
using Microsoft.Extensions.Logging;

namespace Maximus.Missions.Workflows;

/// <summary>
/// A mission, SimuRA style: observe → plan candidates → simulate each with the world model → the critic
/// picks one or asks for a replan with the simulation's feedback → execute step by step, replanning from the
/// real state on surprise → reflect → remember. Deterministic: all I/O happens in activities.
/// </summary>
public sealed partial class MissionWorkflow : Workflow<MissionRequest, MissionResult>
{
    public const string Succeeded = "Succeeded";
    public const string Failed = "Failed";

    /// <summary>The external event a risky step waits for (<see cref="StepApproval"/>).</summary>
    public const string ApprovalEvent = "approval";

    /// <summary>The critic accepts a candidate whose simulated success probability reaches this.</summary>
    public const double AcceptThreshold = 0.5;

    private static readonly WorkflowTaskOptions StepRetry = new(new WorkflowRetryPolicy(3, TimeSpan.FromMilliseconds(200), 2.0, TimeSpan.FromSeconds(5)));

    public override async Task<MissionResult> RunAsync(WorkflowContext context, MissionRequest input)
    {
        var logger = context.CreateReplaySafeLogger<MissionWorkflow>();
        var missionId = context.InstanceId;
        var timings = new Dictionary<string, double> { ["plan"] = 0, ["simulate"] = 0, ["execute"] = 0, ["reflect"] = 0, ["remember"] = 0 };
        var executed = new List<string>();
        var feedback = new List<string>();
        var replans = 0;
        var failures = 0;
        var surprises = 0;
        bool goalReached;
        string? reason = null;

        context.SetCustomStatus(new MissionProgress("observe", 0, 0, 0));
        var belief = await context.CallActivityAsync<BeliefState>(
            nameof(ObserveActivity), new ObserveInput(input.PluginAppId, input.Context, input.AgentId));
        timings["plan"] += belief.DurationMs;
        var state = belief.State;
        var goal = input.Goal is { Count: > 0 } g ? g : state.Goal ?? [];
        goalReached = state.GoalReached ?? false;

        if (goal.Count == 0)
        {
            reason = "No goal: the mission request gives none and the plugin's state declares none.";
        }

        // Steps the world model has already accepted from the real state, and the predicted state after them:
        // a rejected candidate keeps its valid prefix and the planner continues from there (plan repair).
        var prefix = new List<PlanStep>();
        var planFrom = state;
        var excluded = new List<string>();
        var outcomes = new List<OutcomeSample>();
        while (reason is null && !goalReached)
        {
            context.SetCustomStatus(new MissionProgress("plan", executed.Count, 0, replans));
            var plan = await context.CallActivityAsync<PlanOutput>(
                nameof(PlanActivity), new PlanInput(belief.Manifest.Actions, planFrom, goal, input.MaxCandidates, feedback.ToList(), excluded.ToList(), input.Planner));
            timings["plan"] += plan.DurationMs;
            if (plan.Response.Candidates.Count == 0)
            {
                if (prefix.Count > 0 && replans < input.MaxReplans)
                {
                    // A dead end after the kept prefix: plan again from the real state.
                    feedback.Add($"no continuation after {prefix.Count} kept step(s): {plan.Response.FailureReason}");
                    prefix.Clear();
                    planFrom = state;
                    replans++;
                    continue;
                }

                reason = $"No plan found: {plan.Response.FailureReason ?? "the planner returned no candidate"}.";
                break;
            }

            var candidates = plan.Response.Candidates.Select(c => c with { Steps = [.. prefix, .. c.Steps] }).ToList();
            CandidatePlan chosen;
            SimulationResult? predicted = null;
            if (input.Simulate)
            {
                context.SetCustomStatus(new MissionProgress("simulate", executed.Count, 0, replans));
                var simulation = await context.CallActivityAsync<SimulateOutput>(
                    nameof(SimulateActivity), new SimulateInput(belief.Manifest.Actions, state, goal, candidates, input.PluginAppId));
                timings["simulate"] += simulation.DurationMs;

                var choice = Critic(candidates, simulation.Results);
                if (choice is null)
                {
                    feedback.AddRange(simulation.Results.Select((r, i) => $"candidate {i + 1} rejected by simulation: {r.Reason ?? "goal not reached"}"));
                    if (++replans > input.MaxReplans)
                    {
                        reason = $"No candidate passed simulation after {replans} planning rounds: {string.Join("; ", feedback.TakeLast(3))}";
                        break;
                    }

                    // Steps the world model expects to fail (learned from past outcomes) are left out of the next round.
                    excluded.AddRange(simulation.Results.SelectMany(r => r.Steps)
                        .Where(p => p.PreconditionsHold && p.Probability < AcceptThreshold)
                        .Select(p => p.Step)
                        .Except(excluded, StringComparer.OrdinalIgnoreCase)
                        .Distinct(StringComparer.OrdinalIgnoreCase)
                        .ToList());
                    KeepLongestValidPrefix(state, candidates, simulation.Results, prefix, ref planFrom);
                    continue;
                }

                (chosen, predicted) = choice.Value;
                LogChosen(logger, missionId, chosen.Steps.Count, predicted.SuccessProbability);
            }
            else
            {
                chosen = candidates[0];
            }

            prefix.Clear();
            var surprise = false;
            var denied = false;
            for (var i = 0; i < chosen.Steps.Count; i++)
            {
                var step = chosen.Steps[i];
                if (belief.Manifest.Actions.FirstOrDefault(a => string.Equals(a.Name, step.Action, StringComparison.OrdinalIgnoreCase)) is { Risky: true })
                {
                    context.SetCustomStatus(new MissionProgress($"awaiting approval of {step}", executed.Count, chosen.Steps.Count, replans));
                    var approval = await WaitForApprovalAsync(context, input.ApprovalTimeoutSeconds);
                    if (approval is not { Approved: true })
                    {
                        reason = approval is null
                            ? $"The risky step {step} was not approved within {input.ApprovalTimeoutSeconds} s."
                            : $"The risky step {step} was denied{(approval.By is null ? "" : " by " + approval.By)}{(approval.Comment is null ? "" : ": " + approval.Comment)}.";
                        denied = true;
                        break;
                    }
                }

                context.SetCustomStatus(new MissionProgress("execute", executed.Count, chosen.Steps.Count, replans));
                var outcome = await context.CallActivityAsync<ExecuteStepResponse>(
                    nameof(ExecuteStepActivity),
                    new ExecuteStepRequest(input.PluginAppId, input.Context, step, $"{missionId}/r{replans}/s{i}", missionId, input.AgentId, executed.Count),
                    StepRetry);
                timings["execute"] += outcome.DurationMs;
                var result = outcome.Result;
                if (predicted is not null && i < predicted.Steps.Count && predicted.Steps[i].PreconditionsHold)
                {
                    // Only steps the world model accepted teach it: their failures reveal what the plugin does not declare.
                    outcomes.Add(new OutcomeSample(input.PluginAppId, step.Action, StepSignature.Of(step, state.Facts), result.Outcome == ActionOutcome.Succeeded));
                }
                if (result.Outcome != ActionOutcome.Succeeded)
                {
                    failures++;
                    surprise = true;
                    feedback.Add($"{step} {result.Outcome}: {result.Error ?? result.Observation}");
                }
                else
                {
                    executed.Add(step.ToString());
                    if (predicted is not null && result.State is { } observed && i < predicted.Steps.Count
                        && !SameFacts(observed.Facts, predicted.Steps[i].PredictedFacts))
                    {
                        surprises++;
                        surprise = true;
                        feedback.Add($"after {step} the observed state differed from the prediction");
                    }
                }

                if (result.State is { } s)
                {
                    state = s;
                    goalReached = s.GoalReached ?? false;
                }

                if (surprise)
                {
                    break;
                }
            }

            planFrom = state;
            if (denied)
            {
                break;
            }

            if (surprise && !goalReached && ++replans > input.MaxReplans)
            {
                reason = $"Execution kept diverging from the plan after {replans} replans: {string.Join("; ", feedback.TakeLast(3))}";
            }
            else if (!surprise && !goalReached)
            {
                reason = "The plan ran to its end but the plugin reports the goal as not reached.";
            }
        }

        var status = goalReached ? Succeeded : Failed;
        context.SetCustomStatus(new MissionProgress("reflect", executed.Count, executed.Count, replans));
        var description = input.Description ?? string.Join(" ", goal.Select(l => l.ToString()));
        var reflection = await context.CallActivityAsync<ReflectOutput>(
            nameof(ReflectActivity),
            new ExecutionLog(
                LogId: $"{missionId}/mission",
                MissionId: missionId,
                AgentId: input.AgentId,
                StepIndex: executed.Count,
                Action: $"mission {input.PluginAppId}",
                Outcome: goalReached ? ActionOutcome.Succeeded : ActionOutcome.Failed,
                DurationMs: timings.Values.Sum(),
                Timestamp: context.CurrentUtcDateTime,
                Observation: description,
                Error: reason,
                Surprise: surprises > 0,
                Steps: executed.Count,
                Failures: failures,
                Priority: ReflectionPriority.Critical));
        timings["reflect"] += reflection.DurationMs;

        context.SetCustomStatus(new MissionProgress("remember", executed.Count, executed.Count, replans));
        var remembered = await context.CallActivityAsync<RememberOutput>(
            nameof(RememberActivity),
            new RememberInput(missionId, input.AgentId, description, status, goalReached, executed.Count, executed, reflection.Reflection.Lessons, outcomes));
        timings["remember"] += remembered.DurationMs;

        context.SetCustomStatus(new MissionProgress("done", executed.Count, executed.Count, replans));
        return new MissionResult(
            missionId,
            status,
            goalReached,
            executed,
            timings.Select(kv => new PhaseTiming(kv.Key, Math.Round(kv.Value, 3))).ToList(),
            executed.Count,
            replans,
            reason,
            reflection.Reflection.QualityScore,
            reflection.Reflection.Lessons);
    }

    /// <summary>
    /// Chooses the candidate whose simulation reaches the goal with the highest probability (shorter wins ties);
    /// null when none reaches <see cref="AcceptThreshold"/>.
    /// </summary>
    public static (CandidatePlan Plan, SimulationResult Simulation)? Critic(IReadOnlyList<CandidatePlan> candidates, IReadOnlyList<SimulationResult> simulations)
    {
        (CandidatePlan, SimulationResult)? best = null;
        for (var i = 0; i < Math.Min(candidates.Count, simulations.Count); i++)
        {
            var sim = simulations[i];
            if (!sim.Valid || !sim.GoalReached || sim.SuccessProbability < AcceptThreshold)
            {
                continue;
            }

            if (best is not { } b || sim.SuccessProbability > b.Item2.SuccessProbability
                || (sim.SuccessProbability.Equals(b.Item2.SuccessProbability) && candidates[i].Steps.Count < b.Item1.Steps.Count))
            {
                best = (candidates[i], sim);
            }
        }

        return best;
    }

    /// <summary>
    /// Keeps the longest prefix that the world model accepted (beyond the one already kept), and the state predicted
    /// after it, so the next planning round continues from there instead of starting over.
    /// </summary>
    private static void KeepLongestValidPrefix(
        PluginState real, IReadOnlyList<CandidatePlan> candidates, IReadOnlyList<SimulationResult> simulations, List<PlanStep> prefix, ref PluginState planFrom)
    {
        var best = -1;
        var bestLength = prefix.Count;
        for (var i = 0; i < Math.Min(candidates.Count, simulations.Count); i++)
        {
            // Steps that run and are not expected to fail; a plan kept whole that reaches the goal would only be proposed again.
            var sim = simulations[i];
            var valid = sim.Steps.TakeWhile(p => p.PreconditionsHold && p.Probability >= AcceptThreshold).Count();
            if (valid > bestLength && !(valid >= candidates[i].Steps.Count && sim.GoalReached))
            {
                best = i;
                bestLength = valid;
            }
        }

        if (best < 0)
        {
            return;
        }

        prefix.Clear();
        prefix.AddRange(candidates[best].Steps.Take(bestLength));
        planFrom = real with { Facts = simulations[best].Steps[bestLength - 1].PredictedFacts, GoalReached = null };
    }

    private static async Task<StepApproval?> WaitForApprovalAsync(WorkflowContext context, int timeoutSeconds)
    {
        try
        {
            return await context.WaitForExternalEventAsync<StepApproval>(ApprovalEvent, TimeSpan.FromSeconds(timeoutSeconds));
        }
        catch (TaskCanceledException)
        {
            return null;
        }
    }

    private static bool SameFacts(IReadOnlyList<ContractLiteral> observed, IReadOnlyList<ContractLiteral> predicted) =>
        observed.Select(f => f.ToString()).ToHashSet(StringComparer.Ordinal).SetEquals(predicted.Select(f => f.ToString()));

    [LoggerMessage(Level = LogLevel.Information, Message = "Mission {MissionId}: executing a {Steps}-step plan (simulated success {Probability:0.00})")]
    private static partial void LogChosen(ILogger logger, string missionId, int steps, double probability);
}
