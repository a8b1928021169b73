using System.Text.Json;
using Maximus.Contracts.Planning;
using Maximus.Contracts.Plugins;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.AI;

namespace Maximus.Planning.WorldModels;

/// <summary>
/// SimuRA's world model: a language model predicts, step by step, the next state and the probability that the step
/// succeeds. Steps whose action declares preconditions and effects are simulated exactly by the contract model;
/// only undeclared actions are asked of the model, so the model fills the gaps of the contracts.
/// </summary>
public sealed class LlmWorldModel(IChatClient chat) : IWorldModel
{
    public const string SystemPrompt = """
        You are the world model of an AI agent. Given the current state (a list of true facts, PDDL style),
        the goal and ONE action with its arguments, predict what executing the action does.
        "memories", when given, are what the agent remembers from earlier missions (most relevant first, with where each
        was learned): use them as evidence, e.g. a precondition learned for this action.
        Answer with one JSON object only:
        {"successProbability": number from 0 to 1, "add": ["(predicate arg ...)", ...], "delete": ["(predicate arg ...)", ...], "reason": "one sentence"}
        """;

    /// <summary>Most model calls per simulated plan; later undeclared steps keep the state and probability 0.5.</summary>
    public int MaxModelSteps { get; init; } = 20;

    /// <summary>Most recalled memories in one prompt, and most characters of each.</summary>
    public const int MaxMemories = 8;

    public const int MaxMemoryChars = 300;

    public async Task<SimulationResult> SimulateAsync(SimulationRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var actions = request.Actions.ToDictionary(a => a.Name, StringComparer.OrdinalIgnoreCase);
        var facts = request.State.Facts.ToList();
        var steps = new List<StepPrediction>();
        var probability = 1.0;
        var modelCalls = 0;
        for (var i = 0; i < request.Plan.Count; i++)
        {
            var step = request.Plan[i];
            var current = request.State with { Facts = facts };
            if (!actions.TryGetValue(step.Action, out var action) || (action.Preconditions is { Count: > 0 } || action.Effects is { Count: > 0 }))
            {
                // Declared (or unknown, which the contract model reports as invalid): exact simulation of this step.
                var exact = ContractWorldModel.Simulate(new SimulationRequest(request.Actions, current, request.Goal, [step]), ct);
                var prediction = exact.Steps[0] with { Index = i };
                steps.Add(prediction);
                if (!exact.Valid)
                {
                    return new SimulationResult(false, false, 0, i, exact.Reason?.Replace("step 0", $"step {i}", StringComparison.Ordinal), facts, steps);
                }

                probability *= prediction.Probability;
                facts = prediction.PredictedFacts.ToList();
                continue;
            }

            if (modelCalls++ >= MaxModelSteps)
            {
                probability *= ContractWorldModel.UnknownActionProbability;
                steps.Add(new StepPrediction(i, step.ToString(), true, [], facts.ToList(), ContractWorldModel.UnknownActionProbability));
                continue;
            }

            var predicted = await PredictAsync(current, request.Goal, action, step, request.Memories, ct).ConfigureAwait(false);
            var p = Math.Clamp(predicted?.SuccessProbability ?? ContractWorldModel.UnknownActionProbability, 0, 1);
            if (predicted is not null)
            {
                var delete = Parse(predicted.Delete).Select(l => l.ToString()).ToHashSet(StringComparer.OrdinalIgnoreCase);
                facts = facts.Where(f => !delete.Contains(f.ToString())).ToList();
                foreach (var add in Parse(predicted.Add))
                {
                    if (!facts.Any(f => string.Equals(f.ToString(), add.ToString(), StringComparison.OrdinalIgnoreCase)))
                    {
                        facts.Add(add);
                    }
                }
            }

            probability *= p;
            steps.Add(new StepPrediction(i, step.ToString(), p > 0, p > 0 ? [] : [predicted?.Reason ?? "the model expects it to fail"], facts.ToList(), p));
        }

        var goalReached = request.Goal.All(g => g.Negated
            ? !facts.Any(f => SameAtom(f, g))
            : facts.Any(f => SameAtom(f, g)));
        return new SimulationResult(true, goalReached, probability, null, goalReached ? null : "the predicted final state misses the goal", facts, steps);
    }

    private async Task<Prediction?> PredictAsync(
        PluginState state, IReadOnlyList<ContractLiteral> goal, PluginAction action, PlanStep step, IReadOnlyList<PlanningMemory>? memories, CancellationToken ct)
    {
        var prompt = Prompt(state, goal, action, step, memories);
        try
        {
            var response = await chat.GetResponseAsync(
                [new ChatMessage(ChatRole.System, SystemPrompt), new ChatMessage(ChatRole.User, prompt)],
                new ChatOptions { ResponseFormat = ChatResponseFormat.Json, Temperature = 0 },
                ct).ConfigureAwait(false);
            return ModelAnswer.ReadObject<Prediction>(response.Text);
        }
        catch (Exception ex) when (ex is HttpRequestException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>The user message for one step: state, goal, the action with its arguments, and the recalled memories (bounded).</summary>
    public static string Prompt(PluginState state, IReadOnlyList<ContractLiteral> goal, PluginAction action, PlanStep step, IReadOnlyList<PlanningMemory>? memories)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(action);
        ArgumentNullException.ThrowIfNull(step);
        return JsonSerializer.Serialize(new
        {
            state = state.Facts.Select(f => f.ToString()),
            goal = goal.Select(g => g.ToString()),
            action = new { name = action.Name, description = action.Description, parameters = action.Parameters, arguments = step.ArgumentMap() },
            memories = memories is { Count: > 0 }
                ? memories.Take(MaxMemories).Select(m => new { id = m.Id, type = m.Type, text = Bounded(m.Text), provenance = m.Provenance }).ToList()
                : null,
        }, MaximusJson.Options);
    }

    private static string Bounded(string text) => text.Length <= MaxMemoryChars ? text : text[..MaxMemoryChars] + "…";

    /// <summary>Reads "(pred a b)" or "(not (pred a b))" strings; anything else is ignored.</summary>
    public static IEnumerable<ContractLiteral> Parse(IEnumerable<string>? literals)
    {
        foreach (var raw in literals ?? [])
        {
            var text = raw.Trim();
            var negated = false;
            if (text.StartsWith("(not ", StringComparison.OrdinalIgnoreCase) && text.EndsWith("))", StringComparison.Ordinal))
            {
                negated = true;
                text = text[5..^1].Trim();
            }

            if (text.Length < 3 || text[0] != '(' || text[^1] != ')')
            {
                continue;
            }

            var parts = text[1..^1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length > 0)
            {
                yield return new ContractLiteral(parts[0], parts[1..], negated);
            }
        }
    }

    private static bool SameAtom(ContractLiteral a, ContractLiteral b) =>
        string.Equals(a.Predicate, b.Predicate, StringComparison.OrdinalIgnoreCase)
        && a.Arguments.SequenceEqual(b.Arguments, StringComparer.OrdinalIgnoreCase);

    private sealed record Prediction(double? SuccessProbability, IReadOnlyList<string>? Add, IReadOnlyList<string>? Delete, string? Reason);
}
