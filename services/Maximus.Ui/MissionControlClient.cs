using Maximus.Contracts;
using Maximus.Contracts.Memory;
using Maximus.Contracts.Missions;
using Maximus.Contracts.Ports;
using Maximus.Memory.Actors;
using Maximus.Memory.Apis;
using Maximus.Memory.Vault;
using Maximus.Plugins.Pddl.Service;

namespace Maximus.Ui;

/// <summary>
/// The system's own APIs as mission control calls them, through <see cref="IServiceInvoker"/>: in process on the embedded
/// runtime, through the sidecar on Dapr. The page never does what an API does not (approvals, forgetting, starting).
/// </summary>
internal sealed class MissionControlClient(IServiceInvoker invoker)
{
    public Task<IReadOnlyList<MissionView>> MissionsAsync(int limit, CancellationToken ct) =>
        invoker.GetAsync<IReadOnlyList<MissionView>>(AppIds.Orchestrator, $"v1/missions?limit={limit}", ct);

    public Task<MissionView> MissionAsync(string id, CancellationToken ct) =>
        invoker.GetAsync<MissionView>(AppIds.Orchestrator, $"v1/missions/{Html.U(id)}", ct);

    public Task<MissionView> ApproveAsync(string id, StepApproval approval, CancellationToken ct) =>
        invoker.InvokeAsync<StepApproval, MissionView>(AppIds.Orchestrator, $"v1/missions/{Html.U(id)}/approvals", approval, ct);

    public Task<MissionAccepted> StartAsync(MissionRequest request, CancellationToken ct) =>
        invoker.InvokeAsync<MissionRequest, MissionAccepted>(AppIds.Orchestrator, "v1/missions", request, ct);

    public Task<EnvironmentCreated> CreatePddlEnvironmentAsync(string domain, string problem, string? domainFile, string? problemFile, CancellationToken ct) =>
        invoker.InvokeAsync<CreateEnvironmentRequest, EnvironmentCreated>(
            AppIds.PddlPlugin, "v1/environments", new CreateEnvironmentRequest(domain, problem, domainFile ?? "domain.pddl", problemFile ?? "problem.pddl"), ct);

    public Task<AgentMemoryApi.EntryPage> EntriesAsync(string agentId, MemoryType type, int limit, CancellationToken ct) =>
        invoker.GetAsync<AgentMemoryApi.EntryPage>(AppIds.Memory, $"{Agent(agentId)}/entries?type={type.ToString().ToLowerInvariant()}&limit={limit}", ct);

    public Task<MemoryEntry> EntryAsync(string agentId, string id, CancellationToken ct) =>
        invoker.GetAsync<MemoryEntry>(AppIds.Memory, $"{Agent(agentId)}/entries/{Html.U(id)}", ct);

    public Task<AgentMemoryApi.Forgotten> ForgetAsync(string agentId, string id, CancellationToken ct) =>
        invoker.DeleteAsync<AgentMemoryApi.Forgotten>(AppIds.Memory, $"{Agent(agentId)}/entries/{Html.U(id)}", ct);

    /// <summary>Dense search over the typed indexes, ranked per type (the MIRIX search).</summary>
    public Task<SearchMemoryResponse> SearchAsync(string agentId, SearchMemoryRequest request, CancellationToken ct) =>
        invoker.InvokeAsync<SearchMemoryRequest, SearchMemoryResponse>(AppIds.Memory, $"{Agent(agentId)}/search", request, ct);

    /// <summary>Hybrid recall: lexical (BM25) and dense rankings fused.</summary>
    public Task<HybridApi.RecallResponse> RecallAsync(string agentId, string query, int k, CancellationToken ct) =>
        invoker.InvokeAsync<HybridApi.RecallRequest, HybridApi.RecallResponse>(AppIds.Memory, $"{Agent(agentId)}/recall", new HybridApi.RecallRequest(query, k), ct);

    public Task<CoreMemory> CoreAsync(string agentId, CancellationToken ct) =>
        invoker.GetAsync<CoreMemory>(AppIds.Memory, $"{Agent(agentId)}/core", ct);

    /// <summary>The vault's labels and expiry: <see cref="VaultEntryInfo"/> never holds a secret.</summary>
    public Task<IReadOnlyList<VaultEntryInfo>> VaultAsync(string agentId, CancellationToken ct) =>
        invoker.GetAsync<IReadOnlyList<VaultEntryInfo>>(AppIds.Memory, $"{Agent(agentId)}/vault", ct);

    public Task<IReadOnlyList<VaultAuditEntry>> VaultAuditAsync(string agentId, CancellationToken ct) =>
        invoker.GetAsync<IReadOnlyList<VaultAuditEntry>>(AppIds.Memory, $"{Agent(agentId)}/vault/audit", ct);

    private static string Agent(string agentId) => $"v1/memory/{Html.U(agentId)}";
}
