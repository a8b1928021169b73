using Dapr.Workflow;
using Maximus.Contracts.Execution;
using Maximus.Contracts.Missions;
using Maximus.Contracts.Planning;
using Maximus.Contracts.Plugins;
using Maximus.Contracts.Reflection;
using System.Text.RegularExpressions;
using Maximus.Missions.Activities;
using Maximus.Missions.Learning;
using Maximus.Planning.WorldModels;
using Microsoft.Extensions.Logging;

namespace Maximus.Missions.Workflows;

/// <summary>
/// A mission, SimuRA style: observe (and recall) → offer a recalled procedure that still fits → plan candidates → simulate each with the world model → the critic
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

    /// <summary>The planner name of steps that come from a recalled procedure.</summary>
    public const string MemoryPlanner = "memory";

    /// <summary>The planner name of steps the mission request gave (<see cref="MissionRequest.Steps"/>).</summary>
    public const string GivenPlanner = "given";

    public override async Task<MissionResult> RunAsync(WorkflowContext context, MissionRequest input)
    {
        var run = new MissionRun(context, input);
        var belief = await ObserveAsync(run);

        // A recalled procedure that simulates cleanly is the first candidate; one that almost fits leaves its valid prefix.
        var chosen = await OfferRecalledProcedureAsync(run, belief);
        while (run.Open)
        {
            // Plan and simulate until the critic accepts a candidate (or the mission cannot go on); a given plan is only simulated.
            chosen ??= run.FollowsGivenPlan ? await CheckGivenPlanAsync(run, belief) : await PlanUntilAcceptedAsync(run, belief);
            if (chosen is null)
            {
                break;
            }

            // Execute until done or surprised; a surprise replans from the real state.
            await ExecuteAsync(run, belief.Manifest, chosen);
            chosen = null;
        }

        var reflection = await ReflectAsync(run);
        await RememberAsync(run, reflection);
        run.Progress("done", run.Executed.Count);
        return Result(run, reflection);
    }

    /// <summary>The belief state: the plugin's manifest and state, the goal, and what memory recalls.</summary>
    private static async Task<BeliefState> ObserveAsync(MissionRun run)
    {
        run.Progress("observe");
        var belief = await run.Context.CallActivityAsync<BeliefState>(
            nameof(ObserveActivity), new ObserveInput(run.Input.PluginAppId, run.Input.Context, run.Input.AgentId, run.Input.Goal, run.Input.Description));
        run.Timings["observe"] += belief.DurationMs;
        run.Recalled = belief.Recalled ?? [];
        run.Observe(belief.State);
        run.PlanFrom = belief.State;
        run.Goal = run.Input.Goal is { Count: > 0 } goal ? goal : belief.State.Goal ?? [];
        if (run.Goal.Count == 0 && !run.FollowsGivenPlan)
        {
            run.Reason = "No goal: the mission request gives none and the plugin's state declares none.";
        }

        return belief;
    }

    /// <summary>
    /// The plan the request gave, simulated once from the real state: it runs unless the world model finds it invalid (an
    /// unknown action, a bad argument, a declared precondition that does not hold) or, with a goal, not reaching it. A low
    /// success probability alone does not stop it: the caller chose these steps. Null when it is not run.
    /// </summary>
    private static async Task<ChosenPlan?> CheckGivenPlanAsync(MissionRun run, BeliefState belief)
    {
        var plan = new CandidatePlan(run.Input.Steps!, GivenPlanner);
        var planners = Enumerable.Repeat(GivenPlanner, plan.Steps.Count).ToList();
        if (!run.Input.Simulate)
        {
            run.Rounds.Add(new PlanningRound(run.Rounds.Count + 1, [GivenPlanner], 0, "chosen", Candidates: MissionTrace.Candidates([plan], null, run.State, belief.Manifest)));
            return new ChosenPlan(plan, null, planners);
        }

        var simulated = (await SimulateAsync(run, belief.Manifest, [plan])).Results[0];
        var traced = MissionTrace.Candidates([plan], [simulated], run.State, belief.Manifest);
        if (simulated.Valid && (run.Goal.Count == 0 || simulated.GoalReached))
        {
            run.Rounds.Add(new PlanningRound(run.Rounds.Count + 1, [GivenPlanner], 0, "chosen", Candidates: traced));
            return new ChosenPlan(plan, simulated, planners);
        }

        var why = simulated.Reason ?? "goal not reached";
        run.Rounds.Add(new PlanningRound(run.Rounds.Count + 1, [GivenPlanner], null, "rejected", why, traced));
        run.Reason = $"The given plan was rejected by simulation: {why}";
        return null;
    }

    /// <summary>Planning rounds until a candidate is chosen; null when the mission cannot go on (<see cref="MissionRun.Reason"/> says why).</summary>
    private static async Task<ChosenPlan?> PlanUntilAcceptedAsync(MissionRun run, BeliefState belief)
    {
        while (run.Reason is null)
        {
            var proposals = await ProposeAsync(run, belief.Manifest);
            if (proposals.Count == 0)
            {
                continue;
            }

            if (!run.Input.Simulate)
            {
                run.Rounds.Add(new PlanningRound(run.Rounds.Count + 1, Planners(proposals), 0, "chosen",
                    Candidates: MissionTrace.Candidates([.. proposals.Select(p => p.Plan)], null, run.State, belief.Manifest)));
                return new ChosenPlan(proposals[0].Plan, null, proposals[0].StepPlanners);
            }

            if (await SimulateAndCriticAsync(run, belief.Manifest, proposals) is { } chosen)
            {
                return chosen;
            }
        }

        return null;
    }

    /// <summary>
    /// One call to the planner from <see cref="MissionRun.PlanFrom"/>; the kept prefix goes in front of every candidate. A
    /// dead end after a kept prefix starts over from the real state (one replan); with nothing kept it ends the mission.
    /// </summary>
    private static async Task<IReadOnlyList<Proposal>> ProposeAsync(MissionRun run, PluginManifest manifest)
    {
        run.Progress("plan");
        var plan = await run.Context.CallActivityAsync<PlanOutput>(
            nameof(PlanActivity),
            new PlanInput(manifest.Actions, run.PlanFrom, run.Goal, run.Input.MaxCandidates, run.Feedback.ToList(), run.Excluded.ToList(), run.Input.Planner, run.Input.PlannerFallback,
                run.PlanningMemories()));
        run.Timings["plan"] += plan.DurationMs;
        if (plan.Response.Candidates.Count > 0)
        {
            return plan.Response.Candidates.Select(c =>
            {
                var planners = run.PrefixPlanners.Concat(Enumerable.Repeat(c.Planner, c.Steps.Count)).ToList();
                return new Proposal(new CandidatePlan([.. run.Prefix, .. c.Steps], MissionRun.Attribution(planners) ?? c.Planner), planners);
            }).ToList();
        }

        var why = plan.Response.FailureReason ?? "the planner returned no candidate";
        run.Rounds.Add(new PlanningRound(run.Rounds.Count + 1, [], null, "none", why));
        if (run.Prefix.Count > 0 && run.TryReplan($"no continuation after {run.Prefix.Count} kept step(s): {why}"))
        {
            run.Feedback.Add($"no continuation after {run.Prefix.Count} kept step(s): {plan.Response.FailureReason}");
            run.Prefix.Clear();
            run.PrefixPlanners.Clear();
            run.PlanFrom = run.State;
        }
        else
        {
            run.Reason = $"No plan found: {why}.";
        }

        return [];
    }

    /// <summary>
    /// Simulates every candidate from the real state; the critic chooses one, or the round is rejected: its feedback,
    /// the steps expected to fail and the longest valid prefix go to the next round (one replan).
    /// </summary>
    private static async Task<ChosenPlan?> SimulateAndCriticAsync(MissionRun run, PluginManifest manifest, IReadOnlyList<Proposal> proposals)
    {
        var candidates = proposals.Select(p => p.Plan).ToList();
        var simulation = await SimulateAsync(run, manifest, candidates);
        var traced = MissionTrace.Candidates(candidates, simulation.Results, run.State, manifest);
        if (Critic(candidates, simulation.Results) is { } choice)
        {
            var index = candidates.FindIndex(c => ReferenceEquals(c, choice.Plan));
            LogChosen(run.Context.CreateReplaySafeLogger<MissionWorkflow>(), run.MissionId, choice.Plan.Steps.Count, choice.Simulation.SuccessProbability);
            run.Rounds.Add(new PlanningRound(run.Rounds.Count + 1, Planners(proposals), index, "chosen", Candidates: traced));
            return new ChosenPlan(choice.Plan, choice.Simulation, proposals[index].StepPlanners);
        }

        var rejections = simulation.Results.Select((r, i) => $"candidate {i + 1} rejected by simulation: {r.Reason ?? "goal not reached"}").ToList();
        run.Feedback.AddRange(rejections);
        run.Rounds.Add(new PlanningRound(run.Rounds.Count + 1, Planners(proposals), null, "rejected", string.Join("; ", rejections), traced));
        if (!run.TryReplan($"round {run.Rounds.Count}: no candidate passed simulation ({string.Join("; ", rejections)})"))
        {
            run.Reason = $"No candidate passed simulation after {run.Rounds.Count} planning rounds: {string.Join("; ", run.Feedback.TakeLast(3))}";
            return null;
        }

        // Steps the world model expects to fail (learned from past outcomes) are left out of the next round.
        run.Excluded.AddRange(simulation.Results.SelectMany(r => r.Steps)
            .Where(p => p.PreconditionsHold && p.Probability < AcceptThreshold)
            .Select(p => p.Step)
            .Except(run.Excluded, StringComparer.OrdinalIgnoreCase)
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .ToList());
        KeepLongestValidPrefix(run, proposals, simulation.Results);
        return null;
    }

    /// <summary>Simulates candidates from the real state, with what memory recalls (learned preconditions, hints for the LLM model).</summary>
    private static async Task<SimulateOutput> SimulateAsync(MissionRun run, PluginManifest manifest, IReadOnlyList<CandidatePlan> candidates)
    {
        run.Progress("simulate");
        var simulation = await run.Context.CallActivityAsync<SimulateOutput>(
            nameof(SimulateActivity),
            new SimulateInput(manifest.Actions, run.State, run.Goal, candidates, run.Input.PluginAppId, run.PlanningMemories(), run.LearnedPreconditions()));
        run.Timings["simulate"] += simulation.DurationMs;
        return simulation;
    }

    /// <summary>
    /// The skill library, checked before use: recalled procedures for this goal pattern, instantiated for the current
    /// objects, are simulated from the real state. One the critic accepts is the plan (no planner call); otherwise the
    /// longest valid prefix is kept and the planner continues from it (plan repair), and a procedure that does not fit at
    /// all is never executed. This round spends no replan. Nothing is offered when the mission acts without simulating.
    /// </summary>
    private static async Task<ChosenPlan?> OfferRecalledProcedureAsync(MissionRun run, BeliefState belief)
    {
        if (!run.Open || !run.Input.Simulate || run.FollowsGivenPlan)
        {
            return null;
        }

        var objects = run.State.Objects.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var offers = run.Recalled
            .Select(r => (Memory: r, Steps: Instantiate(r, run.Goal, objects, belief.Manifest.Actions)))
            .Where(o => o.Steps is { Count: > 0 })
            .Take(Math.Max(1, run.Input.MaxCandidates))
            .ToList();
        if (offers.Count == 0)
        {
            return null;
        }

        run.Progress("recall");
        var proposals = offers.Select(o => new Proposal(new CandidatePlan(o.Steps!, MemoryPlanner), Enumerable.Repeat(MemoryPlanner, o.Steps!.Count).ToList())).ToList();
        var candidates = proposals.Select(p => p.Plan).ToList();
        var simulation = await SimulateAsync(run, belief.Manifest, candidates);
        var traced = MissionTrace.Candidates(candidates, simulation.Results, run.State, belief.Manifest);
        if (Critic(candidates, simulation.Results) is { } choice)
        {
            var index = candidates.FindIndex(c => ReferenceEquals(c, choice.Plan));
            run.OfferedProcedure = offers[index].Memory;
            run.Verdicts[offers[index].Memory.Entry.Id] = "simulated cleanly from the current state: executed as the plan";
            run.Rounds.Add(new PlanningRound(run.Rounds.Count + 1, Planners(proposals), index, "chosen", Candidates: traced));
            return new ChosenPlan(choice.Plan, choice.Simulation, proposals[index].StepPlanners);
        }

        var rejections = simulation.Results.Select((r, i) => $"recalled procedure {offers[i].Memory.Entry.Id} does not fit the current state: {r.Reason ?? "goal not reached"}").ToList();
        run.Feedback.AddRange(rejections);
        run.Rounds.Add(new PlanningRound(run.Rounds.Count + 1, Planners(proposals), null, "rejected", string.Join("; ", rejections), traced));
        for (var i = 0; i < offers.Count; i++)
        {
            run.Verdicts[offers[i].Memory.Entry.Id] = $"did not fit the current state, not executed: {simulation.Results.ElementAtOrDefault(i)?.Reason ?? "goal not reached"}";
        }

        if (KeepLongestValidPrefix(run, proposals, simulation.Results) is var kept and >= 0)
        {
            run.OfferedProcedure = offers[kept].Memory;
            run.Verdicts[offers[kept].Memory.Entry.Id] = $"almost fitted: its first {run.Prefix.Count} step(s) kept, then planned on (repaired)";
        }

        return null;
    }

    /// <summary>A recalled procedure's steps for the current goal and objects; null when it is no procedure or does not apply.</summary>
    private static List<PlanStep>? Instantiate(Recollection memory, IReadOnlyList<ContractLiteral> goal, IReadOnlyCollection<string> objects, IReadOnlyList<PluginAction> actions)
    {
        if (memory.Entry.Procedure is not { } procedure)
        {
            return null;
        }

        var originals = memory.Entry.Tags?.GetValueOrDefault(ProcedureTemplate.ObjectsTag)?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [];
        var steps = new ProcedureTemplate(procedure.GoalPattern, procedure.Steps, originals).Instantiate(goal, objects)?
            .Select(s => ProcedureTemplate.ToPlanStep(s, actions))
            .ToList();
        return steps is null || steps.Any(s => s is null) ? null : steps.OfType<PlanStep>().ToList();
    }

    /// <summary>
    /// Runs the chosen plan step by step (risky steps wait for approval) until its end or the first surprise: a failed
    /// step, or an observed state that differs from the prediction. A surprise spends one replan; the next round plans
    /// from the real state.
    /// </summary>
    private static async Task ExecuteAsync(MissionRun run, PluginManifest manifest, ChosenPlan chosen)
    {
        run.Prefix.Clear();
        run.PrefixPlanners.Clear();
        var steps = chosen.Plan.Steps;
        var surprise = false;
        for (var i = 0; i < steps.Count && !surprise; i++)
        {
            var step = steps[i];
            if (manifest.Actions.FirstOrDefault(a => string.Equals(a.Name, step.Action, StringComparison.OrdinalIgnoreCase)) is { Risky: true }
                && await ApproveAsync(run, step, steps.Count) is { } refusal)
            {
                run.Reason = refusal;
                run.PlanFrom = run.State;
                return;
            }

            run.Progress("execute", steps.Count);
            var outcome = await run.Context.CallActivityAsync<ExecuteStepResponse>(
                nameof(ExecuteStepActivity),
                new ExecuteStepRequest(run.Input.PluginAppId, run.Input.Context, step, $"{run.MissionId}/r{run.Replans}/s{i}", run.MissionId, run.Input.AgentId, run.Executed.Count),
                StepRetry);
            run.Timings["execute"] += outcome.DurationMs;
            surprise = Compare(run, manifest, chosen, i, outcome.Result);
            run.Steps.Add(MissionTrace.Executed(run, chosen, i, outcome, surprise));
            if (outcome.Result.State is { } observed)
            {
                run.Observe(observed);
            }
        }

        run.PlanFrom = run.State;
        if (run.FollowsGivenPlan)
        {
            EndGivenPlan(run, surprise);
        }
        else if (surprise && !run.GoalReached && !run.TryReplan(run.Feedback.LastOrDefault() ?? "the execution diverged from the plan"))
        {
            run.Reason = $"Execution kept diverging from the plan after {run.Replans} replans: {string.Join("; ", run.Feedback.TakeLast(3))}";
        }
        else if (!surprise && !run.GoalReached)
        {
            run.Reason = "The plan ran to its end but the plugin reports the goal as not reached.";
        }
    }

    /// <summary>
    /// A given plan is run once (there is no planner to replan with): without a goal it succeeds when every step did; a
    /// failed step ends the mission with the plugin's message.
    /// </summary>
    private static void EndGivenPlan(MissionRun run, bool surprise)
    {
        if (!surprise && run.Goal.Count == 0)
        {
            run.GoalReached = true;
        }
        else if (!run.GoalReached)
        {
            run.Reason = surprise
                ? $"The given plan stopped: {run.Feedback.LastOrDefault()}"
                : "The given plan ran to its end but the plugin reports the goal as not reached.";
        }
    }

    /// <summary>
    /// Compares what a step did with what the world model predicted; true on a surprise (the step failed, or the observed
    /// state differs from the predicted one). Steps the world model accepted teach it: their failures reveal what the
    /// plugin does not declare.
    /// </summary>
    private static bool Compare(MissionRun run, PluginManifest manifest, ChosenPlan chosen, int index, ActionResult result)
    {
        var step = chosen.Plan.Steps[index];
        var stepId = $"{run.MissionId}/r{run.Replans}/s{index}";
        var predicted = chosen.Predicted is { } p && index < p.Steps.Count ? p.Steps[index] : null;
        if (predicted is { PreconditionsHold: true })
        {
            run.Outcomes.Add(new OutcomeSample(run.Input.PluginAppId, step.Action, StepSignature.Of(step, run.State.Facts), result.Outcome == ActionOutcome.Succeeded));
        }

        if (result.Outcome != ActionOutcome.Succeeded)
        {
            if (predicted is { PreconditionsHold: true } && result.Outcome == ActionOutcome.Failed)
            {
                Discover(run, manifest, step, stepId, result.Error ?? result.Observation);
            }

            run.Failures++;
            run.Feedback.Add($"{step} {result.Outcome}: {result.Error ?? result.Observation}");
            return true;
        }

        run.Executed.Add(step.ToString());
        run.ExecutedPlanners.Add(chosen.StepPlanners[index]);
        run.LastStepId = stepId;
        if (predicted is not null && result.State is { } observed && !SameFacts(observed.Facts, predicted.PredictedFacts))
        {
            run.Surprises++;
            run.Feedback.Add($"after {step} the observed state differed from the prediction");
            return true;
        }

        return false;
    }

    /// <summary>
    /// A step the world model accepted was rejected by the plugin: the literals its error names that the action does not
    /// declare are preconditions the plugin hides. Kept over the action's parameters (<c>(fuel ?p)</c>) for reflection to
    /// write as facts; the error itself when it names no literal.
    /// </summary>
    private static void Discover(MissionRun run, PluginManifest manifest, PlanStep step, string stepId, string? error)
    {
        var action = manifest.Actions.FirstOrDefault(a => string.Equals(a.Name, step.Action, StringComparison.OrdinalIgnoreCase));
        var declared = (action?.Preconditions ?? [])
            .Select(p => LearnedPreconditionWorldModel.Ground(p.ToString(), step)?.ToString())
            .OfType<string>()
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        var literals = LlmWorldModel.Parse(LiteralPattern().Matches(error ?? "").Select(m => m.Value))
            .Where(l => !declared.Contains(l.ToString()))
            .Select(l => Parameterised(l, step).ToString())
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Take(3)
            .ToList();

        // No literal at all: the error itself is what was learned; only declared literals: nothing is hidden.
        var found = new List<string?>(literals);
        if (found.Count == 0 && error is not null && !LiteralPattern().IsMatch(error))
        {
            found.Add(null);
        }

        foreach (var literal in found)
        {
            if (!run.Discovered.Any(d => string.Equals(d.Action, step.Action, StringComparison.OrdinalIgnoreCase) && string.Equals(d.Literal, literal, StringComparison.OrdinalIgnoreCase)))
            {
                run.Discovered.Add(new DiscoveredPrecondition(step.Action, literal, step.ToString(), stepId, error));
            }
        }
    }

    /// <summary>The literal with every argument of the step replaced by its parameter (<c>?name</c>).</summary>
    private static ContractLiteral Parameterised(ContractLiteral literal, PlanStep step) => literal with
    {
        Arguments = literal.Arguments
            .Select(a => step.Arguments.FirstOrDefault(s => string.Equals(s.Value, a, StringComparison.Ordinal)) is { } bound ? "?" + bound.Name.TrimStart('?') : a)
            .ToList(),
    };

    [GeneratedRegex(@"\(not \([^()]*\)\)|\([^()]*\)", RegexOptions.CultureInvariant)]
    private static partial Regex LiteralPattern();

    /// <summary>Waits for a human's decision on a risky step; null when approved, else why the mission stops.</summary>
    private static async Task<string?> ApproveAsync(MissionRun run, PlanStep step, int planLength)
    {
        run.Progress($"awaiting approval of {step}", planLength);
        var timeout = run.Input.ApprovalTimeoutSeconds;
        var approval = await WaitForApprovalAsync(run.Context, timeout);
        return approval switch
        {
            { Approved: true } => null,
            null => $"The risky step {step} was not approved within {timeout} s.",
            _ => $"The risky step {step} was denied{(approval.By is null ? "" : " by " + approval.By)}{(approval.Comment is null ? "" : ": " + approval.Comment)}.",
        };
    }

    /// <summary>The mission's own log goes to the reflector synchronously (CRITICAL): its lessons are part of the result.</summary>
    private static async Task<ReflectOutput> ReflectAsync(MissionRun run)
    {
        run.Progress("reflect", run.Executed.Count);
        var reflection = await run.Context.CallActivityAsync<ReflectOutput>(
            nameof(ReflectActivity),
            new ExecutionLog(
                LogId: $"{run.MissionId}/mission",
                MissionId: run.MissionId,
                AgentId: run.Input.AgentId,
                StepIndex: run.Executed.Count,
                Action: $"mission {run.Input.PluginAppId}",
                Outcome: run.GoalReached ? ActionOutcome.Succeeded : ActionOutcome.Failed,
                DurationMs: run.Timings.Values.Sum(),
                Timestamp: run.Context.CurrentUtcDateTime,
                Observation: run.Description,
                Error: run.Reason,
                Surprise: run.Surprises > 0,
                Steps: run.Executed.Count,
                Failures: run.Failures,
                Priority: ReflectionPriority.Critical));
        run.Timings["reflect"] += reflection.DurationMs;
        return reflection;
    }

    /// <summary>The world model learns from the outcomes; the mission lands in memory.</summary>
    private static async Task RememberAsync(MissionRun run, ReflectOutput reflection)
    {
        run.Progress("remember", run.Executed.Count);
        var remembered = await run.Context.CallActivityAsync<RememberOutput>(
            nameof(RememberActivity),
            new RememberInput(run.MissionId, run.Input.AgentId, run.Description, Status(run), run.GoalReached, run.Executed.Count, run.Executed,
                reflection.Reflection.Lessons, run.Outcomes, Report(run)));
        run.Timings["remember"] += remembered.DurationMs;
    }

    /// <summary>What reflection writes as a procedure and facts, with the procedure this mission used or found stored.</summary>
    private static MissionReport Report(MissionRun run)
    {
        var procedureId = ProcedureTemplate.IdFor(run.Input.PluginAppId, ProcedureTemplate.PatternOf(run.Goal));
        return new MissionReport(
            run.Input.PluginAppId,
            run.Input.Context,
            run.Goal,
            run.State.Objects.Select(o => o.Name).ToList(),
            run.State.Facts,
            run.Discovered,
            run.Surprises,
            run.Failures,
            run.Replans,
            Math.Round(run.Timings.Values.Sum(), 3),
            run.Reason,
            run.ExecutedPlanner,
            run.ExecutedPlanners.Contains(MemoryPlanner, StringComparer.Ordinal) ? run.OfferedProcedure?.Entry : null,
            run.Recalled.FirstOrDefault(r => r.Entry.Id == procedureId && r.Entry.Procedure is not null)?.Entry,
            run.LastStepId);
    }

    private static MissionResult Result(MissionRun run, ReflectOutput reflection) => new(
        run.MissionId,
        Status(run),
        run.GoalReached,
        run.Executed,
        run.Timings.Select(kv => new PhaseTiming(kv.Key, Math.Round(kv.Value, 3))).ToList(),
        run.Executed.Count,
        run.Replans,
        run.Reason,
        reflection.Reflection.QualityScore,
        reflection.Reflection.Lessons,
        run.ExecutedPlanner,
        run.Rounds,
        run.Failures,
        run.Recalled.Select(r => new RecalledMemory(r.Entry.Id, r.Type, run.Verdicts.TryGetValue(r.Entry.Id, out var verdict) ? $"{r.Why}; {verdict}" : r.Why)).ToList(),
        run.Steps,
        run.ReplanReasons);

    private static string Status(MissionRun run) => run.GoalReached ? Succeeded : Failed;

    private static IReadOnlyList<string> Planners(IReadOnlyList<Proposal> proposals) => proposals.Select(p => p.Plan.Planner).ToList();

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
    /// <returns>The index of the proposal whose prefix was kept; -1 when none was.</returns>
    private static int KeepLongestValidPrefix(MissionRun run, IReadOnlyList<Proposal> proposals, IReadOnlyList<SimulationResult> simulations)
    {
        var best = -1;
        var bestLength = run.Prefix.Count;
        for (var i = 0; i < Math.Min(proposals.Count, simulations.Count); i++)
        {
            // Steps that run and are not expected to fail; a plan kept whole that reaches the goal would only be proposed again.
            var sim = simulations[i];
            var valid = sim.Steps.TakeWhile(p => p.PreconditionsHold && p.Probability >= AcceptThreshold).Count();
            if (valid > bestLength && !(valid >= proposals[i].Plan.Steps.Count && sim.GoalReached))
            {
                best = i;
                bestLength = valid;
            }
        }

        if (best < 0)
        {
            return best;
        }

        run.Prefix.Clear();
        run.Prefix.AddRange(proposals[best].Plan.Steps.Take(bestLength));
        run.PrefixPlanners.Clear();
        run.PrefixPlanners.AddRange(proposals[best].StepPlanners.Take(bestLength));
        run.PlanFrom = run.State with { Facts = simulations[best].Steps[bestLength - 1].PredictedFacts, GoalReached = null };
        return best;
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
