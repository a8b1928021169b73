namespace Maximus.ServiceDefaults;

/// <summary>Settings every role shares (section <c>Maximus:Service</c>).</summary>
public sealed class ServiceDefaultsOptions
{
    public const string Section = "Maximus:Service";

    /// <summary>Largest accepted request body in bytes.</summary>
    public long MaxRequestBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>The folder of the process's data files, named in storage errors (null: not known to this process).</summary>
    public string? DataDirectory { get; set; }
}
