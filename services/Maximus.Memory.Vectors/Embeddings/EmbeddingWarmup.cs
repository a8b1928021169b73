using Microsoft.Extensions.AI;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Maximus.Memory.Vectors.Embeddings;

/// <summary>
/// Loads the local embedding model while the host starts (one embedding on a pool thread, beside the rest of start-up),
/// so that the first search does not pay for it; the health check <c>embedding-model</c> reports ready only once it has
/// run: a memory role that says ready answers its first search at full speed.
/// </summary>
public sealed class EmbeddingWarmup(IEmbeddingGenerator<string, Embedding<float>> embeddings) : IHostedService, IHealthCheck
{
    private Task? _warmup;

    /// <summary>The warm-up embedding (completed before the host starts it): lets a caller wait until the model has run once.</summary>
    public Task Completion => _warmup ?? Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _warmup = Task.Run(() => embeddings.GenerateAsync(["warm-up"], cancellationToken: CancellationToken.None), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Waits for a warm-up still running: the model must not be disposed in the middle of its first run.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_warmup is { IsCompleted: false } running)
        {
            await Task.WhenAny(running, Task.Delay(Timeout.Infinite, cancellationToken)).ConfigureAwait(false);
        }
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_warmup switch
        {
            null => HealthCheckResult.Unhealthy("The host has not started the embedding model yet."),
            { IsCompletedSuccessfully: true } => HealthCheckResult.Healthy("The embedding model is loaded."),
            { IsFaulted: true } w => HealthCheckResult.Unhealthy($"The embedding model could not be loaded: {w.Exception!.GetBaseException().Message}", w.Exception),
            _ => HealthCheckResult.Unhealthy("Loading the embedding model."),
        });
}
