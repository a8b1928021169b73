using Maximus.Contracts.Planning;
using Maximus.Contracts.Plugins;
using Maximus.Contracts.Ports;

namespace Maximus.Planning.WorldModels;

/// <summary>One executed step's outcome in the state it ran from, abstracted by <see cref="StepSignature"/>.</summary>
public sealed record OutcomeSample(string PluginAppId, string Action, string Signature, bool Succeeded);

/// <summary>Success and failure counts of one action in one kind of state.</summary>
public sealed record OutcomeCounts(int Successes, int Failures)
{
    public int Total => Successes + Failures;

    /// <summary>
    /// Success probability with an optimistic prior (one imagined success): no history gives 1, successes keep it
    /// at 1, each failure lowers it (1 failure: 0.5, 2: 0.33, 3: 0.25).
    /// </summary>
    public double Probability => (Successes + 1.0) / (Total + 1.0);
}

/// <summary>
/// What makes two states "similar" for a step: the facts that hold over the step's own arguments (and the
/// facts without arguments), with the arguments replaced by their positions. <c>(stack a b)</c> where
/// <c>(clear b)</c> and <c>(holding a)</c> hold gives <c>(clear ?2) (holding ?1)</c>.
/// </summary>
public static class StepSignature
{
    public static string Of(PlanStep step, IEnumerable<ContractLiteral> facts)
    {
        var positions = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < step.Arguments.Count; i++)
        {
            positions.TryAdd(step.Arguments[i].Value, i + 1);
        }

        var parts = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var fact in facts)
        {
            if (fact.Negated || !fact.Arguments.All(positions.ContainsKey))
            {
                continue;
            }

            parts.Add(fact.Arguments.Count == 0
                ? $"({fact.Predicate.ToLowerInvariant()})"
                : $"({fact.Predicate.ToLowerInvariant()} {string.Join(' ', fact.Arguments.Select(a => "?" + positions[a]))})");
        }

        return string.Join(' ', parts);
    }
}

/// <summary>
/// Learns how often each action succeeds in similar states from past outcomes (recorded by the orchestrator after
/// each mission) and predicts a success probability per step. Useful where a plugin does not declare everything:
/// hidden preconditions show up as failures in some kinds of state.
/// </summary>
public sealed class EmpiricalWorldModel(IStateStore state) : IWorldModel
{
    public static string Key(string pluginAppId, string action) => $"wm:empirical:{pluginAppId}:{action.ToLowerInvariant()}";

    /// <summary>The plugin whose outcomes to use; set by the caller (the simulation request has no plugin id).</summary>
    public string PluginAppId { get; init; } = "";

    public async Task LearnAsync(IReadOnlyList<OutcomeSample> samples, CancellationToken ct)
    {
        foreach (var group in samples.GroupBy(s => Key(s.PluginAppId, s.Action)))
        {
            await state.UpdateAsync<Dictionary<string, OutcomeCounts>>(group.Key, counts =>
            {
                counts ??= new Dictionary<string, OutcomeCounts>(StringComparer.Ordinal);
                foreach (var sample in group)
                {
                    counts.TryGetValue(sample.Signature, out var c);
                    c ??= new OutcomeCounts(0, 0);
                    counts[sample.Signature] = sample.Succeeded ? c with { Successes = c.Successes + 1 } : c with { Failures = c.Failures + 1 };
                }

                return counts;
            }, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The probability that <paramref name="step"/> succeeds from <paramref name="facts"/>; 1 without any history.</summary>
    public async Task<double> ProbabilityAsync(string pluginAppId, PlanStep step, IEnumerable<ContractLiteral> facts, CancellationToken ct)
    {
        var counts = await state.GetAsync<Dictionary<string, OutcomeCounts>>(Key(pluginAppId, step.Action), ct).ConfigureAwait(false);
        if (counts is null || !counts.TryGetValue(StepSignature.Of(step, facts), out var exact))
        {
            // Never seen in a state like this: no evidence against the step.
            return 1.0;
        }

        return exact.Probability;
    }

    public async Task<SimulationResult> SimulateAsync(SimulationRequest request, CancellationToken ct)
    {
        // Alone, the empirical model cannot predict effects: it keeps the state and only scores the steps.
        var steps = new List<StepPrediction>();
        var probability = 1.0;
        for (var i = 0; i < request.Plan.Count; i++)
        {
            var p = await ProbabilityAsync(PluginAppId, request.Plan[i], request.State.Facts, ct).ConfigureAwait(false);
            probability *= p;
            steps.Add(new StepPrediction(i, request.Plan[i].ToString(), true, [], request.State.Facts, p));
        }

        return new SimulationResult(true, false, probability, null, "the empirical model predicts no effects", request.State.Facts, steps);
    }
}
