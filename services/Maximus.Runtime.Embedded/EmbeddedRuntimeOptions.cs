namespace Maximus.Runtime.Embedded;

/// <summary>Settings of the embedded runtime (section <c>Maximus:Embedded</c>).</summary>
public sealed class EmbeddedRuntimeOptions
{
    public const string Section = "Maximus:Embedded";

    /// <summary>Folder of the SQLite database (state, workflow journal). Default: <c>~/.maximus</c>.</summary>
    public string DataDirectory { get; set; } = DefaultDataDirectory();

    /// <summary>Delivery attempts of an event to a handler before it goes to the dead-letter log.</summary>
    public int MaxDeliveryAttempts { get; set; } = 5;

    /// <summary>Events delivered at the same time (Dapr delivers concurrently too).</summary>
    public int MaxConcurrentDeliveries { get; set; } = 16;

    /// <summary>
    /// Workflow activities that run at the same time in this process (Dapr's <c>MaxConcurrentActivities</c> of the workflow
    /// runtime, its sidecar's <c>maxConcurrentActivityInvocations</c>); the others wait their turn, in order. In one process
    /// the activities (planning, simulation, the plugins' steps, recall) share the cores with the requests the host serves:
    /// without a bound a burst of new missions fills the thread pool's queue with their work and a request waits behind all
    /// of it. 0 (the default) means 4 per processor.
    /// </summary>
    public int MaxConcurrentActivities { get; set; }

    /// <summary><see cref="MaxConcurrentActivities"/> as it applies (4 per processor when 0).</summary>
    public int ActivitySlots => MaxConcurrentActivities > 0 ? MaxConcurrentActivities : 4 * Environment.ProcessorCount;

    /// <summary>
    /// Resume workflow instances left running by a previous process when the host starts. On by default (in code, so a
    /// host that finds no appsettings.json still resumes after a crash); tools that only read the journal turn it off.
    /// They resume once the host's readiness checks pass (at most 30 s after start), so readiness does not wait for them.
    /// </summary>
    public bool ResumeWorkflowsOnStart { get; set; } = true;

    /// <summary>
    /// Instances resumed together: the next ones start when these have replayed their journal (or after
    /// <see cref="ResumeWaveTimeout"/>). A hundred missions replaying at once would hold every pool thread on the database
    /// and leave the host's own requests (its readiness, the API) waiting for a second; in waves the first missions make
    /// progress at once and the host stays responsive (measured on 2 cores, 98 missions resumed: first progress 0.77 s after
    /// ready all at once, 0.31 s in waves of 2). 0 (the default) means one per processor.
    /// </summary>
    public int ResumeWave { get; set; }

    /// <summary><see cref="ResumeWave"/> as it applies (one per processor when 0).</summary>
    public int ResumeWaveSize => ResumeWave > 0 ? ResumeWave : Environment.ProcessorCount;

    /// <summary>How long a wave of resumed instances may take to replay before the next wave starts anyway.</summary>
    public TimeSpan ResumeWaveTimeout { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Fault injection for crash tests, <c>ActivityName:N</c>: the process kills itself right after the
    /// N-th completion of that activity has been journaled (environment variable <c>Maximus__Embedded__KillAfterActivity</c>).
    /// </summary>
    public string? KillAfterActivity { get; set; }

    public string DatabasePath => Path.Combine(DataDirectory, "maximus.db");

    public static string DefaultDataDirectory() =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".maximus");
}
