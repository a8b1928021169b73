namespace Maximus.ServiceDefaults;

/// <summary>Settings every role shares (section <c>Maximus:Service</c>).</summary>
public sealed class ServiceDefaultsOptions
{
    public const string Section = "Maximus:Service";

    /// <summary>Largest accepted request body in bytes.</summary>
    public long MaxRequestBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// HTTP requests of one admission group (<see cref="Maximus.Contracts.Ports.ServiceOperation.Admission"/>) that may
    /// run at once, per processor; beyond that the answer is 429 with Retry-After. 0: no bound.
    /// </summary>
    public int AdmissionPermitsPerCore { get; set; } = 8;

    /// <summary>The Retry-After of a shed request, in seconds.</summary>
    public int RetryAfterSeconds { get; set; } = 1;

    /// <summary>The folder of the process's data files, named in storage errors (null: not known to this process).</summary>
    public string? DataDirectory { get; set; }
}
