using System.Text.RegularExpressions;
using Maximus.Contracts.Memory;
using Maximus.Contracts.Ports;
using Maximus.Memory.Actors;

namespace Maximus.Memory;

/// <summary>
/// Episodic memory: time-stamped events per agent. Each agent's episodes live in its
/// <see cref="EpisodicTierActor"/> (a Dapr actor, or the embedded actor host), which serialises writes.
/// </summary>
public sealed partial class EpisodicMemoryStore(IActorInvoker actors)
{
    public const string ActorType = nameof(EpisodicTierActor);

    public Task<EpisodicMemory> AppendAsync(string agentId, AppendEpisodeRequest request, CancellationToken cancellationToken)
    {
        ValidateAgent(agentId);
        Validate(request);

        // The id is fixed before the call, so a retried call cannot append twice.
        var withId = request with { Id = request.Id ?? Guid.NewGuid().ToString("N") };
        return actors.InvokeAsync<IEpisodicTierActor, EpisodicMemory>(ActorType, agentId, tier => tier.AppendAsync(withId));
    }

    public Task<EpisodicMemoryPage> ListAsync(string agentId, int limit, CancellationToken cancellationToken)
    {
        ValidateAgent(agentId);
        return actors.InvokeAsync<IEpisodicTierActor, EpisodicMemoryPage>(ActorType, agentId, tier => tier.ListAsync(limit));
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
