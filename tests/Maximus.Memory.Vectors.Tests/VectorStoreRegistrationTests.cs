using Maximus.Contracts.Ports;
using Maximus.Memory.Vectors.Embedded;
using Maximus.Memory.Vectors.Embeddings;
using Maximus.Memory.Vectors.Qdrant;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Maximus.Memory.Vectors.Tests;

public sealed class VectorStoreRegistrationTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Without_a_qdrant_url_the_embedded_store_is_used_in_the_runtime_data_directory()
    {
        using var provider = Services(new() { ["Maximus:Embedded:DataDirectory"] = _directory.Path }).BuildServiceProvider();

        var store = provider.GetRequiredService<IVectorStore>();

        var embedded = Assert.IsType<EmbeddedVectorStore>(store);
        Assert.Equal(Path.Combine(_directory.Path, "vectors.db"), embedded.DatabasePath);
        Assert.False(VectorStoreServiceCollectionExtensions.UsesQdrant(provider));
    }

    [Fact]
    public void A_qdrant_url_in_configuration_selects_qdrant()
    {
        using var provider = Services(new() { ["Maximus:Memory:Qdrant:Url"] = "http://localhost:6334" }).BuildServiceProvider();

        Assert.IsType<QdrantVectorStore>(provider.GetRequiredService<IVectorStore>());
    }

    [Fact]
    public void QDRANT_URL_selects_qdrant_too()
    {
        using var provider = Services(new() { ["QDRANT_URL"] = "http://localhost:6334" }).BuildServiceProvider();

        Assert.IsType<QdrantVectorStore>(provider.GetRequiredService<IVectorStore>());
    }

    [Fact]
    public async Task Invalid_options_stop_the_host_at_start()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Maximus:Memory:Vectors:DataDirectory"] = _directory.Path,
            ["Maximus:Memory:Vectors:Oversampling"] = "0.5",
            ["Maximus:Memory:Embeddings:MaxTokens"] = "4096",
        });
        builder.Logging.ClearProviders();
        builder.Services.AddVectorStore().AddLocalEmbeddings();
        using var host = builder.Build();

        var ex = await Assert.ThrowsAsync<AggregateException>(() => host.StartAsync(Ct));

        Assert.All(ex.InnerExceptions, e => Assert.IsType<OptionsValidationException>(e));
        Assert.Contains("Oversampling", ex.Message, StringComparison.Ordinal);
        Assert.Contains("MaxTokens", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_up_creates_the_collection_with_the_embedding_dimension_and_refuses_another_model()
    {
        using (var store = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { DataDirectory = _directory.Path }))
        {
            await store.EnsureCollectionAsync(new VectorCollectionSpec("other-model", 768), Ct);
        }

        var ok = await StartAsync("memories");
        var info = await ok.Services.GetRequiredService<IVectorStore>().GetCollectionAsync("memories", Ct);
        await ok.StopAsync(Ct);
        ok.Dispose();
        var refused = await Assert.ThrowsAnyAsync<ArgumentException>(() => StartAsync("other-model"));

        Assert.Equal(LocalEmbeddingGenerator.Dimensions, info?.Dimension);
        Assert.Contains("768", refused.Message, StringComparison.Ordinal);
        Assert.Contains("384", refused.Message, StringComparison.Ordinal);
    }

    private async Task<IHost> StartAsync(string collection)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Maximus:Memory:Vectors:DataDirectory"] = _directory.Path });
        builder.Logging.ClearProviders();
        builder.Services.AddVectorStore().AddVectorCollection(collection);
        builder.Services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(new FixedDimensionGenerator());
        var host = builder.Build();
        try
        {
            await host.StartAsync(Ct);
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    private static ServiceCollection Services(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddLogging();
        services.AddVectorStore();
        return services;
    }

    /// <summary>Reports MiniLM's dimension without loading the model.</summary>
    private sealed class FixedDimensionGenerator : IEmbeddingGenerator<string, Embedding<float>>
    {
        private readonly EmbeddingGeneratorMetadata _metadata = new("test", null, "fixed", LocalEmbeddingGenerator.Dimensions);

        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
            IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(values.Select(_ => new Embedding<float>(new float[LocalEmbeddingGenerator.Dimensions]))));

        public object? GetService(Type serviceType, object? serviceKey = null) =>
            serviceType == typeof(EmbeddingGeneratorMetadata) ? _metadata : null;

        public void Dispose()
        {
        }
    }
}
