using System.Globalization;

namespace Maximus.Llm;

/// <summary>The mode adaptive thinking chose, and why (the reason is logged and returned with the response).</summary>
public sealed record ModeChoice(ThinkingMode Mode, int Score, string Reason);

/// <summary>
/// Adaptive thinking: scores the task on four factors, 0 to 2 points each, and picks a mode from the sum.
/// <list type="table">
/// <item><term>prompt size</term><description>&lt; 2,000 tokens 0; &lt; 16,000 tokens 1; more 2</description></item>
/// <item><term>plan depth</term><description>≤ 3 steps (or unknown) 0; ≤ 10 steps 1; more 2</description></item>
/// <item><term>tools</term><description>≤ 3 0; ≤ 10 1; more 2</description></item>
/// <item><term>past failure rate</term><description>&lt; 0.2 (or unknown) 0; &lt; 0.5 1; higher 2</description></item>
/// </list>
/// Sum 0–1: fast; 2–3: normal; 4 or more: deep. Pure and thread-safe.
/// </summary>
public sealed class AdaptiveModeSelector
{
    public ModeChoice Choose(TaskProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var tokens = Math.Max(0, profile.PromptTokens ?? 0);
        var depth = Math.Max(0, profile.PlanDepth ?? 0);
        var tools = Math.Max(0, profile.ToolCount ?? 0);
        var failures = Math.Clamp(profile.PastFailureRate ?? 0, 0, 1);

        var size = tokens < 2_000 ? 0 : tokens < 16_000 ? 1 : 2;
        var deep = depth <= 3 ? 0 : depth <= 10 ? 1 : 2;
        var many = tools <= 3 ? 0 : tools <= 10 ? 1 : 2;
        var failing = failures < 0.2 ? 0 : failures < 0.5 ? 1 : 2;
        var score = size + deep + many + failing;
        var mode = score <= 1 ? ThinkingMode.Fast : score <= 3 ? ThinkingMode.Normal : ThinkingMode.Deep;

        var reason = string.Create(
            CultureInfo.InvariantCulture,
            $"score {score} (prompt ~{tokens} tokens +{size}, plan depth {(profile.PlanDepth is null ? "unknown" : depth.ToString(CultureInfo.InvariantCulture))} +{deep}, {tools} tools +{many}, past failure rate {(profile.PastFailureRate is null ? "unknown" : failures.ToString("0.00", CultureInfo.InvariantCulture))} +{failing})");
        return new ModeChoice(mode, score, reason);
    }
}
