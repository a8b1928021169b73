namespace Maximus.Missions.Learning;

/// <summary>The vocabulary of what missions write to memory and recall from it: predicates, tags and their values.</summary>
public static class LearnedFacts
{
    /// <summary>The predicate of a fact "action requires precondition" (subject: the action; object: the literal over its parameters).</summary>
    public const string RequiresPrecondition = "requires-precondition";

    public const string PluginTag = "plugin";

    public const string KindTag = "kind";

    public const string MissionTag = "missionId";

    /// <summary>The workflow phase that produced an entry (<c>execute</c>, <c>observe</c>, <c>remember</c>).</summary>
    public const string PhaseTag = "phase";

    /// <summary>The workflow step that produced an entry: a step's request id (<c>{mission}/r0/s2</c>) or <c>{mission}/{phase}</c>.</summary>
    public const string StepTag = "step";

    public const string MissionKind = "mission";

    public const string ProcedureKind = "procedure";

    public const string PreconditionKind = "precondition";

    public const string StateKind = "state";
}
