namespace Maximus.Ui;

/// <summary>Mission control's settings: the plugin app ids a mission can be started on (the host's known plugins).</summary>
public sealed class MissionControlOptions
{
    public IList<string> Plugins { get; } = [];

    /// <summary>How often the live streams look for changes.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one event stream stays open before the browser reconnects.</summary>
    public TimeSpan StreamLifetime { get; set; } = TimeSpan.FromSeconds(30);
}
