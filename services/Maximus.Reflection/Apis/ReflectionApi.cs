using Maximus.Contracts;
using Maximus.Contracts.Ports;
using Maximus.Contracts.Reflection;

namespace Maximus.Reflection.Apis;

/// <summary>The reflector's service-invocation API (the synchronous CRITICAL path).</summary>
public static class ReflectionApi
{
    public static IEnumerable<ServiceOperation> Operations { get; } =
    [
        ServiceOperation.Post<ExecutionLog, ReflectionResult>(AppIds.Reflector, "v1/reflections",
            (log, call) => call.GetService<ReflectionService>().ReflectAsync(log, call.CancellationToken)),
        // Step log ids hold '/' ({mission}/r0/s2): the id is the rest of the path, its '/' sent as-is or encoded (%2F).
        ServiceOperation.Get(AppIds.Reflector, "v1/reflections/{**logId}", async call =>
        {
            var logId = call.Route("logId").Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
            return await call.GetService<ReflectionService>().GetAsync(logId, call.CancellationToken).ConfigureAwait(false)
                ?? throw ProblemException.NotFound($"No reflection for log '{logId}'.");
        }),
    ];
}
