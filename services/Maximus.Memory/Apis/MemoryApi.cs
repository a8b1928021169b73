using Maximus.Contracts;
using Maximus.Contracts.Memory;
using Maximus.Contracts.Ports;

namespace Maximus.Memory.Apis;

/// <summary>
/// The v1 episodic API, an alias over the one memory store: append writes an episodic entry (as <c>/entries</c> does,
/// and indexed for <c>/recall</c>), list returns the newest episodic entries whichever route wrote them.
/// </summary>
public static class MemoryApi
{
    public static IEnumerable<ServiceOperation> Operations { get; } =
    [
        ServiceOperation.Post<AppendEpisodeRequest, EpisodicMemory>(AppIds.Memory, "v1/memory/{agentId}/episodic",
            (request, call) => call.GetService<EpisodicMemoryStore>().AppendAsync(call.Route("agentId"), request, call.CancellationToken),
            successStatus: 201),
        ServiceOperation.Get(AppIds.Memory, "v1/memory/{agentId}/episodic", call =>
            call.GetService<EpisodicMemoryStore>().ListAsync(call.Route("agentId"), call.QueryInt("limit", 20, 1, 1000), call.CancellationToken)),
    ];
}
