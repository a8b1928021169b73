namespace Maximus.Execution;

/// <summary>How the executor calls plugins (<c>Maximus:Execution</c>).</summary>
public sealed class ExecutionOptions
{
    public const string Section = "Maximus:Execution";

    /// <summary>The default of <see cref="StepTimeout"/>: a plugin action that has not answered after a minute is taken as hung.</summary>
    public static readonly TimeSpan DefaultStepTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long one plugin action may run (<c>Maximus:Execution:StepTimeout</c>, e.g. <c>00:00:30</c>). A plugin that has not
    /// answered by then is abandoned: the step fails with a reason naming the timeout and the mission replans from the
    /// plugin's real state.
    /// </summary>
    public TimeSpan StepTimeout { get; set; } = DefaultStepTimeout;
}
