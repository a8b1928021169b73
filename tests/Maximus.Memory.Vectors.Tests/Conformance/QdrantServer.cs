using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;

namespace Maximus.Memory.Vectors.Tests.Conformance;

/// <summary>
/// A Qdrant server for the Qdrant tests: <c>QDRANT_URL</c> when set (gRPC, e.g. http://localhost:6334), else a
/// container (image <c>QDRANT_IMAGE</c>, default qdrant/qdrant:v1.20.0) when Docker is available. Without either,
/// <see cref="Url"/> is null and <see cref="SkipReason"/> says why.
/// </summary>
public sealed class QdrantServer : IAsyncLifetime
{
    private IContainer? _container;

    public string? Url { get; private set; }

    public string? SkipReason { get; private set; }

    public async ValueTask InitializeAsync()
    {
        var url = Environment.GetEnvironmentVariable("QDRANT_URL");
        if (!string.IsNullOrWhiteSpace(url))
        {
            Url = url;
            return;
        }

        try
        {
            var image = Environment.GetEnvironmentVariable("QDRANT_IMAGE") ?? "qdrant/qdrant:v1.20.0";
            _container = new ContainerBuilder(image)
                .WithPortBinding(6333, assignRandomHostPort: true)
                .WithPortBinding(6334, assignRandomHostPort: true)
                .WithWaitStrategy(Wait.ForUnixContainer().UntilHttpRequestIsSucceeded(r => r.ForPort(6333).ForPath("/readyz")))
                .Build();
            await _container.StartAsync();
            Url = $"http://{_container.Hostname}:{_container.GetMappedPublicPort(6334)}";
        }
        catch (DockerUnavailableException ex)
        {
            SkipReason = $"Qdrant tests need QDRANT_URL (a Qdrant gRPC endpoint) or Docker for Testcontainers: {ex.Message.Split('\n')[0].Trim()}";
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Docker answers but the image cannot be pulled or started (e.g. no registry access): nothing to test against.
            SkipReason = $"Qdrant tests need QDRANT_URL; the Qdrant container did not start: {ex.Message.Split('\n')[0].Trim()}";
            if (_container is not null)
            {
                await _container.DisposeAsync();
                _container = null;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_container is not null)
        {
            await _container.DisposeAsync();
        }
    }
}
