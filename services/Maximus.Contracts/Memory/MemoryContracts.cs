namespace Maximus.Contracts.Memory;

/// <summary>A time-stamped event in an agent's episodic memory.</summary>
public sealed record EpisodicMemory(
    string Id,
    string AgentId,
    DateTimeOffset OccurredAt,
    string Event,
    string Actor,
    string Outcome,
    IReadOnlyDictionary<string, string>? Tags = null);

/// <summary>Appends an episode; an explicit <see cref="Id"/> makes the write idempotent.</summary>
public sealed record AppendEpisodeRequest(
    string Event,
    string Actor,
    string Outcome,
    IReadOnlyDictionary<string, string>? Tags = null,
    string? Id = null,
    DateTimeOffset? OccurredAt = null);

public sealed record EpisodicMemoryPage(string AgentId, int Total, IReadOnlyList<EpisodicMemory> Items);
