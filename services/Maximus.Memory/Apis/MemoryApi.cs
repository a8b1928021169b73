using Maximus.Contracts;
using Maximus.Contracts.Memory;
using Maximus.Contracts.Ports;

namespace Maximus.Memory.Apis;

/// <summary>The memory service's API: episodic append and list.</summary>
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
