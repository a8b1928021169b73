using System.Text.RegularExpressions;
using Maximus.Contracts.Memory;
using Maximus.Contracts.Ports;

namespace Maximus.Memory;

/// <summary>
/// Episodic memory: time-stamped events per agent, appended idempotently (by id) with optimistic
/// concurrency on the state store, listed newest first. Later issues add vector search and tiers.
/// </summary>
public sealed partial class EpisodicMemoryStore(IStateStore state, TimeProvider time)
{
    /// <summary>Most episodes kept per agent in this document-per-agent layout; the oldest are dropped first.</summary>
    public const int MaxEpisodesPerAgent = 10_000;

    public static string Key(string agentId) => $"memory:{agentId}:episodic";

    public async Task<EpisodicMemory> AppendAsync(string agentId, AppendEpisodeRequest request, CancellationToken cancellationToken)
    {
        ValidateAgent(agentId);
        Validate(request);
        var id = request.Id ?? Guid.NewGuid().ToString("N");
        EpisodicMemory? stored = null;
        await state.UpdateAsync<List<EpisodicMemory>>(Key(agentId), list =>
        {
            list ??= [];
            stored = list.Find(e => e.Id == id);
            if (stored is null)
            {
                stored = new EpisodicMemory(id, agentId, request.OccurredAt ?? time.GetUtcNow(), request.Event, request.Actor, request.Outcome, request.Tags);
                list.Add(stored);
                if (list.Count > MaxEpisodesPerAgent)
                {
                    list.RemoveRange(0, list.Count - MaxEpisodesPerAgent);
                }
            }

            return list;
        }, cancellationToken).ConfigureAwait(false);
        return stored!;
    }

    public async Task<EpisodicMemoryPage> ListAsync(string agentId, int limit, CancellationToken cancellationToken)
    {
        ValidateAgent(agentId);
        var list = await state.GetAsync<List<EpisodicMemory>>(Key(agentId), cancellationToken).ConfigureAwait(false) ?? [];
        var items = list.OrderByDescending(e => e.OccurredAt).ThenByDescending(e => list.IndexOf(e)).Take(limit).ToList();
        return new EpisodicMemoryPage(agentId, list.Count, items);
    }

    public static void ValidateAgent(string agentId)
    {
        if (string.IsNullOrEmpty(agentId) || !AgentIdPattern().IsMatch(agentId))
        {
            throw ProblemException.Invalid("agentId", "must be 1 to 64 letters, digits, '.', '_' or '-'.");
        }
    }

    private static void Validate(AppendEpisodeRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.Event))
        {
            throw ProblemException.Invalid("event", "is required.");
        }

        if (request.Event.Length > 8000)
        {
            throw ProblemException.Invalid("event", "must be at most 8000 characters.");
        }

        if (string.IsNullOrWhiteSpace(request.Actor))
        {
            throw ProblemException.Invalid("actor", "is required.");
        }

        if (string.IsNullOrWhiteSpace(request.Outcome))
        {
            throw ProblemException.Invalid("outcome", "is required.");
        }

        if (request.Id is { } id && (id.Length == 0 || id.Length > 128))
        {
            throw ProblemException.Invalid("id", "must be 1 to 128 characters.");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex AgentIdPattern();
}
