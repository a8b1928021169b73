using Maximus.Contracts;
using Maximus.Contracts.Ports;

namespace Maximus.Memory.Vault;

/// <summary>The vault's API under the memory service.</summary>
public static class VaultApi
{
    public static IEnumerable<ServiceOperation> Operations { get; } =
    [
        ServiceOperation.Post<VaultWriteRequest, VaultEntryInfo>(AppIds.Memory, "v1/memory/{agentId}/vault",
            (request, call) => call.GetService<VaultService>().WriteAsync(call.Route("agentId"), request, call.CancellationToken), successStatus: 201),
        ServiceOperation.Get(AppIds.Memory, "v1/memory/{agentId}/vault", call =>
            call.GetService<VaultService>().ListAsync(call.Route("agentId"), call.CancellationToken)),
        ServiceOperation.Post<VaultReadRequest, VaultSecret>(AppIds.Memory, "v1/memory/{agentId}/vault/{label}/read",
            (request, call) => call.GetService<VaultService>().ReadAsync(call.Route("agentId"), call.Route("label"), request, call.CancellationToken)),
        new ServiceOperation(AppIds.Memory, "DELETE", "v1/memory/{agentId}/vault/{label}", null, typeof(VaultEntryInfo),
            async call => await call.GetService<VaultService>().DeleteAsync(call.Route("agentId"), call.Route("label"), call.CancellationToken).ConfigureAwait(false)),
        ServiceOperation.Get(AppIds.Memory, "v1/memory/{agentId}/vault/audit", call =>
            call.GetService<VaultService>().AuditTrailAsync(call.Route("agentId"), call.CancellationToken)),
    ];
}
