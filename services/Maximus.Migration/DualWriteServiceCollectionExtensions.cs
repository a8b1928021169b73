using System.Globalization;
using Maximus.Contracts.Ports;
using Maximus.Migration.Chroma;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Maximus.Migration;

/// <summary>The <c>Maximus:Memory:DualWrite</c> section: the memory service's dual-write period with an old Chroma server.</summary>
public sealed class DualWriteSettings
{
    public const string Section = "Maximus:Memory:DualWrite";

    /// <summary>Decorate the vector store with <see cref="DualWriteVectorStore"/> (default false).</summary>
    public bool Enabled { get; set; }

    /// <summary>The old Chroma server, e.g. <c>http://localhost:8000</c> (API v1 or v2). Required when enabled.</summary>
    public string? ChromaUrl { get; set; }

    /// <summary>Where reads come from: <c>new</c> (the configured vector store, default) or <c>old</c> (Chroma).</summary>
    public string Primary { get; set; } = "new";

    /// <summary>After this instant (ISO 8601) writes go to the primary only; null: both until the process ends the period.</summary>
    public DateTimeOffset? Until { get; set; }

    public string Tenant { get; set; } = "default_tenant";

    public string Database { get; set; } = "default_database";

    /// <summary>The HTTP timeout for Chroma calls, in seconds (default 30).</summary>
    public int TimeoutSeconds { get; set; } = 30;

    /// <summary>The settings of <paramref name="configuration"/>'s section, validated when enabled.</summary>
    public static DualWriteSettings Read(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(Section);
        var settings = new DualWriteSettings
        {
            Enabled = bool.TryParse(section[nameof(Enabled)], out var enabled) && enabled,
            ChromaUrl = section[nameof(ChromaUrl)],
            Primary = section[nameof(Primary)] ?? "new",
            Tenant = section[nameof(Tenant)] ?? "default_tenant",
            Database = section[nameof(Database)] ?? "default_database",
        };
        if (section[nameof(Until)] is { Length: > 0 } until)
        {
            settings.Until = DateTimeOffset.TryParse(until, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
                ? at
                : throw new InvalidOperationException($"{Section}:Until '{until}' is not a date (use ISO 8601, e.g. 2026-07-01T00:00:00Z).");
        }

        if (section[nameof(TimeoutSeconds)] is { Length: > 0 } timeout)
        {
            settings.TimeoutSeconds = int.TryParse(timeout, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds is >= 1 and <= 600
                ? seconds
                : throw new InvalidOperationException($"{Section}:TimeoutSeconds must be from 1 to 600.");
        }

        if (settings.Enabled)
        {
            if (!Uri.TryCreate(settings.ChromaUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                throw new InvalidOperationException($"{Section}:ChromaUrl must be the old Chroma server's http(s) URL (e.g. http://localhost:8000) when dual-write is enabled.");
            }

            if (settings.Primary is not ("new" or "old"))
            {
                throw new InvalidOperationException($"{Section}:Primary must be \"new\" or \"old\", not \"{settings.Primary}\".");
            }
        }

        return settings;
    }
}

public static class DualWriteServiceCollectionExtensions
{
    /// <summary>
    /// When <c>Maximus:Memory:DualWrite:Enabled</c> is true, replaces the registered <see cref="IVectorStore"/> (call after
    /// <c>AddVectorStore</c>) with a <see cref="DualWriteVectorStore"/> over it (the new store) and a
    /// <see cref="ChromaVectorStore"/> on <c>ChromaUrl</c> (the old store); the decorator is also registered as itself,
    /// for <c>CutOver</c>, <c>RollBack</c>, <c>EndDualWrite</c> and parity reports. Does nothing when disabled; throws
    /// <see cref="InvalidOperationException"/> on bad settings or when no vector store is registered.
    /// </summary>
    public static IServiceCollection AddDualWriteVectorStore(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        var settings = DualWriteSettings.Read(configuration);
        if (!settings.Enabled)
        {
            return services;
        }

        var inner = services.LastOrDefault(d => d.ServiceType == typeof(IVectorStore))
            ?? throw new InvalidOperationException($"{DualWriteSettings.Section} is enabled but no IVectorStore is registered: call AddVectorStore first.");
        services.Remove(inner);
        var url = new Uri(settings.ChromaUrl!);
        services.AddSingleton(sp => new DualWriteVectorStore(
            Resolve(sp, inner),
            new ChromaVectorStore(new ChromaHttpClient(
                new HttpClient { Timeout = TimeSpan.FromSeconds(settings.TimeoutSeconds) }, url, settings.Tenant, settings.Database)),
            new DualWriteOptions { ReadFromNew = settings.Primary == "new", DualWriteUntil = settings.Until },
            sp.GetService<TimeProvider>()));
        services.AddSingleton<IVectorStore>(sp => sp.GetRequiredService<DualWriteVectorStore>());
        return services;
    }

    private static IVectorStore Resolve(IServiceProvider services, ServiceDescriptor descriptor) =>
        descriptor.ImplementationInstance as IVectorStore
        ?? (descriptor.ImplementationFactory is { } factory
            ? (IVectorStore)factory(services)
            : (IVectorStore)ActivatorUtilities.CreateInstance(services, descriptor.ImplementationType!));
}
