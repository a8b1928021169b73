using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Maximus.Reflection.Client;

public static class ReflectorClientExtensions
{
    /// <summary>
    /// Adds the <see cref="PrioritizedReflectorClient"/> (started and gracefully stopped with the host). It needs the
    /// event bus and service invoker ports, which both runtimes provide.
    /// </summary>
    public static IServiceCollection AddReflectorClient(this IServiceCollection services, Action<ReflectorClientOptions>? configure = null)
    {
        var options = services.AddOptions<ReflectorClientOptions>().BindConfiguration(ReflectorClientOptions.Section)
            .Validate(o => o.BatchSize is >= 1 and <= 10_000, "BatchSize must be from 1 to 10000.")
            .Validate(o => o.BatchInterval > TimeSpan.Zero, "BatchInterval must be positive.")
            .Validate(o => o.QueueCapacity >= 1, "QueueCapacity must be positive.")
            .Validate(o => o.MaxLogBytes >= 1024, "MaxLogBytes must be at least 1024.")
            .ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<ReflectorClientOptions>>().Value;
            return new ReflectionOutbox(o.OutboxPath ?? DefaultOutboxPath());
        });
        services.TryAddSingleton<PrioritizedReflectorClient>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<PrioritizedReflectorClient>());
        return services;
    }

    /// <summary><c>~/.maximus/outbox/{process}.db</c>: one outbox per process, so two clients never race on redelivery.</summary>
    public static string DefaultOutboxPath() =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".maximus", "outbox", $"{AppDomain.CurrentDomain.FriendlyName}.db");
}
