using Maximus.Contracts.Memory;
using Maximus.Contracts;
using Maximus.Contracts.Ports;
using Maximus.Memory.Hybrid;
using Maximus.Memory.Mirix;

namespace Maximus.Memory.Apis;

/// <summary>
/// MIRIX memory: write (one entry, or up to 1,000 in a batch), get, forget, search (merged over types with their rankings; <c>asOf</c>/<c>knownAt</c> for
/// bi-temporal facts), fact invalidation (retraction: the fact stays for "known at" queries), procedure outcomes. A fact
/// written for a functional predicate lists the facts it closed in <c>fact.supersedes</c>.
/// </summary>
public static class AgentMemoryApi
{
    public sealed record Forgotten(string Id, bool Removed);

    /// <summary>The newest live entries of one type (what <c>GET entries?type=</c> lists) and how many there are.</summary>
    public sealed record EntryPage(string AgentId, MemoryType Type, int Total, IReadOnlyList<MemoryEntry> Items);

    public static IEnumerable<ServiceOperation> Operations { get; } =
    [
        ServiceOperation.Post<WriteMemoryRequest, MemoryEntry>(AppIds.Memory, "v1/memory/{agentId}/entries", async (request, call) =>
            (await call.GetService<HybridRetriever>().IngestAsync(call.Route("agentId"), [new HybridDocument(request)], call.CancellationToken).ConfigureAwait(false))[0],
            successStatus: 201),
        ServiceOperation.Post<WriteMemoryBatchRequest, WriteMemoryBatchResponse>(AppIds.Memory, "v1/memory/{agentId}/entries:batch", async (request, call) =>
        {
            if (request.Entries is not { Count: > 0 and <= WriteMemoryBatchRequest.MaxEntries })
            {
                throw ProblemException.Invalid("entries", $"must hold 1 to {WriteMemoryBatchRequest.MaxEntries} entries.");
            }

            var agentId = call.Route("agentId");
            var entries = await call.GetService<HybridRetriever>()
                .IngestAsync(agentId, [.. request.Entries.Select(e => new HybridDocument(e))], call.CancellationToken, "entries").ConfigureAwait(false);
            return new WriteMemoryBatchResponse(agentId, entries.Count, [.. entries.Select((e, i) => new WrittenEntry(i, e.Id, e.Type, e.Fact?.Supersedes))]);
        }),
        ServiceOperation.Get(AppIds.Memory, "v1/memory/{agentId}/entries", async call =>
        {
            var agentId = call.Route("agentId");
            if (!Enum.TryParse<MemoryType>(call.QueryValue("type") ?? "episodic", ignoreCase: true, out var type))
            {
                throw ProblemException.Invalid("type", "must be episodic, semantic, procedural or resource.");
            }

            var (total, items) = await call.GetService<AgentMemory>().ListAsync(agentId, type, call.QueryInt("limit", 50, 1, 1000), call.CancellationToken).ConfigureAwait(false);
            return new EntryPage(agentId, type, total, items);
        }),
        ServiceOperation.Get(AppIds.Memory, "v1/memory/{agentId}/entries/{id}", call =>
            call.GetService<AgentMemory>().GetAsync(call.Route("agentId"), call.Route("id"), call.CancellationToken)),
        new ServiceOperation(AppIds.Memory, "DELETE", "v1/memory/{agentId}/entries/{id}", null, typeof(Forgotten), async call =>
            new Forgotten(call.Route("id"), await call.GetService<AgentMemory>().ForgetAsync(call.Route("agentId"), call.Route("id"), call.CancellationToken).ConfigureAwait(false))),
        ServiceOperation.Post<SearchMemoryRequest, SearchMemoryResponse>(AppIds.Memory, "v1/memory/{agentId}/search",
            (request, call) => call.GetService<AgentMemory>().SearchAsync(call.Route("agentId"), request, call.CancellationToken)) with { Admission = ServiceOperation.QueryEmbedding },
        ServiceOperation.Post<object, MemoryEntry>(AppIds.Memory, "v1/memory/{agentId}/entries/{id}/invalidate",
            (_, call) => call.GetService<AgentMemory>().InvalidateFactAsync(call.Route("agentId"), call.Route("id"), call.CancellationToken)),
        ServiceOperation.Post<ProcedureOutcome, MemoryEntry>(AppIds.Memory, "v1/memory/{agentId}/entries/{id}/outcomes",
            (outcome, call) => call.GetService<AgentMemory>().RecordOutcomeAsync(call.Route("agentId"), call.Route("id"), outcome.Succeeded, call.CancellationToken)),
    ];
}
