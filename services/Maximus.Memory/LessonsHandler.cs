using Maximus.Contracts;
using Maximus.Contracts.Events;
using Maximus.Contracts.Memory;
using Maximus.Contracts.Ports;

namespace Maximus.Memory;

/// <summary>
/// Turns a reflection's lessons into an episodic memory of the one store (tags kind=lesson, missionId, logId;
/// idempotent by the reflection's log id), so <c>/search</c> and <c>/recall</c> find it.
/// </summary>
public sealed class LessonsHandler(EpisodicMemoryStore episodic) : IIntegrationEventHandler<ReflectionCompletedIntegrationEvent>
{
    public async Task HandleAsync(ReflectionCompletedIntegrationEvent integrationEvent, CancellationToken cancellationToken)
    {
        var r = integrationEvent.Reflection;
        if (r.Lessons.Count == 0)
        {
            return;
        }

        await episodic.AppendAsync(
            r.AgentId,
            new AppendEpisodeRequest(
                Event: $"Lesson: {string.Join(" ", r.Lessons)}",
                Actor: AppIds.Reflector,
                Outcome: r.Classification,
                Tags: new Dictionary<string, string> { ["missionId"] = r.MissionId, ["kind"] = "lesson", ["logId"] = r.LogId },
                Id: $"lesson-{r.LogId}",
                OccurredAt: r.ReflectedAt),
            cancellationToken).ConfigureAwait(false);
    }
}
