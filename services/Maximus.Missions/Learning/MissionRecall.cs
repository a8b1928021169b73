using Maximus.Contracts;
using Maximus.Contracts.Memory;
using Maximus.Contracts.Plugins;
using Maximus.Contracts.Ports;
using Maximus.Missions.Workflows;

namespace Maximus.Missions.Learning;

/// <summary>
/// What a mission recalls before it plans, through the memory service's search (each kind bounded and ranked by the
/// memory's own ranking): procedures whose goal pattern matches the goal, past missions on the plugin (successes and
/// failures), preconditions learned for the plugin's actions, and facts observed about the objects of the state.
/// </summary>
public sealed class MissionRecall(IServiceInvoker invoker)
{
    /// <summary>At most this many memories of each kind (learned preconditions: twice as many).</summary>
    public const int PerKind = 5;

    public async Task<IReadOnlyList<Recollection>> RecallAsync(
        string agentId, string pluginAppId, PluginManifest manifest, PluginState state, IReadOnlyList<ContractLiteral> goal, string? description)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(goal);
        var recalled = new List<Recollection>();
        var plugin = new Dictionary<string, string> { [LearnedFacts.PluginTag] = pluginAppId };
        if (goal.Count > 0)
        {
            var pattern = ProcedureTemplate.PatternOf(goal);
            var procedures = await SearchAsync(agentId, pattern, MemoryType.Procedural, PerKind, Tagged(plugin, LearnedFacts.ProcedureKind)).ConfigureAwait(false);
            recalled.AddRange(procedures
                .Where(h => string.Equals(h.Entry.Procedure?.GoalPattern, pattern, StringComparison.Ordinal))
                .Select(h => new Recollection(h.Entry, $"procedure for the goal pattern {pattern} on {pluginAppId} ({h.Entry.Procedure!.Successes} successes, {h.Entry.Procedure.Failures} failures)", h.Score)));
        }

        var about = description ?? (goal.Count > 0 ? string.Join(' ', goal) : pluginAppId);
        var episodes = await SearchAsync(agentId, about, MemoryType.Episodic, PerKind, Tagged(plugin, LearnedFacts.MissionKind)).ConfigureAwait(false);
        recalled.AddRange(episodes.Select(h => new Recollection(h.Entry, $"past mission on {pluginAppId}: {h.Entry.Outcome ?? "outcome unknown"}", h.Score)));

        var actions = manifest.Actions.Select(a => a.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (actions.Count > 0)
        {
            var learned = await SearchAsync(agentId, string.Join(' ', actions), MemoryType.Semantic, 2 * PerKind, Tagged(plugin, LearnedFacts.PreconditionKind)).ConfigureAwait(false);
            recalled.AddRange(learned
                .Where(h => h.Entry.Fact is { Predicate: LearnedFacts.RequiresPrecondition } f && actions.Contains(f.Subject))
                .Select(h => new Recollection(h.Entry, $"precondition learned for {h.Entry.Fact!.Subject}: {h.Entry.Fact.Object}", h.Score)));
        }

        var objects = state.Objects.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        if (objects.Count > 0)
        {
            var facts = await SearchAsync(agentId, string.Join(' ', objects.Take(20)), MemoryType.Semantic, PerKind, Tagged(plugin, LearnedFacts.StateKind)).ConfigureAwait(false);
            recalled.AddRange(facts
                .Where(h => h.Entry.Fact is { } f && (objects.Contains(f.Subject) || f.Object.Split(' ').Any(objects.Contains)))
                .Select(h => new Recollection(h.Entry, $"fact about {h.Entry.Fact!.Subject} observed on {pluginAppId}", h.Score)));
        }

        return recalled;
    }

    private async Task<IReadOnlyList<MemoryHit>> SearchAsync(
        string agentId, string query, MemoryType type, int k, IReadOnlyDictionary<string, string> tags)
    {
        var result = await invoker.InvokeAsync<SearchMemoryRequest, SearchMemoryResponse>(
            AppIds.Memory, $"v1/memory/{Uri.EscapeDataString(agentId)}/search", new SearchMemoryRequest(query, [type], k, tags)).ConfigureAwait(false);
        return result.Hits.Where(h => h.Entry.Type == type).OrderByDescending(h => h.Score).Take(k).ToList();
    }

    private static Dictionary<string, string> Tagged(Dictionary<string, string> plugin, string kind) =>
        new(plugin) { [LearnedFacts.KindTag] = kind };
}
