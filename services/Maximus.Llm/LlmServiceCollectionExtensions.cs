using Maximus.Contracts.Ports;
using Maximus.Llm.Accounting;
using Maximus.Llm.Gemini;
using Maximus.Llm.OpenAICompatible;
using Maximus.Llm.Pipeline;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Maximus.Llm;

public static class LlmServiceCollectionExtensions
{
    private const string MetadataClientName = "maximus-gcp-metadata";
    private const string OpenAIClientName = "maximus-openai";

    /// <summary>The LLM layer of the roles that use a model (planner, reflector, orchestrator).</summary>
    public static TBuilder AddLlm<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddLlm(builder.Configuration);
        return builder;
    }

    /// <summary>
    /// Options (validated on start), the spend ledger, the price table, the response cache and, only when
    /// <see cref="LlmStatus.Detect"/> finds a provider, an <see cref="IChatClient"/>: the provider's client inside
    /// <see cref="LlmPipeline"/>. Without one, nothing resolves an <see cref="IChatClient"/> and callers run their
    /// symbolic or heuristic path. <see cref="LlmStatus"/> tells which, and why.
    /// </summary>
    /// <summary>
    /// Gemini embeddings as the <c>IEmbeddingGenerator&lt;string, Embedding&lt;float&gt;&gt;</c> (instead of the local MiniLM
    /// model): <c>Maximus:Memory:Embeddings:Model</c> (default gemini-embedding-001) and <c>:Dimensions</c> (default 768).
    /// Needs <see cref="AddLlm"/> for the Gemini settings and key.
    /// </summary>
    public static IServiceCollection AddGeminiEmbeddings(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var model = configuration["Maximus:Memory:Embeddings:Model"] ?? GeminiEmbeddingGenerator.DefaultModel;
        var dimensions = configuration.GetValue("Maximus:Memory:Embeddings:Dimensions", 768);
        services.TryAddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(sp =>
        {
            var http = sp.GetRequiredService<IHttpClientFactory>();
            var gemini = sp.GetRequiredService<IOptions<GeminiOptions>>().Value;
            var authentication = new GeminiAuthentication(gemini, sp.GetService<ISecretStore>(), http.CreateClient(MetadataClientName), sp.GetService<TimeProvider>());
            return new GeminiEmbeddingGenerator(http.CreateClient(GeminiChatClient.HttpClientName), gemini, authentication, model, dimensions);
        });
        return services;
    }

    public static IServiceCollection AddLlm(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<LlmOptions>().BindConfiguration(LlmOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LlmOptions>, LlmOptionsValidator>());
        services.AddOptions<GeminiOptions>().BindConfiguration(GeminiOptions.Section)
            .PostConfigure(o =>
            {
                if (string.IsNullOrWhiteSpace(o.ApiKey))
                {
                    o.ApiKey = configuration[GeminiOptions.ApiKeyVariable];
                }
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GeminiOptions>, GeminiOptionsValidator>());
        services.AddOptions<OpenAICompatibleOptions>().BindConfiguration(OpenAICompatibleOptions.Section)
            .PostConfigure(o =>
            {
                if (string.IsNullOrWhiteSpace(o.ApiKey))
                {
                    o.ApiKey = configuration[OpenAICompatibleOptions.ApiKeyVariable];
                }
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OpenAICompatibleOptions>, OpenAICompatibleOptionsValidator>());

        var status = LlmStatus.Detect(configuration);
        services.TryAddSingleton(status);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new LlmPriceTable(sp.GetRequiredService<IOptions<LlmOptions>>().Value.Prices));
        services.TryAddSingleton(sp => new LlmSpendLedger(sp.GetService<IStateStore>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(sp => new LlmResponseCache(sp.GetRequiredService<IOptions<LlmOptions>>().Value.Cache, sp.GetRequiredService<TimeProvider>()));
        if (!status.Configured)
        {
            return services;
        }

        services.AddHttpClient(GeminiChatClient.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan);
        services.AddHttpClient(OpenAIClientName, c => c.Timeout = Timeout.InfiniteTimeSpan);
        services.AddHttpClient(MetadataClientName, c => c.Timeout = TimeSpan.FromSeconds(5));
        services.TryAddSingleton(sp => CreateChatClient(sp, status));
        return services;
    }

    private static IChatClient CreateChatClient(IServiceProvider sp, LlmStatus status)
    {
        var options = sp.GetRequiredService<IOptions<LlmOptions>>().Value;
        var time = sp.GetRequiredService<TimeProvider>();
        var http = sp.GetRequiredService<IHttpClientFactory>();
        IChatClient provider;
        Func<ThinkingMode, string?> modelFor;
        if (status.Provider == LlmOptions.OpenAICompatibleProvider)
        {
            var openAi = sp.GetRequiredService<IOptions<OpenAICompatibleOptions>>().Value;
            provider = OpenAICompatibleChatClient.Create(openAi, http.CreateClient(OpenAIClientName));
            modelFor = openAi.ModelFor;
        }
        else
        {
            var gemini = sp.GetRequiredService<IOptions<GeminiOptions>>().Value;
            var authentication = new GeminiAuthentication(gemini, sp.GetService<ISecretStore>(), http.CreateClient(MetadataClientName), time);
            provider = new GeminiChatClient(http.CreateClient(GeminiChatClient.HttpClientName), gemini, authentication);
            modelFor = gemini.ModelFor;
        }

        return LlmPipeline.Create(
            provider,
            options,
            modelFor,
            sp.GetRequiredService<LlmSpendLedger>(),
            sp.GetRequiredService<LlmPriceTable>(),
            sp.GetRequiredService<LlmResponseCache>(),
            time,
            sp.GetService<ILoggerFactory>());
    }
}
