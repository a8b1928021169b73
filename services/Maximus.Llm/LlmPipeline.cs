using Maximus.Llm.Accounting;
using Maximus.Llm.Pipeline;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Maximus.Llm;

/// <summary>
/// The layers around a provider's chat client, outermost first:
/// <see cref="ThinkingModeChatClient"/> (mode, adaptive choice, model per mode) →
/// <see cref="BudgetChatClient"/> (monthly budget: fall back or refuse; token accounting) →
/// <see cref="CachingChatClient"/> (model + mode + prompt hash, TTL) →
/// <see cref="ResilientChatClient"/> (latency budget per attempt, retries, circuit breaker) → the provider.
/// </summary>
public static class LlmPipeline
{
    public static IChatClient Create(
        IChatClient provider,
        LlmOptions options,
        Func<ThinkingMode, string?> modelFor,
        LlmSpendLedger ledger,
        LlmPriceTable prices,
        LlmResponseCache? cache,
        TimeProvider time,
        ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(options);
        loggers ??= NullLoggerFactory.Instance;
        IChatClient client = new ResilientChatClient(provider, options, time, loggers.CreateLogger<ResilientChatClient>());
        if (options.Cache.Enabled && cache is not null)
        {
            client = new CachingChatClient(client, cache);
        }

        client = new BudgetChatClient(client, options, ledger, prices, modelFor, loggers.CreateLogger<BudgetChatClient>());
        return new ThinkingModeChatClient(client, options, modelFor, new AdaptiveModeSelector(), loggers.CreateLogger<ThinkingModeChatClient>());
    }
}
