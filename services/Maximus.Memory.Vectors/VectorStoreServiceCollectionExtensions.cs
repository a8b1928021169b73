using Maximus.Contracts.Ports;
using Maximus.Memory.Vectors.Embedded;
using Maximus.Memory.Vectors.Embeddings;
using Maximus.Memory.Vectors.Qdrant;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Maximus.Memory.Vectors;

public static class VectorStoreServiceCollectionExtensions
{
    /// <summary>The environment variable that selects Qdrant when <c>Maximus:Memory:Qdrant:Url</c> is not set.</summary>
    public const string QdrantUrlVariable = "QDRANT_URL";

    /// <summary>
    /// Registers <see cref="IVectorStore"/>: the Qdrant adapter when <c>Maximus:Memory:Qdrant:Url</c> (or
    /// <c>QDRANT_URL</c>) is set, else the embedded store (SQLite + USearch) in <c>Maximus:Memory:Vectors:DataDirectory</c>
    /// (default: the embedded runtime's data directory). Both option classes are validated at start-up.
    /// </summary>
    public static IServiceCollection AddVectorStore(
        this IServiceCollection services,
        Action<EmbeddedVectorStoreOptions>? configureEmbedded = null,
        Action<QdrantVectorStoreOptions>? configureQdrant = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var embedded = services.AddOptions<EmbeddedVectorStoreOptions>()
            .BindConfiguration(EmbeddedVectorStoreOptions.Section)
            .PostConfigure<IConfiguration>((options, configuration) =>
                options.DataDirectory ??= configuration["Maximus:Embedded:DataDirectory"])
            .Validate(o => !string.IsNullOrWhiteSpace(o.FileName) && o.FileName.IndexOfAny(Path.GetInvalidFileNameChars()) < 0, "FileName must be a plain file name.")
            .Validate(o => o.IndexThreshold >= 0, "IndexThreshold must not be negative.")
            .Validate(o => o.Connectivity is >= 2 and <= 128, "Connectivity must be from 2 to 128.")
            .Validate(o => o.ExpansionAdd is >= 8 and <= 4096, "ExpansionAdd must be from 8 to 4096.")
            .Validate(o => o.ExpansionSearch is >= 8 and <= 4096, "ExpansionSearch must be from 8 to 4096.")
            .Validate(o => o.Oversampling is >= 1 and <= 100, "Oversampling must be from 1 to 100.")
            .Validate(o => Enum.IsDefined(o.IndexScalar), "IndexScalar must be I8, F16 or F32.")
            .ValidateOnStart();
        if (configureEmbedded is not null)
        {
            embedded.Configure(configureEmbedded);
        }

        var qdrant = services.AddOptions<QdrantVectorStoreOptions>()
            .BindConfiguration(QdrantVectorStoreOptions.Section)
            .PostConfigure<IConfiguration>((options, configuration) =>
            {
                if (string.IsNullOrWhiteSpace(options.Url))
                {
                    options.Url = configuration[QdrantUrlVariable] ?? Environment.GetEnvironmentVariable(QdrantUrlVariable);
                }
            })
            .Validate(o => string.IsNullOrWhiteSpace(o.Url) || Uri.TryCreate(o.Url, UriKind.Absolute, out _), "Url must be an absolute URI such as http://localhost:6334.")
            .Validate(o => o.Timeout > TimeSpan.Zero, "Timeout must be positive.")
            .Validate(o => o.HnswM is >= 0 and <= 128 && o.HnswEfConstruct is >= 4 and <= 4096 && o.SearchHnswEf is >= 1 and <= 4096, "HNSW parameters are out of range.")
            .Validate(o => o.QuantizationQuantile is > 0.5f and <= 1f, "QuantizationQuantile must be in (0.5, 1].")
            .Validate(o => o.Oversampling is >= 1 and <= 100, "Oversampling must be from 1 to 100.")
            .Validate(o => o.UpsertBatchSize is >= 1 and <= 10_000, "UpsertBatchSize must be from 1 to 10,000.")
            .ValidateOnStart();
        if (configureQdrant is not null)
        {
            qdrant.Configure(configureQdrant);
        }

        services.TryAddSingleton(sp => new EmbeddedVectorStore(
            sp.GetRequiredService<IOptions<EmbeddedVectorStoreOptions>>(), sp.GetRequiredService<ILogger<EmbeddedVectorStore>>()));
        services.TryAddSingleton(sp => new QdrantVectorStore(sp.GetRequiredService<IOptions<QdrantVectorStoreOptions>>()));
        services.TryAddSingleton<IVectorStore>(sp => UsesQdrant(sp)
            ? sp.GetRequiredService<QdrantVectorStore>()
            : sp.GetRequiredService<EmbeddedVectorStore>());
        return services;
    }

    /// <summary>True when the registered <see cref="IVectorStore"/> is the Qdrant adapter.</summary>
    public static bool UsesQdrant(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        return UsesQdrant(services.GetRequiredService<IOptions<QdrantVectorStoreOptions>>().Value);
    }

    private static bool UsesQdrant(QdrantVectorStoreOptions options) => !string.IsNullOrWhiteSpace(options.Url);

    /// <summary>
    /// Adds the check <c>qdrant</c> (the server answers its health check) with <paramref name="tags"/>, only when the
    /// Qdrant adapter is the configured store (decided, like <see cref="UsesQdrant(IServiceProvider)"/>, from the bound
    /// options); the embedded store is a local file and adds nothing. Call after <see cref="AddVectorStore"/>.
    /// </summary>
    public static IHealthChecksBuilder AddVectorStoreHealthCheck(this IHealthChecksBuilder builder, params string[] tags)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<HealthCheckServiceOptions>().Configure<IOptions<QdrantVectorStoreOptions>>((options, qdrant) =>
        {
            if (UsesQdrant(qdrant.Value))
            {
                options.Registrations.Add(new HealthCheckRegistration(
                    "qdrant", sp => new QdrantHealthCheck(sp.GetRequiredService<QdrantVectorStore>()), failureStatus: null, tags));
            }
        });
        return builder;
    }

    /// <summary>
    /// Registers the local embedding generator (ONNX Runtime; all-MiniLM-L6-v2 or arctic-embed-xs: <see cref="LocalEmbeddingOptions.Model"/>) as
    /// <c>IEmbeddingGenerator&lt;string, Embedding&lt;float&gt;&gt;</c>; the model loads on first use (about 0.7 s).
    /// </summary>
    public static IServiceCollection AddLocalEmbeddings(this IServiceCollection services, Action<LocalEmbeddingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<LocalEmbeddingOptions>()
            .BindConfiguration(LocalEmbeddingOptions.Section)
            .Validate(o => Enum.IsDefined(o.Model), $"Model must be one of {string.Join(", ", Enum.GetNames<LocalEmbeddingModelKind>())}.")
            .Validate(o => Enum.IsDefined(o.Quantization), $"Quantization must be one of {string.Join(", ", Enum.GetNames<EmbeddingQuantization>())}.")
            .Validate(o => o.IntraOpThreads is >= 1 and <= 64, "IntraOpThreads must be from 1 to 64.")
            .Validate(o => o.MaxBatchSize is >= 1 and <= 1024, "MaxBatchSize must be from 1 to 1024.")
            .Validate(o => o.MaxTokens is >= 2 and <= 512, "MaxTokens must be from 2 to 512.")
            .ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.AddOptions<CoalescingEmbeddingOptions>()
            .BindConfiguration(CoalescingEmbeddingOptions.Section)
            .Validate(o => o.MaxConcurrency is >= 1 and <= 256, "MaxConcurrency must be from 1 to 256.")
            .Validate(o => o.MaxBatchTexts is >= 1 and <= 1024, "MaxBatchTexts must be from 1 to 1024.")
            .Validate(o => o.SmallRunTexts is >= 1 and <= 1024, "SmallRunTexts must be from 1 to 1024.")
            .Validate(o => o.Window >= TimeSpan.Zero && o.Window <= TimeSpan.FromSeconds(1), "Window must be from 0 to 1 s.")
            .ValidateOnStart();
        services.TryAddSingleton(sp => new LocalEmbeddingGenerator(sp.GetRequiredService<IOptions<LocalEmbeddingOptions>>()));

        // Concurrent single writes and searches share model runs (one run per core at a time).
        services.TryAddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(sp => new CoalescingEmbeddingGenerator(
            sp.GetRequiredService<LocalEmbeddingGenerator>(), sp.GetRequiredService<IOptions<CoalescingEmbeddingOptions>>().Value));
        return services;
    }

    /// <summary>
    /// Ensures a collection at start-up with the dimension and model id of the registered embedding generator: a collection
    /// that records another model stops the host with an <see cref="EmbeddingModelMismatchException"/> (naming both and the
    /// command that re-embeds); one without a record but with another dimension with an <see cref="ArgumentException"/>.
    /// </summary>
    public static IServiceCollection AddVectorCollection(
        this IServiceCollection services, string name, IReadOnlyDictionary<string, PayloadIndexKind>? payloadIndexes = null, string? textField = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        VectorValidation.CollectionName(name);
        services.AddSingleton(new VectorCollectionRegistration(name, payloadIndexes ?? VectorCollectionSpec.DefaultPayloadIndexes) { TextField = textField });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, VectorCollectionInitializer>());
        return services;
    }
}

/// <summary>A collection to ensure at start-up (see <see cref="VectorStoreServiceCollectionExtensions.AddVectorCollection"/>).</summary>
public sealed record VectorCollectionRegistration(string Name, IReadOnlyDictionary<string, PayloadIndexKind> PayloadIndexes)
{
    /// <summary>The payload key indexed for keyword search (see <see cref="VectorCollectionSpec.TextField"/>), or null.</summary>
    public string? TextField { get; init; }
}

/// <summary>Ensures the registered collections when the host starts, with the embedding generator's dimension and model id.</summary>
public sealed class VectorCollectionInitializer(
    IVectorStore store,
    IEmbeddingGenerator<string, Embedding<float>> embeddings,
    IEnumerable<VectorCollectionRegistration> registrations) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var metadata = embeddings.GetService<EmbeddingGeneratorMetadata>();
        var dimension = metadata?.DefaultModelDimensions
            ?? throw new InvalidOperationException("The embedding generator does not report its dimension (EmbeddingGeneratorMetadata.DefaultModelDimensions).");
        foreach (var registration in registrations)
        {
            await store.EnsureCollectionAsync(
                new VectorCollectionSpec(registration.Name, dimension)
                {
                    PayloadIndexes = registration.PayloadIndexes,
                    TextField = registration.TextField,
                    EmbeddingModel = metadata.DefaultModelId,
                },
                cancellationToken).ConfigureAwait(false);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
