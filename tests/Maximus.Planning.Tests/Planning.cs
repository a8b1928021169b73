using Maximus.Contracts.Planning;
using Maximus.Contracts.Plugins;
using Maximus.Plugins.Pddl;

namespace Maximus.Planning.Tests;

/// <summary>Builds planning requests from PDDL text through the PDDL plugin's manifest and state.</summary>
internal static class Planning
{
    public static PddlEnvironment Environment(string domain, string problem) => PddlEnvironment.Create(domain, problem);

    public static PlanningRequest Request(
        PddlEnvironment environment,
        IReadOnlyList<ContractLiteral>? goal = null,
        int maxCandidates = 1,
        int nodeLimit = 200_000,
        int timeLimitMs = 10_000)
    {
        var state = environment.State();
        return new PlanningRequest(
            environment.Manifest("pddl", "1").Actions,
            state,
            goal ?? state.Goal ?? [],
            maxCandidates,
            nodeLimit,
            timeLimitMs);
    }

    public static ContractLiteral Atom(string predicate, params string[] arguments) => new(predicate, arguments);

    public static ContractLiteral Not(string predicate, params string[] arguments) => new(predicate, arguments, Negated: true);

    public static PlanStep Step(PluginAction action, params string[] values) =>
        new(action.Name, action.Parameters.Select((p, i) => new StepArgument(p.Name, values[i])).ToList());
}
