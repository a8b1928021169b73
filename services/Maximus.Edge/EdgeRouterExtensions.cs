using Maximus.Contracts.Ports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Maximus.Edge;

public static class EdgeRouterExtensions
{
    /// <summary>
    /// Adds an <see cref="EdgeRouter{TRequest, TResponse}"/> named <paramref name="name"/> over the capability
    /// <typeparamref name="TCapability"/>, with options from <c>Maximus:Edge:{name}</c> (validated at start-up).
    /// The router is a singleton, also registered as a keyed service under <paramref name="name"/>. It needs the
    /// <see cref="IServiceInvoker"/> port, which both runtimes provide.
    /// </summary>
    public static IServiceCollection AddEdgeRouter<TRequest, TResponse, TCapability>(
        this IServiceCollection services, string name, Action<EdgeRouterOptions>? configure = null)
        where TCapability : class, IEdgeCapability<TRequest, TResponse>
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var options = services.AddOptions<EdgeRouterOptions>(name).BindConfiguration($"{EdgeRouterOptions.Section}:{name}");
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.AddSingleton<IValidateOptions<EdgeRouterOptions>>(new EdgeRouterOptionsValidator(name));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<TCapability>();
        services.AddKeyedSingleton(name, (sp, _) => new EdgeRouter<TRequest, TResponse>(
            name,
            sp.GetRequiredService<TCapability>(),
            sp.GetRequiredService<IServiceInvoker>(),
            sp.GetRequiredService<IOptionsMonitor<EdgeRouterOptions>>().Get(name),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger($"Maximus.Edge.EdgeRouter.{name}")));
        services.TryAddSingleton(sp => sp.GetRequiredKeyedService<EdgeRouter<TRequest, TResponse>>(name));
        return services;
    }

    private sealed class EdgeRouterOptionsValidator(string name) : IValidateOptions<EdgeRouterOptions>
    {
        public ValidateOptionsResult Validate(string? optionsName, EdgeRouterOptions options)
        {
            if (!string.Equals(optionsName, name, StringComparison.Ordinal))
            {
                return ValidateOptionsResult.Skip;
            }

            var problems = options.Problems();
            return problems.Count == 0
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail(problems.Select(p => $"{EdgeRouterOptions.Section}:{name}: {p}"));
        }
    }
}
