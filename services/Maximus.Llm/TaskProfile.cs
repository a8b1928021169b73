using Microsoft.Extensions.AI;

namespace Maximus.Llm;

/// <summary>
/// What adaptive thinking decides on. The caller knows the task: how deep the plan is likely to be and how often
/// similar tasks failed before (e.g. from memory); the prompt size and number of tools default to what the request holds.
/// </summary>
/// <param name="PromptTokens">Estimated prompt size in tokens; null: estimated from the messages (4 characters a token).</param>
/// <param name="PlanDepth">Expected number of steps of the plan or reasoning chain; null: unknown (counts as shallow).</param>
/// <param name="ToolCount">Tools or actions the model chooses from; null: the request's tools.</param>
/// <param name="PastFailureRate">Failure rate (0–1) of similar tasks so far; null: unknown (counts as 0).</param>
public sealed record TaskProfile(int? PromptTokens = null, int? PlanDepth = null, int? ToolCount = null, double? PastFailureRate = null)
{
    /// <summary>Fills what the caller left open from the request itself.</summary>
    public TaskProfile CompleteFrom(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var tokens = PromptTokens ?? EstimateTokens(messages, options);
        return this with { PromptTokens = tokens, ToolCount = ToolCount ?? options?.Tools?.Count ?? 0 };
    }

    /// <summary>A rough token count: about four characters a token.</summary>
    public static int EstimateTokens(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        ArgumentNullException.ThrowIfNull(messages);
        long chars = options?.Instructions?.Length ?? 0;
        foreach (var message in messages)
        {
            foreach (var content in message.Contents)
            {
                chars += content switch
                {
                    TextContent t => t.Text?.Length ?? 0,
                    TextReasoningContent r => r.Text?.Length ?? 0,
                    FunctionCallContent c => c.Name.Length + (c.Arguments?.Sum(a => a.Key.Length + (a.Value?.ToString()?.Length ?? 0)) ?? 0),
                    FunctionResultContent f => f.Result?.ToString()?.Length ?? 0,
                    _ => 0,
                };
            }
        }

        return (int)Math.Min(int.MaxValue, (chars + 3) / 4);
    }
}
