using Maximus.Llm;

namespace Maximus.Planning.Llm;

/// <summary>The LLM planner (section <c>Maximus:Planning:Llm</c>).</summary>
public sealed class LlmPlannerOptions
{
    public const string Section = "Maximus:Planning:Llm";

    /// <summary>Answers asked for before giving up on the model (each rejected answer is sent back with its errors).</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>The thinking mode of planning requests; adaptive decides from the task.</summary>
    public ThinkingMode Mode { get; set; } = ThinkingMode.Adaptive;

    /// <summary>The whole conversation with the model gets at most this long; then the symbolic planner answers.</summary>
    public TimeSpan TimeLimit { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>A plan longer than this is rejected.</summary>
    public int MaxSteps { get; set; } = 200;
}
