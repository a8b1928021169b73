using System.Text.RegularExpressions;
using Maximus.Contracts.Memory;
using Maximus.Contracts.Ports;
using Maximus.Memory.Hybrid;
using Maximus.Memory.Mirix;

namespace Maximus.Memory;

/// <summary>
/// The v1 episodic API (<c>v1/memory/{agent}/episodic</c>) over the one memory store: an episode is an episodic
/// <see cref="MemoryEntry"/> of <see cref="AgentMemory"/> (the vector store is the truth), written through
/// <see cref="HybridRetriever.IngestAsync"/> like every other write, so <c>/search</c> and <c>/recall</c> see it, and
/// listed newest first from the same store. Event, actor, outcome, tags and time map onto the entry's text, actor,
/// outcome, tags and occurredAt.
/// </summary>
public sealed partial class EpisodicMemoryStore(AgentMemory memory, HybridRetriever writer)
{
    /// <summary>Appends an episode; an explicit id makes the call idempotent (an existing episode is returned unchanged).</summary>
    public async Task<EpisodicMemory> AppendAsync(string agentId, AppendEpisodeRequest request, CancellationToken cancellationToken)
    {
        ValidateAgent(agentId);
        Validate(request);

        if (request.Id is { } id && await FindEpisodeAsync(agentId, id, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            return ToEpisode(existing);
        }

        // The id is fixed before the write, so a retried call cannot append twice.
        var write = new WriteMemoryRequest(
            MemoryType.Episodic, request.Event, request.Id ?? Guid.NewGuid().ToString("N"),
            OccurredAt: request.OccurredAt, Tags: request.Tags, Actor: request.Actor, Outcome: request.Outcome);
        var entries = await writer.IngestAsync(agentId, [new HybridDocument(write)], cancellationToken).ConfigureAwait(false);
        return ToEpisode(entries[0]);
    }

    /// <summary>The agent's newest episodic entries, whichever route wrote them (<c>/episodic</c>, <c>/entries</c>, <c>/conversations</c>).</summary>
    public async Task<EpisodicMemoryPage> ListAsync(string agentId, int limit, CancellationToken cancellationToken)
    {
        ValidateAgent(agentId);
        var (total, items) = await memory.ListAsync(agentId, MemoryType.Episodic, limit, cancellationToken).ConfigureAwait(false);
        return new EpisodicMemoryPage(agentId, total, [.. items.Select(ToEpisode)]);
    }

    /// <summary>An entry as a v1 episode; entries written without an actor or an outcome (e.g. conversation turns) show them empty.</summary>
    public static EpisodicMemory ToEpisode(MemoryEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new EpisodicMemory(entry.Id, entry.AgentId, entry.OccurredAt ?? entry.CreatedAt, entry.Text, entry.Actor ?? "", entry.Outcome ?? "", entry.Tags);
    }

    public static void ValidateAgent(string agentId)
    {
        if (string.IsNullOrEmpty(agentId) || !AgentIdPattern().IsMatch(agentId))
        {
            throw ProblemException.Invalid("agentId", "must be 1 to 64 letters, digits, '.', '_' or '-'.");
        }
    }

    private async Task<MemoryEntry?> FindEpisodeAsync(string agentId, string id, CancellationToken cancellationToken)
    {
        try
        {
            var entry = await memory.GetAsync(agentId, id, cancellationToken).ConfigureAwait(false);
            return entry.Type == MemoryType.Episodic ? entry : null;
        }
        catch (ProblemException e) when (e.Status == 404)
        {
            return null;
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
