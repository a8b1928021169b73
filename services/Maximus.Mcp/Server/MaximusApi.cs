using Maximus.Contracts;
using Maximus.Contracts.Memory;
using Maximus.Contracts.Missions;
using Maximus.Contracts.Planning;
using Maximus.Contracts.Plugins;
using Maximus.Contracts.Ports;
using Maximus.Memory.Actors;
using Maximus.Memory.Apis;
using Maximus.Plugins.Pddl.Service;

namespace Maximus.Mcp.Server;

/// <summary>
/// The existing service APIs as the tools call them, through <see cref="IServiceInvoker"/> (in process on the embedded
/// runtime, through the sidecar on Dapr). A service's problem becomes the tool's error, in the service's words.
/// </summary>
internal sealed class MaximusApi(IServiceInvoker invoker)
{
    public Task<SearchMemoryResponse> SearchMemoryAsync(string agentId, SearchMemoryRequest request, CancellationToken ct) =>
        Call(() => invoker.InvokeAsync<SearchMemoryRequest, SearchMemoryResponse>(AppIds.Memory, $"{Agent(agentId)}/search", request, ct));

    public Task<MemoryEntry> WriteMemoryAsync(string agentId, WriteMemoryRequest request, CancellationToken ct) =>
        Call(() => invoker.InvokeAsync<WriteMemoryRequest, MemoryEntry>(AppIds.Memory, $"{Agent(agentId)}/entries", request, ct));

    public Task<CoreBlock> ReplaceCoreBlockAsync(string agentId, string block, string text, CancellationToken ct) =>
        Call(() => invoker.InvokeAsync<CoreMemoryApi.ReplaceBlockRequest, CoreBlock>(
            AppIds.Memory, $"{Agent(agentId)}/core/{Uri.EscapeDataString(block)}", new CoreMemoryApi.ReplaceBlockRequest(text), ct));

    public Task<CoreMemory> GetCoreMemoryAsync(string agentId, CancellationToken ct) =>
        Call(() => invoker.GetAsync<CoreMemory>(AppIds.Memory, $"{Agent(agentId)}/core", ct));

    public Task<AgentMemoryApi.Forgotten> ForgetAsync(string agentId, string id, CancellationToken ct) =>
        Call(() => invoker.DeleteAsync<AgentMemoryApi.Forgotten>(AppIds.Memory, $"{Agent(agentId)}/entries/{Uri.EscapeDataString(id)}", ct));

    public Task<MissionAccepted> StartMissionAsync(MissionRequest request, CancellationToken ct) =>
        Call(() => invoker.InvokeAsync<MissionRequest, MissionAccepted>(AppIds.Orchestrator, "v1/missions", request, ct));

    public Task<MissionView> GetMissionAsync(string missionId, CancellationToken ct) =>
        Call(() => invoker.GetAsync<MissionView>(AppIds.Orchestrator, Mission(missionId), ct));

    public Task<MissionView> ApproveAsync(string missionId, StepApproval approval, CancellationToken ct) =>
        Call(() => invoker.InvokeAsync<StepApproval, MissionView>(AppIds.Orchestrator, $"{Mission(missionId)}/approvals", approval, ct));

    public Task<PlanningResponse> PlanAsync(PlanningRequest request, CancellationToken ct) =>
        Call(() => invoker.InvokeAsync<PlanningRequest, PlanningResponse>(AppIds.Planner, "v1/plans", request, ct));

    /// <summary>Creates a PDDL environment on the PDDL plugin (as <c>maximus run</c> does) from the domain and problem texts.</summary>
    public Task<EnvironmentCreated> CreatePddlEnvironmentAsync(string domain, string problem, CancellationToken ct) =>
        Call(() => invoker.InvokeAsync<CreateEnvironmentRequest, EnvironmentCreated>(
            AppIds.PddlPlugin, "v1/environments", new CreateEnvironmentRequest(domain, problem, "domain.pddl", "problem.pddl"), ct));

    public Task<PluginManifest> GetManifestAsync(string pluginAppId, string? context, CancellationToken ct) =>
        Call(() => invoker.GetAsync<PluginManifest>(pluginAppId, PluginContract.WithContext(PluginContract.ManifestMethod, context), ct));

    public Task<PluginState> GetStateAsync(string pluginAppId, string? context, CancellationToken ct) =>
        Call(() => invoker.GetAsync<PluginState>(pluginAppId, PluginContract.WithContext(PluginContract.StateMethod, context), ct));

    private static string Agent(string agentId) => $"v1/memory/{Uri.EscapeDataString(agentId)}";

    private static string Mission(string missionId) => $"v1/missions/{Uri.EscapeDataString(missionId)}";

    private static async Task<T> Call<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (InvocationException ex)
        {
            throw ToolErrors.Describe(ex);
        }
    }
}
