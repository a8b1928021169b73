using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Maximus.ServiceDefaults;

/// <summary>
/// Sends the host's first HTTP request itself, once the server listens (<c>GET /health/live</c> over loopback), and
/// reports ready (health check <c>http-pipeline</c>) only after it: the middleware, routing and health checks are compiled
/// by then, and work that waits for readiness (missions resumed after a crash) does not compete with the first caller's
/// request for the cores. Measured on 2 cores after a kill with 100 missions in flight: the first <c>/health/ready</c> took
/// about 550 ms while the missions resumed beside it, against about 130 ms on a host with nothing to resume.
/// </summary>
/// <remarks>
/// Only a plain-HTTP address is called (on a wildcard address, the loopback one); a host that serves HTTPS only, listens
/// on no TCP address or whose request fails is ready all the same: the warm-up is an optimisation, never a condition.
/// </remarks>
public sealed partial class HttpWarmup(IServiceProvider services, IHostApplicationLifetime lifetime, ILogger<HttpWarmup> logger)
    : IHostedService, IHealthCheck
{
    /// <summary>The name of the health check.</summary>
    public const string CheckName = "http-pipeline";

    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenRegistration _started;

    /// <summary>Completes when the warm-up request has been answered (or was not possible).</summary>
    public Task Completion => _done.Task;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _started = lifetime.ApplicationStarted.Register(() => _ = Task.Run(WarmUpAsync, CancellationToken.None));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _started.Dispose();
        _done.TrySetResult();
        return Task.CompletedTask;
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_done.Task.IsCompleted
            ? HealthCheckResult.Healthy("The HTTP pipeline has served its first request.")
            : HealthCheckResult.Unhealthy("Serving the host's first request to itself."));

    /// <summary>The loopback URI to call for a server address, or null (not plain HTTP, not TCP).</summary>
    public static Uri? LoopbackAddress(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        const string Http = "http://";
        if (!address.StartsWith(Http, StringComparison.OrdinalIgnoreCase) || address.StartsWith(Http + "unix:", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var rest = address[Http.Length..].TrimEnd('/');
        var colon = rest.LastIndexOf(':');
        if (colon <= 0 || rest.EndsWith(']') || !int.TryParse(rest.AsSpan(colon + 1), System.Globalization.CultureInfo.InvariantCulture, out var port))
        {
            return null;
        }

        var host = rest[..colon] switch
        {
            "+" or "*" or "0.0.0.0" => "127.0.0.1",
            "[::]" => "[::1]",
            var h => h,
        };
        return Uri.TryCreate($"{Http}{host}:{port}/", UriKind.Absolute, out var uri) ? uri : null;
    }

    private async Task WarmUpAsync()
    {
        try
        {
            var addresses = services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            if (addresses.Select(LoopbackAddress).FirstOrDefault(a => a is not null) is not { } baseAddress)
            {
                return;
            }

            using var handler = new SocketsHttpHandler { UseProxy = false };
            using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(5) };
            var live = new Uri(baseAddress, Extensions.LivePath.TrimStart('/'));
            using var response = await client.GetAsync(live, CancellationToken.None).ConfigureAwait(false);
            LogWarmedUp(logger, live, (int)response.StatusCode);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or InvalidOperationException)
        {
            LogWarmupFailed(logger, ex);
        }
        finally
        {
            _done.TrySetResult();
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "HTTP pipeline warmed up: GET {Address} answered {Status}")]
    private static partial void LogWarmedUp(ILogger logger, Uri address, int status);

    [LoggerMessage(Level = LogLevel.Debug, Message = "HTTP pipeline warm-up request failed (the host is ready all the same)")]
    private static partial void LogWarmupFailed(ILogger logger, Exception exception);
}
