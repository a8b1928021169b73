using Maximus.Llm.Gemini;
using Maximus.Llm.OpenAICompatible;
using Microsoft.Extensions.Options;

namespace Maximus.Llm;

/// <summary>Checks the LLM settings at start-up, naming the bad key.</summary>
internal sealed class LlmOptionsValidator : IValidateOptions<LlmOptions>
{
    public ValidateOptionsResult Validate(string? name, LlmOptions options)
    {
        var errors = new List<string>();
        const string S = LlmOptions.Section;
        if (options.Provider is { } provider && !string.IsNullOrWhiteSpace(provider)
            && !LlmStatus.KnownProviders.Contains(provider.Trim(), StringComparer.OrdinalIgnoreCase))
        {
            errors.Add($"{S}:Provider must be {string.Join(", ", LlmStatus.KnownProviders)} (or unset), not '{provider}'.");
        }

        if (!Enum.IsDefined(options.DefaultMode))
        {
            errors.Add($"{S}:DefaultMode must be one of {string.Join(", ", ThinkingModes.Names)}.");
        }

        foreach (var (mode, settings) in new[] { ("Fast", options.Modes.Fast), ("Normal", options.Modes.Normal), ("Deep", options.Modes.Deep) })
        {
            if (settings is null || settings.LatencyBudget <= TimeSpan.Zero || settings.LatencyBudget > TimeSpan.FromMinutes(30))
            {
                errors.Add($"{S}:Modes:{mode}:LatencyBudget must be more than 0 and at most 30 minutes.");
            }
        }

        if (options.Budget.MonthlyUsd < 0)
        {
            errors.Add($"{S}:Budget:MonthlyUsd must be 0 (no budget) or more.");
        }

        if (options.Budget.AlertThreshold is <= 0 or > 1 || double.IsNaN(options.Budget.AlertThreshold))
        {
            errors.Add($"{S}:Budget:AlertThreshold must be a fraction of the budget, more than 0 and at most 1.");
        }

        if (options.Budget.FallbackMode == ThinkingMode.Adaptive || !Enum.IsDefined(options.Budget.FallbackMode))
        {
            errors.Add($"{S}:Budget:FallbackMode must be fast, normal or deep.");
        }

        if (options.Cache.Ttl <= TimeSpan.Zero)
        {
            errors.Add($"{S}:Cache:Ttl must be more than 0.");
        }

        if (options.Cache.MaxEntries < 1)
        {
            errors.Add($"{S}:Cache:MaxEntries must be at least 1.");
        }

        var r = options.Resilience;
        if (r.MaxRetries is < 0 or > 10)
        {
            errors.Add($"{S}:Resilience:MaxRetries must be from 0 to 10.");
        }

        if (r.BaseDelay < TimeSpan.Zero || r.MaxRetryDelay <= TimeSpan.Zero)
        {
            errors.Add($"{S}:Resilience:BaseDelay must be 0 or more and MaxRetryDelay more than 0.");
        }

        if (r.BreakerFailureRatio is <= 0 or > 1 || double.IsNaN(r.BreakerFailureRatio))
        {
            errors.Add($"{S}:Resilience:BreakerFailureRatio must be more than 0 and at most 1.");
        }

        if (r.BreakerMinimumThroughput < 2)
        {
            errors.Add($"{S}:Resilience:BreakerMinimumThroughput must be at least 2.");
        }

        if (r.BreakerSamplingDuration < TimeSpan.FromMilliseconds(500) || r.BreakerBreakDuration < TimeSpan.FromMilliseconds(500))
        {
            errors.Add($"{S}:Resilience:BreakerSamplingDuration and BreakerBreakDuration must be at least 500 ms.");
        }

        foreach (var (model, price) in options.Prices)
        {
            if (price is null || price.InputPerMillion < 0 || price.OutputPerMillion < 0)
            {
                errors.Add($"{S}:Prices:{model} must have InputPerMillion and OutputPerMillion of 0 or more.");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

internal sealed class GeminiOptionsValidator : IValidateOptions<GeminiOptions>
{
    public ValidateOptionsResult Validate(string? name, GeminiOptions options)
    {
        var errors = new List<string>();
        const string S = GeminiOptions.Section;
        if (string.IsNullOrWhiteSpace(options.Model))
        {
            errors.Add($"{S}:Model is required.");
        }

        if (!Uri.TryCreate(options.BaseUrl, UriKind.Absolute, out _))
        {
            errors.Add($"{S}:BaseUrl must be an absolute URL, not '{options.BaseUrl}'.");
        }

        if (string.IsNullOrWhiteSpace(options.ApiVersion) || string.IsNullOrWhiteSpace(options.Vertex.ApiVersion))
        {
            errors.Add($"{S}:ApiVersion and {S}:Vertex:ApiVersion are required.");
        }

        if (!string.IsNullOrWhiteSpace(options.Vertex.Project) && string.IsNullOrWhiteSpace(options.Vertex.Location))
        {
            errors.Add($"{S}:Vertex:Location is required with {S}:Vertex:Project (e.g. global or europe-west4).");
        }

        foreach (var (prefix, thinking) in options.Thinking)
        {
            foreach (var (mode, value) in new[] { ("Fast", thinking.Fast), ("Normal", thinking.Normal), ("Deep", thinking.Deep) })
            {
                if (value is not null && GeminiThinking.ParseSetting(value) is null)
                {
                    errors.Add($"{S}:Thinking:{prefix}:{mode} must be a thinking level (minimal, low, medium, high) or a thinking budget (-1 or more), not '{value}'.");
                }
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

internal sealed class OpenAICompatibleOptionsValidator : IValidateOptions<OpenAICompatibleOptions>
{
    public ValidateOptionsResult Validate(string? name, OpenAICompatibleOptions options)
    {
        const string S = OpenAICompatibleOptions.Section;
        if (!string.IsNullOrWhiteSpace(options.Endpoint) && !Uri.TryCreate(options.Endpoint, UriKind.Absolute, out _))
        {
            return ValidateOptionsResult.Fail($"{S}:Endpoint must be an absolute URL such as http://localhost:11434/v1, not '{options.Endpoint}'.");
        }

        return ValidateOptionsResult.Success;
    }
}
