using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Maximus.Memory.Vectors.Qdrant;

/// <summary>Ready when the Qdrant server answers its health check (registered only when Qdrant is the configured store).</summary>
internal sealed class QdrantHealthCheck(QdrantVectorStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await store.IsHealthyAsync(cancellationToken).ConfigureAwait(false)
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("Qdrant does not answer its health check.");
}
