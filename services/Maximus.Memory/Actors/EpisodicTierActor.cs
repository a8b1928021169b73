using Dapr.Actors;
using Dapr.Actors.Runtime;
using Maximus.Contracts.Memory;

namespace Maximus.Memory.Actors;

/// <summary>One agent's episodic tier: appends are serialised per agent (turn-based), so none is lost.</summary>
public interface IEpisodicTierActor : IActor
{
    Task<EpisodicMemory> AppendAsync(AppendEpisodeRequest request);

    Task<EpisodicMemoryPage> ListAsync(int limit);
}

/// <summary>The episodic tier of one agent (actor id = agent id); the rules live in <see cref="EpisodicTier"/>.</summary>
public sealed class EpisodicTierActor : Actor, IEpisodicTierActor
{
    public const string EpisodesKey = "episodes";

    private readonly TimeProvider _time;

    /// <param name="stateManager">Given by the embedded runtime and by tests; Dapr's own otherwise.</param>
    public EpisodicTierActor(ActorHost host, TimeProvider time, IActorStateManager? stateManager = null)
        : base(host)
    {
        _time = time;
        if (stateManager is not null)
        {
            StateManager = stateManager;
        }
    }

    public async Task<EpisodicMemory> AppendAsync(AppendEpisodeRequest request)
    {
        var episodes = (await StateManager.TryGetStateAsync<List<EpisodicMemory>>(EpisodesKey).ConfigureAwait(false)) is { HasValue: true } found
            ? found.Value
            : [];
        var (episode, added) = EpisodicTier.Append(episodes, Id.GetId(), request, _time.GetUtcNow());
        if (added)
        {
            await StateManager.SetStateAsync(EpisodesKey, episodes).ConfigureAwait(false);
        }

        return episode;
    }

    public async Task<EpisodicMemoryPage> ListAsync(int limit)
    {
        var episodes = (await StateManager.TryGetStateAsync<List<EpisodicMemory>>(EpisodesKey).ConfigureAwait(false)) is { HasValue: true } found
            ? found.Value
            : [];
        return EpisodicTier.Page(Id.GetId(), episodes, limit);
    }
}

/// <summary>The episodic tier's rules, independent of where the state lives.</summary>
public static class EpisodicTier
{
    /// <summary>Most episodes kept per agent in the hot tier; the oldest are dropped first.</summary>
    public const int Capacity = 10_000;

    /// <summary>Appends unless an episode with the same id exists (idempotent); returns the stored episode.</summary>
    public static (EpisodicMemory Episode, bool Added) Append(List<EpisodicMemory> episodes, string agentId, AppendEpisodeRequest request, DateTimeOffset now)
    {
        var id = request.Id ?? throw new ArgumentException("An episode needs an id.", nameof(request));
        if (episodes.Find(e => e.Id == id) is { } existing)
        {
            return (existing, false);
        }

        var episode = new EpisodicMemory(id, agentId, request.OccurredAt ?? now, request.Event, request.Actor, request.Outcome, request.Tags);
        episodes.Add(episode);
        if (episodes.Count > Capacity)
        {
            episodes.RemoveRange(0, episodes.Count - Capacity);
        }

        return (episode, true);
    }

    /// <summary>Newest first; episodes with the same time keep their insertion order reversed.</summary>
    public static EpisodicMemoryPage Page(string agentId, IReadOnlyList<EpisodicMemory> episodes, int limit) =>
        new(agentId, episodes.Count, episodes.Select((e, i) => (e, i)).OrderByDescending(x => x.e.OccurredAt).ThenByDescending(x => x.i)
            .Take(limit).Select(x => x.e).ToList());
}
