using Maximus.Llm.Accounting;

namespace Maximus.Llm;

/// <summary>The LLM layer (section <c>Maximus:Llm</c>): provider, modes, budget, cache, resilience and prices.</summary>
public sealed class LlmOptions
{
    public const string Section = "Maximus:Llm";

    public const string GeminiProvider = "gemini";
    public const string OpenAICompatibleProvider = "openai-compatible";
    public const string NoProvider = "none";

    /// <summary><c>gemini</c>, <c>openai-compatible</c> or <c>none</c>; unset: whichever has a key or endpoint configured.</summary>
    public string? Provider { get; set; }

    /// <summary>The mode of a request that does not ask for one.</summary>
    public ThinkingMode DefaultMode { get; set; } = ThinkingMode.Adaptive;

    public LlmModesOptions Modes { get; set; } = new();

    public LlmBudgetOptions Budget { get; set; } = new();

    public LlmCacheOptions Cache { get; set; } = new();

    public LlmResilienceOptions Resilience { get; set; } = new();

    /// <summary>US dollars per million tokens, by model id prefix (the longest matching prefix wins).</summary>
    public Dictionary<string, LlmPrice> Prices { get; set; } = LlmPriceTable.Defaults();

    /// <summary>The latency budget of a concrete mode (adaptive has none of its own: it becomes one of the three).</summary>
    public TimeSpan LatencyBudget(ThinkingMode mode) => mode switch
    {
        ThinkingMode.Fast => Modes.Fast.LatencyBudget,
        ThinkingMode.Deep => Modes.Deep.LatencyBudget,
        _ => Modes.Normal.LatencyBudget,
    };
}

public sealed class LlmModesOptions
{
    public LlmModeOptions Fast { get; set; } = new() { LatencyBudget = TimeSpan.FromSeconds(2) };

    public LlmModeOptions Normal { get; set; } = new() { LatencyBudget = TimeSpan.FromSeconds(8) };

    public LlmModeOptions Deep { get; set; } = new() { LatencyBudget = TimeSpan.FromSeconds(30) };
}

public sealed class LlmModeOptions
{
    /// <summary>An attempt that takes longer is abandoned (<see cref="LlmTimeoutException"/>).</summary>
    public TimeSpan LatencyBudget { get; set; } = TimeSpan.FromSeconds(8);
}

/// <summary>What happens to requests once the month's spend reached the budget.</summary>
public enum OverBudgetAction
{
    /// <summary>Requests run in the cheaper <see cref="LlmBudgetOptions.FallbackMode"/> (and its model).</summary>
    FallBack,

    /// <summary>Requests are refused with <see cref="LlmBudgetExceededException"/>; callers fall back to heuristics.</summary>
    Refuse,
}

public sealed class LlmBudgetOptions
{
    /// <summary>The spend allowed per calendar month (UTC), in US dollars. 0 disables the budget.</summary>
    public decimal MonthlyUsd { get; set; } = 200m;

    /// <summary>A warning is logged once a month when the spend reaches this fraction of the budget.</summary>
    public double AlertThreshold { get; set; } = 0.8;

    public OverBudgetAction OverBudget { get; set; } = OverBudgetAction.FallBack;

    /// <summary>The mode over-budget requests run in (with <see cref="OverBudgetAction.FallBack"/>).</summary>
    public ThinkingMode FallbackMode { get; set; } = ThinkingMode.Fast;
}

public sealed class LlmCacheOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>How long an answer is served from the cache.</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Entries kept; the oldest are dropped first.</summary>
    public int MaxEntries { get; set; } = 1_000;
}

public sealed class LlmResilienceOptions
{
    /// <summary>Retries of a request that failed with 429, 5xx or a network error.</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>First backoff delay for 5xx and network errors (exponential, with jitter).</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait before a retry; a 429 asking for a longer wait is not retried.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The circuit opens when this fraction of calls in the sampling window failed…</summary>
    public double BreakerFailureRatio { get; set; } = 0.5;

    /// <summary>…and at least this many calls were made in it.</summary>
    public int BreakerMinimumThroughput { get; set; } = 8;

    public TimeSpan BreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long the circuit stays open (requests fail at once with <see cref="LlmUnavailableException"/>).</summary>
    public TimeSpan BreakerBreakDuration { get; set; } = TimeSpan.FromSeconds(30);
}
