using System.Globalization;
using Maximus.Contracts;
using Maximus.Contracts.Memory;
using Maximus.Contracts.Plugins;
using Maximus.Contracts.Ports;
using Maximus.Missions.Workflows;

namespace Maximus.Missions.Learning;

/// <summary>
/// What a mission leaves in memory, through the memory service's <c>/entries</c> route, every entry tagged with its
/// provenance (the mission, and the workflow phase and step that produced it):
/// <list type="bullet">
/// <item>an episode: goal, plan, outcome, surprises, failures, replans, duration;</item>
/// <item>a procedure: the goal pattern and the executed steps over <c>?x1</c>…<c>?xn</c>, one entry per plugin and goal
/// pattern, whose success and failure counts every later use updates (<c>/outcomes</c>);</item>
/// <item>facts: each precondition the plugin hid (<c>action requires-precondition literal</c>), and the facts observed
/// last (bounded).</item>
/// </list>
/// </summary>
public sealed class MissionReflection(IServiceInvoker invoker)
{
    /// <summary>At most this many facts of the final state are written per mission.</summary>
    public const int MaxStateFacts = 16;

    /// <summary>
    /// Writes what the mission taught in one batch (<c>entries:batch</c>): its episode, its procedure, the preconditions it
    /// discovered and the final state's facts, embedded together and stored in one transaction. They were some twenty single
    /// writes one after another, each embedded alone: after a restart, a dozen missions remembering at once took about a
    /// second before any of them could report itself done. A procedure used unchanged is counted through <c>/outcomes</c>.
    /// </summary>
    public async Task WriteAsync(RememberInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var report = input.Report ?? throw new ArgumentException("The mission has no report to reflect on.", nameof(input));
        var writes = new List<WriteMemoryRequest> { Episode(input, report) };
        if (await ProcedureAsync(input, report).ConfigureAwait(false) is { } procedure)
        {
            writes.Add(procedure);
        }

        writes.AddRange(report.Preconditions.DistinctBy(d => (d.Action, d.Literal)).Select(d => Precondition(input, report, d)));
        writes.AddRange(report.FinalFacts.Where(f => !f.Negated).Take(MaxStateFacts).Select(f => StateFact(input, report, f)));

        // One write per id, the last (as the writes one after another left it).
        var distinct = writes.GroupBy(w => w.Id, StringComparer.Ordinal).Select(g => g.Last()).ToList();
        await invoker.InvokeAsync<WriteMemoryBatchRequest, WriteMemoryBatchResponse>(
            AppIds.Memory, $"v1/memory/{Uri.EscapeDataString(input.AgentId)}/entries:batch", new WriteMemoryBatchRequest(distinct)).ConfigureAwait(false);
    }

    /// <summary>The episode, with the id of the mission's episode line: where the episodic stores are one, this is the same entry.</summary>
    private static WriteMemoryRequest Episode(RememberInput input, MissionReport report)
    {
        var goal = report.Goal.Count == 0 ? "none" : string.Join(' ', report.Goal);
        var plan = input.Plan.Count == 0 ? "no step" : string.Join(' ', input.Plan);
        var text = $"Mission '{input.Summary}' on {report.PluginAppId}: {input.Outcome}. Goal: {goal}. Plan: {plan}. "
            + string.Create(CultureInfo.InvariantCulture, $"Surprises: {report.Surprises}, failed steps: {report.Failures}, replans: {report.Replans}, duration: {report.DurationMs:0.#} ms.")
            + (report.Planner is null ? "" : $" Planner: {report.Planner}.")
            + (report.Reason is null ? "" : $" Why it stopped: {report.Reason}")
            + (input.Lessons.Count == 0 ? "" : $" Lessons: {string.Join(" ", input.Lessons)}");
        var tags = Provenance(input, report, LearnedFacts.MissionKind, "remember", $"{input.MissionId}/remember");
        tags["goalReached"] = input.GoalReached ? "true" : "false";
        tags["steps"] = input.Steps.ToString(CultureInfo.InvariantCulture);
        tags["surprises"] = report.Surprises.ToString(CultureInfo.InvariantCulture);
        tags["replans"] = report.Replans.ToString(CultureInfo.InvariantCulture);
        tags["durationMs"] = report.DurationMs.ToString("0.###", CultureInfo.InvariantCulture);
        return new WriteMemoryRequest(MemoryType.Episodic, Bounded(text), $"mission-{input.MissionId}", Tags: tags, Actor: AppIds.Orchestrator, Outcome: input.Outcome);
    }

    /// <summary>
    /// The executed plan as a procedure. A use of a recalled procedure whose steps ran unchanged (or that failed) counts
    /// through <c>/outcomes</c>; a repaired use that reached the goal rewrites it under the same id with the repaired steps,
    /// keeping its record plus this success; a first success writes it. Returns the write, or null when there is none.
    /// </summary>
    private async Task<WriteMemoryRequest?> ProcedureAsync(RememberInput input, MissionReport report)
    {
        if (input.Plan.Count == 0 || report.Goal.Count == 0)
        {
            return null;
        }

        var template = ProcedureTemplate.Of(report.Goal, input.Plan);
        var id = ProcedureTemplate.IdFor(report.PluginAppId, template.GoalPattern);
        var used = report.UsedProcedure;
        if (used?.Procedure is { } p && (!input.GoalReached || p.Steps.SequenceEqual(template.Steps, StringComparer.Ordinal)))
        {
            await invoker.InvokeAsync<ProcedureOutcome, MemoryEntry>(
                AppIds.Memory, $"v1/memory/{Uri.EscapeDataString(input.AgentId)}/entries/{Uri.EscapeDataString(used.Id)}/outcomes", new ProcedureOutcome(input.GoalReached))
                .ConfigureAwait(false);
            return null;
        }

        // A stored procedure this mission did not use is left as it is: not using it is no evidence against it.
        if (!input.GoalReached || (used?.Id != id && report.PriorProcedure is not null))
        {
            return null;
        }

        var prior = used?.Id == id ? used.Procedure : null;
        var tags = Provenance(input, report, LearnedFacts.ProcedureKind, "execute", $"{input.MissionId}/execute");
        tags[ProcedureTemplate.ObjectsTag] = string.Join(' ', template.Objects);
        return new WriteMemoryRequest(
            MemoryType.Procedural,
            Bounded($"To reach {template.GoalPattern} on {report.PluginAppId}: {string.Join(' ', template.Steps)}"),
            id,
            Tags: tags,
            Actor: AppIds.Orchestrator,
            Outcome: input.Outcome,
            Procedure: new Procedure(template.GoalPattern, template.Steps, (prior?.Successes ?? 0) + 1, prior?.Failures ?? 0));
    }

    private static WriteMemoryRequest Precondition(RememberInput input, MissionReport report, DiscoveredPrecondition discovered)
    {
        var learned = discovered.Literal ?? Bounded(discovered.Error ?? "an undeclared precondition", 200);
        var tags = Provenance(input, report, LearnedFacts.PreconditionKind, "execute", discovered.StepId);
        tags["action"] = discovered.Action;
        return new WriteMemoryRequest(
            MemoryType.Semantic,
            Bounded($"{discovered.Action} on {report.PluginAppId} requires {learned}, which the plugin does not declare: {discovered.Step} was rejected ({discovered.Error ?? "no error given"})."),
            ProcedureTemplate.StableId("precondition", report.PluginAppId, $"{discovered.Action}|{learned}"),
            Tags: tags,
            Actor: AppIds.Orchestrator,
            Fact: new SemanticFact(discovered.Action, LearnedFacts.RequiresPrecondition, learned));
    }

    private static WriteMemoryRequest StateFact(RememberInput input, MissionReport report, ContractLiteral fact)
    {
        var subject = fact.Arguments.Count > 0 ? fact.Arguments[0] : report.PluginAppId;
        var value = fact.Arguments.Count > 1 ? string.Join(' ', fact.Arguments.Skip(1)) : "true";
        var tags = Provenance(input, report, LearnedFacts.StateKind, "observe", report.FinalStep ?? $"{input.MissionId}/observe");
        if (report.Context is { } context)
        {
            tags["context"] = context;
        }

        return new WriteMemoryRequest(
            MemoryType.Semantic,
            Bounded($"{fact} held on {report.PluginAppId}{(report.Context is null ? "" : " (" + report.Context + ")")} after mission {input.MissionId}."),
            ProcedureTemplate.StableId("state", report.PluginAppId, $"{report.Context}|{fact}"),
            Tags: tags,
            Actor: AppIds.Orchestrator,
            Fact: new SemanticFact(subject, fact.Predicate, value));
    }

    private static Dictionary<string, string> Provenance(RememberInput input, MissionReport report, string kind, string phase, string step) => new()
    {
        [LearnedFacts.MissionTag] = input.MissionId,
        [LearnedFacts.KindTag] = kind,
        [LearnedFacts.PluginTag] = report.PluginAppId,
        [LearnedFacts.PhaseTag] = phase,
        [LearnedFacts.StepTag] = step,
    };

    private static string Bounded(string text, int max = 4000) => text.Length <= max ? text : text[..max];
}
