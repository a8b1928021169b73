using Maximus.Contracts.Memory;
using Maximus.Contracts;
using Maximus.Contracts.Ports;
using Maximus.Memory.Hybrid;
using Maximus.Memory.Mirix;

namespace Maximus.Memory.Apis;

/// <summary>Conversations as episodic memory, recalled by hybrid (lexical BM25 + dense) retrieval with neighbour turns.</summary>
public static class HybridApi
{
    /// <summary>One turn of a conversation: who said what, in which session, in which order.</summary>
    public sealed record Turn(string Text, string? Speaker = null, string? Session = null, int Sequence = 0, DateTimeOffset? OccurredAt = null, string? Id = null);

    public sealed record IngestRequest(IReadOnlyList<Turn> Turns);

    public sealed record IngestResponse(int Ingested, IReadOnlyList<string> Ids);

    public sealed record RecallRequest(string Query, int K = 10);

    public sealed record RecallResponse(string AgentId, IReadOnlyList<HybridHit> Hits);

    public static IEnumerable<ServiceOperation> Operations { get; } =
    [
        ServiceOperation.Post<IngestRequest, IngestResponse>(AppIds.Memory, "v1/memory/{agentId}/conversations", async (request, call) =>
        {
            if (request.Turns is not { Count: > 0 and <= 10_000 })
            {
                throw ProblemException.Invalid("turns", "must hold 1 to 10000 turns.");
            }

            var documents = request.Turns.Select(t => new HybridDocument(
                new WriteMemoryRequest(
                    MemoryType.Episodic,
                    t.Speaker is null ? t.Text : $"{t.Speaker}: {t.Text}",
                    Id: t.Id,
                    OccurredAt: t.OccurredAt,
                    Actor: t.Speaker,
                    Tags: t.Session is null ? null : new Dictionary<string, string> { ["session"] = t.Session }),
                t.Session,
                t.Sequence)).ToList();
            var entries = await call.GetService<HybridRetriever>().IngestAsync(call.Route("agentId"), documents, call.CancellationToken, "turns").ConfigureAwait(false);
            return new IngestResponse(entries.Count, [.. entries.Select(e => e.Id)]);
        }, successStatus: 201),
        ServiceOperation.Post<RecallRequest, RecallResponse>(AppIds.Memory, "v1/memory/{agentId}/recall", async (request, call) =>
        {
            var agentId = call.Route("agentId");
            EpisodicMemoryStore.ValidateAgent(agentId);
            if (string.IsNullOrWhiteSpace(request.Query))
            {
                throw ProblemException.Invalid("query", "is required.");
            }

            if (request.K is < 1 or > 100)
            {
                throw ProblemException.Invalid("k", "must be from 1 to 100.");
            }

            var hits = await call.GetService<HybridRetriever>().SearchAsync(agentId, request.Query, request.K, call.CancellationToken).ConfigureAwait(false);
            return new RecallResponse(agentId, hits);
        }) with { Admission = ServiceOperation.QueryEmbedding },
    ];
}
